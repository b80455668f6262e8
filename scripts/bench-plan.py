#!/usr/bin/env python3
"""`make bench`, part two: one `terraform plan` of N inspectorlink_sns_attachment beside N
aws_inspector_assessment_template (hashicorp/aws) against the local AWS, in a fresh member
account. Watches both provider processes during the plan and prints

  BENCH plan_<N>_wall <s> s
  BENCH plan_<N>_<provider>_cpu <s> s          (user + system CPU of the provider process)
  BENCH plan_<N>_<provider>_lifetime <s> s     (first seen to gone)
  BENCH plan_<N>_<provider>_peak_rss <MiB> MiB (VmHWM)
  BENCH plan_<N>_cpu_ratio <x> inspectorlink/aws, and likewise lifetime and peak RSS.
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
    """Polls /proc for the provider processes of one terraform run."""

    def __init__(self) -> None:
        super().__init__(daemon=True)
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
                hwm_kib = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("VmHWM:"))
                entry = self.seen.setdefault(int(pid_dir.name), {"name": name, "first": now})
                entry.update(last=now, cpu=(int(stat[11]) + int(stat[12])) / TICKS, hwm_mib=hwm_kib / 1024)
            time.sleep(0.02)


def main() -> None:
    count = int(os.environ.get("BENCH_RESOURCES", "100"))
    env = local_aws_env()
    suffix = f"{random.getrandbits(32):08x}"
    account = f"74{random.getrandbits(32):010d}"[:12]
    with tempfile.TemporaryDirectory(prefix="inspectorlink-bench-") as tmp:
        workdir = Path(tmp) / "bench-plan"
        shutil.copytree(ROOT, workdir)
        (workdir / "bench.auto.tfvars.json").write_text(
            json.dumps({"name_suffix": suffix, "member_account_id": account, "resources_per_provider": count})
        )
        terraform(workdir, env, "init", "-no-color")
        terraform(workdir, env, "apply", "-auto-approve", "-no-color", "-parallelism=20")
        watcher = Watcher()
        watcher.start()
        started = time.monotonic()
        terraform(workdir, env, "plan", "-detailed-exitcode", "-no-color", "-parallelism=20")
        wall = time.monotonic() - started
        watcher.stop.set()
        watcher.join()
        terraform(workdir, env, "destroy", "-auto-approve", "-no-color", "-parallelism=20")

    by_name: dict[str, dict] = {}
    for entry in watcher.seen.values():
        total = by_name.setdefault(entry["name"], {"cpu": 0.0, "lifetime": 0.0, "hwm_mib": 0.0})
        total["cpu"] += entry["cpu"]
        total["lifetime"] = max(total["lifetime"], entry["last"] - entry["first"])
        total["hwm_mib"] = max(total["hwm_mib"], entry["hwm_mib"])
    if set(by_name) != set(PROVIDERS):
        sys.exit(f"bench-plan: saw provider processes {sorted(by_name)}, expected {sorted(PROVIDERS)}")
    print(f"BENCH plan_{count}_wall {wall:.2f} s")
    for name, total in sorted(by_name.items()):
        print(f"BENCH plan_{count}_{name}_cpu {total['cpu']:.2f} s")
        print(f"BENCH plan_{count}_{name}_lifetime {total['lifetime']:.2f} s")
        print(f"BENCH plan_{count}_{name}_peak_rss {total['hwm_mib']:.1f} MiB")
    ours, theirs = by_name["inspectorlink"], by_name["aws"]
    for metric, key in (("cpu", "cpu"), ("lifetime", "lifetime"), ("peak_rss", "hwm_mib")):
        print(f"BENCH plan_{count}_{metric}_ratio {ours[key] / max(theirs[key], 1e-9):.3f} inspectorlink/aws")


if __name__ == "__main__":
    main()
