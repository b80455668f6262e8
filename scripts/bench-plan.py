#!/usr/bin/env python3
"""`make bench`, part two: `terraform plan` of N inspectorlink_sns_attachment beside N
aws_inspector_assessment_template (hashicorp/aws) against the local AWS, in fresh member
accounts (BENCH_RESOURCES=N, default 100; an account holds at most 500 templates, so every
500 take another account with its own providers). Watches the provider processes during
the plan and prints

  BENCH plan_<N>_wall <s> s
  BENCH plan_<N>_<provider>_cpu <s> s          (user + system CPU, summed over its processes)
  BENCH plan_<N>_<provider>_lifetime <s> s     (first seen to gone, the longest process)
  BENCH plan_<N>_<provider>_peak_rss <MiB> MiB (VmHWM, the largest process)
  BENCH plan_<N>_inspectorlink_after_aws <s> s (how long inspectorlink runs on once the last
                                               aws process is gone: its own calls)
  BENCH plan_<N>_cpu_ratio <x> inspectorlink/aws, and likewise lifetime and peak RSS.
each the median of BENCH_PLANS (default 5) plans of the same applied configuration.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
ROOT = REPO / "tests/terraform/bench-plan"
PROVIDERS = {"inspectorlink": "terraform-provider-inspectorlink", "aws": "terraform-provider-aws"}
TICKS = os.sysconf("SC_CLK_TCK")
TEMPLATES_PER_ACCOUNT = 500


def more_members_tf(count: int) -> str:
    """main.tf declares the first member account; this is the (count - 1) others."""
    blocks = []
    for i in range(1, count):
        role = f"arn:aws:iam::${{var.member_account_ids[{i}]}}:role/inspectorlink-test"
        blocks.append(f"""
provider "aws" {{
  alias                   = "member{i}"
  region                  = "us-east-1"
  max_retries             = 2
  skip_metadata_api_check = true
  assume_role {{
    role_arn = "{role}"
  }}
}}

provider "inspectorlink" {{
  alias       = "member{i}"
  region      = "us-east-1"
  max_retries = 2
  assume_role {{
    role_arn = "{role}"
  }}
}}

module "member{i}" {{
  source = "./member"
  providers = {{
    aws           = aws.member{i}
    inspectorlink = inspectorlink.member{i}
  }}

