"""hashicorp/aws 5.100's aws_inspector2_* resources against the emulator: the real
`terraform` applies tests/terraform/inspector2-resources (delegated admin from the
management account, organisation configuration, enablers, member association, a SUPPRESS
filter), plans clean, the filter suppresses a real finding of the member's instance, and
destroy leaves nothing."""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from pathlib import Path

import pytest

from localaws import control
from inspector2_helpers import LINUX_FINDINGS, Org, all_findings, eq, fresh_account_id, run_instance, wait_for

ROOT = Path(__file__).resolve().parents[3] / "tests" / "terraform" / "inspector2-resources"
SUPPRESSED = "CVE-2024-6387"
assert SUPPRESSED in LINUX_FINDINGS

pytestmark = pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not on the PATH")


def _terraform(workdir: Path, env: dict, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(["terraform", *args], cwd=workdir, env=env, capture_output=True, text=True, timeout=timeout)


def test_hashicorp_aws_applies_plans_clean_and_destroys(accounts, endpoint, tmp_path):
    management, admin, member = fresh_account_id(), fresh_account_id(), fresh_account_id()
    instance = run_instance(accounts.client("ec2", member), tags={"Name": "tf-target"})

    workdir = tmp_path / "root"
    shutil.copytree(ROOT, workdir)
    state = control.state_dir()
    env = {k: v for k, v in os.environ.items() if k not in ("AWS_PROFILE", "AWS_SESSION_TOKEN", "MOTO_ACCOUNT_ID")}
    env.update(control.env_vars(state, int(endpoint.rsplit(":", 1)[1])))
    env.update({"AWS_ENDPOINT_URL": endpoint, "TF_CLI_CONFIG_FILE": str(state / "terraform.rc"),
                "TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
    variables = [f"-var=management_account_id={management}", f"-var=admin_account_id={admin}",
                 f"-var=member_account_id={member}", f"-var=suppressed_vulnerability={SUPPRESSED}",
                 f"-var=name=suppress-{uuid.uuid4().hex[:8]}"]

    init = _terraform(workdir, env, "init", "-input=false", "-no-color")
    assert init.returncode == 0, init.stdout + init.stderr
    apply = _terraform(workdir, env, "apply", "-auto-approve", "-input=false", "-no-color", *variables)
    assert apply.returncode == 0, apply.stdout + apply.stderr
    plan = _terraform(workdir, env, "plan", "-detailed-exitcode", "-input=false", "-no-color", *variables)
    assert plan.returncode == 0, plan.stdout + plan.stderr

    org = Org(accounts, management, admin, [member])
    v2 = org.client(admin)
    assert org.client(management).list_delegated_admin_accounts()["delegatedAdminAccounts"] == [
        {"accountId": admin, "status": "ENABLED"}]
    assert [m["accountId"] for m in v2.list_members(onlyAssociated=True)["members"]] == [member]
    found = wait_for(lambda: (lambda got: got if {f["packageVulnerabilityDetails"]["vulnerabilityId"] for f in got} >= LINUX_FINDINGS else None)(
        all_findings(v2, resourceId=eq(instance), findingType=eq("PACKAGE_VULNERABILITY"))), message="the member's findings")
    status = {f["packageVulnerabilityDetails"]["vulnerabilityId"]: f["status"] for f in found}
    assert status.pop(SUPPRESSED) == "SUPPRESSED"
    assert set(status.values()) == {"ACTIVE"}

    destroy = _terraform(workdir, env, "destroy", "-auto-approve", "-input=false", "-no-color", *variables)
    assert destroy.returncode == 0, destroy.stdout + destroy.stderr
    for account in (admin, member):
        (got,) = org.client(account).batch_get_account_status(accountIds=[account])["accounts"]
        assert got["state"]["status"] == "DISABLED", got
    assert v2.list_filters()["filters"] == []
    assert v2.list_members(onlyAssociated=True)["members"] == []
    assert org.client(management).list_delegated_admin_accounts()["delegatedAdminAccounts"] == []
