"""Inspector v2 organisation: enablement per account and scan type, who may change and see
what, auto-enable of new members, and isolation of findings and coverage."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from inspector2_helpers import LINUX_FINDINGS, Org, fresh_account_id, run_instance, scan, unvalidated, vulnerability


def statuses(answer: dict) -> dict[str, dict[str, str]]:
    return {
        a["accountId"]: {"state": a["state"]["status"], **{k: v["status"] for k, v in a["resourceState"].items()}}
        for a in answer["accounts"]
    }


def test_enable_and_disable_per_account_and_type(accounts):
    org = Org.create(accounts, members=2)
    admin = org.client(org.admin)
    answer = admin.enable(accountIds=[org.members[0]], resourceTypes=["EC2", "LAMBDA"])
    assert answer["accounts"] == [{
        "accountId": org.members[0], "status": "ENABLED",
        "resourceStatus": {"ec2": "ENABLED", "ecr": "DISABLED", "lambda": "ENABLED", "lambdaCode": "DISABLED"},
    }]
    admin.enable(accountIds=[org.admin], resourceTypes=["ECR", "LAMBDA", "LAMBDA_CODE"])
    admin.disable(accountIds=[org.members[0]], resourceTypes=["LAMBDA"])

    got = statuses(admin.batch_get_account_status(accountIds=[org.admin, *org.members]))
    assert got == {
        org.admin: {"state": "ENABLED", "ec2": "DISABLED", "ecr": "ENABLED", "lambda": "ENABLED", "lambdaCode": "ENABLED"},
        org.members[0]: {"state": "ENABLED", "ec2": "ENABLED", "ecr": "DISABLED", "lambda": "DISABLED", "lambdaCode": "DISABLED"},
        org.members[1]: {"state": "DISABLED", "ec2": "DISABLED", "ecr": "DISABLED", "lambda": "DISABLED", "lambdaCode": "DISABLED"},
    }
    # Disable without resource types turns everything off; so does naming every type the
    # SDK knows, CODE_REPOSITORY too (what hashicorp/aws's enabler does on destroy).
    admin.disable(accountIds=[org.members[0]], resourceTypes=["EC2", "ECR", "LAMBDA", "LAMBDA_CODE", "CODE_REPOSITORY"])
    assert statuses(admin.batch_get_account_status(accountIds=[org.members[0]]))[org.members[0]]["state"] == "DISABLED"
    admin.disable(accountIds=[org.admin])
    assert statuses(admin.batch_get_account_status())[org.admin]["state"] == "DISABLED"

    # A member sees its own status (the default is the caller), nobody else's.
    member = org.client(org.members[0])
    assert list(statuses(member.batch_get_account_status())) == [org.members[0]]
    denied = member.batch_get_account_status(accountIds=[org.members[1], org.admin])
    assert denied["accounts"] == []
    assert [(f["accountId"], f["errorCode"]) for f in denied["failedAccounts"]] == [
        (org.members[1], "ACCESS_DENIED"), (org.admin, "ACCESS_DENIED")]


def test_only_the_administrator_changes_a_member(accounts):
    org = Org.create(accounts, members=1)
    outsider = fresh_account_id()
    # Not its member: refused per account, the others still done.
    answer = org.client(org.admin).enable(accountIds=[org.members[0], outsider], resourceTypes=["EC2"])
    assert [a["accountId"] for a in answer["accounts"]] == [org.members[0]]
    assert [(f["accountId"], f["errorCode"]) for f in answer["failedAccounts"]] == [(outsider, "ACCESS_DENIED")]
    # A member cannot switch its own scans off (or on).
    answer = org.client(org.members[0]).disable(accountIds=[org.members[0]], resourceTypes=["EC2"])
    assert answer["accounts"] == [] and answer["failedAccounts"][0]["errorCode"] == "ACCESS_DENIED"
    assert answer["failedAccounts"][0]["resourceStatus"]["ec2"] == "ENABLED"
    # A standalone account manages itself.
    alone = org.client(outsider)
    assert alone.enable(resourceTypes=["ECR"])["accounts"][0]["resourceStatus"]["ecr"] == "ENABLED"


def test_bad_enable_requests_are_validation_errors(accounts):
    client = unvalidated(accounts, fresh_account_id())
    with pytest.raises(ClientError) as caught:
        client.enable(resourceTypes=["EC2", "NOT_A_TYPE"])
    error = caught.value.response
    assert error["Error"]["Code"] == "ValidationException"
    assert error["fields"][0]["name"] == "resourceTypes.2" and error["reason"] == "FIELD_VALIDATION_FAILED"
    with pytest.raises(ClientError, match="ValidationException"):
        client.enable(accountIds=["12345"], resourceTypes=["EC2"])
    with pytest.raises(ClientError, match="not emulated"):
        client.enable(resourceTypes=["CODE_REPOSITORY"])


def test_new_members_are_auto_enabled_by_the_organisation_configuration(accounts):
    org = Org.create(accounts, members=0)
    admin = org.client(org.admin)
    admin.update_organization_configuration(autoEnable={"ec2": True, "ecr": False, "lambda": True, "lambdaCode": False})
    member = fresh_account_id()
    admin.associate_member(accountId=member)
    got = statuses(admin.batch_get_account_status(accountIds=[member]))[member]
    assert got == {"state": "ENABLED", "ec2": "ENABLED", "ecr": "DISABLED", "lambda": "ENABLED", "lambdaCode": "DISABLED"}
    # A member may not change the organisation's configuration.
    with pytest.raises(ClientError, match="AccessDeniedException"):
        org.client(member).update_organization_configuration(autoEnable={"ec2": False, "ecr": False})
    with pytest.raises(ClientError, match="ValidationException"):
        admin.associate_member(accountId=org.admin)


def test_findings_and_coverage_are_seen_by_the_account_and_its_administrator_only(accounts, endpoint):
    org = Org.create(accounts, members=2, enable=["EC2"])
    first, second = org.members
    instances = {m: run_instance(org.client(m, "ec2")) for m in (first, second)}
    scan(endpoint)

    def seen(account: str) -> dict[str, set[str]]:
        found: dict[str, set[str]] = {}
        for finding in org.client(account).list_findings(maxResults=100)["findings"]:
            found.setdefault(finding["awsAccountId"], set()).add(vulnerability(finding))
        return found

    assert seen(org.admin) == {first: LINUX_FINDINGS, second: LINUX_FINDINGS}
    assert seen(first) == {first: LINUX_FINDINGS}
    assert seen(second) == {second: LINUX_FINDINGS}
    outsider = fresh_account_id()
    assert seen(outsider) == {}
    covered = {c["resourceId"] for c in org.client(org.admin).list_coverage()["coveredResources"]}
    assert covered == set(instances.values())
    assert {c["resourceId"] for c in org.client(first).list_coverage()["coveredResources"]} == {instances[first]}
    assert org.client(outsider).list_coverage()["coveredResources"] == []

    # Findings of a member are not the outsider's to read in detail.
    arn = org.client(first).list_findings()["findings"][0]["findingArn"]
    answer = org.client(outsider).batch_get_finding_details(findingArns=[arn])
    assert answer["findingDetails"] == [] and answer["errors"][0]["errorCode"] == "ACCESS_DENIED"

    # Once disassociated, the administrator no longer sees the member.
    org.client(org.admin).disassociate_member(accountId=second)
    assert set(seen(org.admin)) == {first}
    assert seen(second) == {second: LINUX_FINDINGS}


def test_the_calls_hashicorp_aws_makes_for_enabler_and_member_association(accounts):
    """internal/service/inspector2/enabler.go and member_association.go (hashicorp/aws):
    create, the waits on BatchGetAccountStatus, the clean-up Disable of types not asked
    for, and destroy with every type the SDK knows."""
    org = Org.create(accounts, members=0)
    admin = org.client(org.admin)
    members = [fresh_account_id(), fresh_account_id()]
    for member in members:
        admin.associate_member(accountId=member)
        assert admin.get_member(accountId=member)["member"]["relationshipStatus"] == "ENABLED"
    wanted = ["EC2", "ECR", "LAMBDA"]
    assert admin.enable(accountIds=members, resourceTypes=wanted, clientToken="t1")["failedAccounts"] == []
    state = statuses(admin.batch_get_account_status(accountIds=members))
    assert all(s["state"] == "ENABLED" for s in state.values())
    keys = {"ec2": "EC2", "ecr": "ECR", "lambda": "LAMBDA", "lambdaCode": "LAMBDA_CODE"}
    for member, status in state.items():
        rest = [keys[k] for k in status if k in keys and keys[k] not in wanted]
        assert rest == ["LAMBDA_CODE"]
        admin.disable(accountIds=[member], resourceTypes=rest)
    after = statuses(admin.batch_get_account_status(accountIds=members))
    assert {m: {k: v for k, v in s.items() if k != "state"} for m, s in after.items()} == {
        m: {"ec2": "ENABLED", "ecr": "ENABLED", "lambda": "ENABLED", "lambdaCode": "DISABLED"} for m in members}

    # Destroy: every type, failures other than ACCESS_DENIED would be errors; then wait for DISABLED.
    answer = admin.disable(accountIds=members, resourceTypes=["EC2", "ECR", "LAMBDA", "LAMBDA_CODE", "CODE_REPOSITORY"])
    assert answer["failedAccounts"] == []
    assert {s["state"] for s in statuses(admin.batch_get_account_status(accountIds=members)).values()} == {"DISABLED"}
    for member in members:
        admin.disassociate_member(accountId=member)
        assert admin.get_member(accountId=member)["member"]["relationshipStatus"] == "REMOVED"
    # Gone from the administrator's view: no accounts, which the provider reads as "not found".
    assert admin.batch_get_account_status(accountIds=members)["accounts"] == []


def test_list_members_and_filters_page(accounts):
    org = Org.create(accounts, members=3)
    admin = org.client(org.admin)
    admin.disassociate_member(accountId=org.members[2])
    pages, token = [], None
    while True:
        page = admin.list_members(maxResults=2, **({"nextToken": token} if token else {}))
        pages.append([m["accountId"] for m in page["members"]])
        token = page.get("nextToken")
        if not token:
            break
    assert [len(p) for p in pages] == [2, 1]
    associated = {m["accountId"] for m in admin.list_members(onlyAssociated=True)["members"]}
    assert associated == set(org.members[:2])

    arns = [admin.create_filter(name=f"f{i}", action="SUPPRESS" if i % 2 else "NONE",
                                filterCriteria={"severity": [{"comparison": "EQUALS", "value": "LOW"}]})["arn"] for i in range(3)]
    first = admin.list_filters(maxResults=2)
    assert len(first["filters"]) == 2 and first["nextToken"]
    assert len(admin.list_filters(maxResults=2, nextToken=first["nextToken"])["filters"]) == 1
    assert [f["arn"] for f in admin.list_filters(action="SUPPRESS")["filters"]] == [arns[1]]
    assert [f["arn"] for f in admin.list_filters(arns=[arns[0]], action="NONE")["filters"]] == [arns[0]]