  name       = "bench-${{var.name_suffix}}"
  templates  = var.resources_per_member[{i}]
  topic_arn  = aws_sns_topic.findings.arn
  depends_on = [aws_sns_topic_policy.findings]
}}
""")
    return "".join(blocks)


def local_aws_env() -> dict[str, str]:
    subprocess.run([str(REPO / ".venv/bin/python"), "-m", "localaws", "up"], cwd=REPO / "tests/localaws", check=True, stdout=subprocess.DEVNULL)
    state = Path(os.environ.get("LOCALAWS_STATE_DIR") or REPO / ".localaws")
    env = dict(os.environ)
    for line in (state / "env").read_text().splitlines():
        if line.startswith("export "):
            key, _, value = line.removeprefix("export ").partition("=")
            env[key] = value
    env.update({"TF_IN_AUTOMATION": "1", "TF_INPUT": "0", "CHECKPOINT_DISABLE": "1"})
    return env


def terraform(workdir: Path, env: dict[str, str], *args: str) -> None:
    result = subprocess.run(["terraform", *args], cwd=workdir, env=env, capture_output=True, text=True)
    if result.returncode not in (0, 2) or (result.returncode == 2 and args[0] != "plan"):
        sys.exit(f"bench-plan: terraform {' '.join(args)} failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")


class Watcher(threading.Thread):
    """Polls /proc for the provider processes of one terraform run: its children only, for
    other terraform runs on the machine start the same providers."""

    def __init__(self, terraform_pid: int) -> None:
        super().__init__(daemon=True)
        self.terraform_pid = terraform_pid
        self.stop = threading.Event()
        self.seen: dict[int, dict] = {}

    def run(self) -> None:
        while not self.stop.is_set():
            now = time.monotonic()
            for pid_dir in Path("/proc").iterdir():
                if not pid_dir.name.isdigit():
                    continue
                try:
                    exe = Path(os.readlink(pid_dir / "exe")).name
                    name = next((n for n, prefix in PROVIDERS.items() if exe.startswith(prefix)), None)
                    if name is None:
                        continue
                    stat = (pid_dir / "stat").read_text().rsplit(")", 1)[1].split()
                    status = (pid_dir / "status").read_text()
                except OSError:
                    continue
                if int(stat[1]) != self.terraform_pid:
                    continue
                hwm_kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
                entry = self.seen.setdefault(int(pid_dir.name), {"name": name, "first": now})
                entry.update(last=now, cpu=(int(stat[11]) + int(stat[12])) / TICKS, hwm_mib=hwm_kib / 1024)
            time.sleep(0.02)


def main() -> None:
    count = int(os.environ.get("BENCH_RESOURCES", "100"))
    env = local_aws_env()
    suffix = f"{random.getrandbits(32):08x}"
    per_member = [min(TEMPLATES_PER_ACCOUNT, count - start) for start in range(0, count, TEMPLATES_PER_ACCOUNT)]
    accounts = [f"74{random.getrandbits(32):010d}"[:12] for _ in per_member]
    with tempfile.TemporaryDirectory(prefix="inspectorlink-bench-") as tmp:
        workdir = Path(tmp) / "bench-plan"
        shutil.copytree(ROOT, workdir)
        (workdir / "bench.auto.tfvars.json").write_text(
            json.dumps({"name_suffix": suffix, "member_account_ids": accounts, "resources_per_member": per_member})
        )
        if len(accounts) > 1:
            (workdir / "members.tf").write_text(more_members_tf(len(accounts)))
        terraform(workdir, env, "init", "-no-color")
        terraform(workdir, env, "apply", "-auto-approve", "-no-color", "-parallelism=20")
        runs = [watched_plan(workdir, env) for _ in range(int(os.environ.get("BENCH_PLANS", "5")))]
        terraform(workdir, env, "destroy", "-auto-approve", "-no-color", "-parallelism=20")

    # Each metric is the median over the plans: the machine is shared and one plan is noisy.
    for metric in runs[0]:
        value, unit = median(run[metric][0] for run in runs), runs[0][metric][1]
        digits = 3 if unit == "inspectorlink/aws" else 2 if unit == "s" else 1
        print(f"BENCH plan_{count}_{metric} {value:.{digits}f} {unit}")


def median(values) -> float:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def watched_plan(workdir: Path, env: dict[str, str]) -> dict[str, tuple[float, str]]:
    """One `terraform plan` with its provider processes watched: metric -> (value, unit)."""
    started = time.monotonic()
    plan = subprocess.Popen(
        ["terraform", "plan", "-detailed-exitcode", "-no-color", "-parallelism=20"],
        cwd=workdir, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    watcher = Watcher(plan.pid)
    watcher.start()
    stdout, stderr = plan.communicate()
    wall = time.monotonic() - started
    watcher.stop.set()
    watcher.join()
    if plan.returncode not in (0, 2):
        sys.exit(f"bench-plan: terraform plan failed:\n{stdout[-3000:]}\n{stderr[-3000:]}")

    by_name: dict[str, dict] = {}
    for entry in watcher.seen.values():
        total = by_name.setdefault(entry["name"], {"cpu": 0.0, "lifetime": 0.0, "hwm_mib": 0.0, "last": 0.0})
        total["cpu"] += entry["cpu"]
        total["lifetime"] = max(total["lifetime"], entry["last"] - entry["first"])
        total["hwm_mib"] = max(total["hwm_mib"], entry["hwm_mib"])
        total["last"] = max(total["last"], entry["last"])
    if set(by_name) != set(PROVIDERS):
        sys.exit(f"bench-plan: saw provider processes {sorted(by_name)}, expected {sorted(PROVIDERS)}")
    metrics = {"wall": (wall, "s")}
    for name, total in sorted(by_name.items()):
        metrics[f"{name}_cpu"] = (total["cpu"], "s")
        metrics[f"{name}_lifetime"] = (total["lifetime"], "s")
        metrics[f"{name}_peak_rss"] = (total["hwm_mib"], "MiB")
    ours, theirs = by_name["inspectorlink"], by_name["aws"]
    # Our attachments need aws's templates: what the plan waits for after aws is done is
    # inspectorlink's own calls (the time the ~40 ms stall per call used to inflate).
    metrics["inspectorlink_after_aws"] = (max(ours["last"] - theirs["last"], 0.0), "s")
    for metric, key in (("cpu", "cpu"), ("lifetime", "lifetime"), ("peak_rss", "hwm_mib")):
        metrics[f"{metric}_ratio"] = (ours[key] / max(theirs[key], 1e-9), "inspectorlink/aws")
    return metrics

if __name__ == "__main__":
    main()
