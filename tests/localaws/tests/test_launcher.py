"""`python -m localaws up/down` on bad ground: every case ends in one clear line or recovery."""

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from localaws import control

PACKAGE_PARENT = Path(__file__).resolve().parents[1]


def localaws(state_dir, *args, extra_env=None, timeout=90):
    env = {k: v for k, v in os.environ.items() if not k.startswith("LOCALAWS_")}
    env["LOCALAWS_STATE_DIR"] = str(state_dir)
    env["PYTHONPATH"] = str(PACKAGE_PARENT)
    env.update(extra_env or {})
    return subprocess.run(
        [sys.executable, "-m", "localaws", *args], env=env, capture_output=True, text=True, timeout=timeout
    )


@pytest.fixture
def state(tmp_path):
    yield tmp_path
    localaws(tmp_path, "down")


def test_up_writes_env_and_terraform_config_then_down_stops_it(state):
    started = localaws(state, "up")
    assert started.returncode == 0, started.stderr
    info = json.loads((state / "server.json").read_text())
    assert control.health(info["port"])["pid"] == info["pid"]

    env = dict(line.removeprefix("export ").split("=", 1) for line in (state / "env").read_text().splitlines() if line.startswith("export "))
    assert env["AWS_ENDPOINT_URL"] == f"http://127.0.0.1:{info['port']}"
    assert env["TF_CLI_CONFIG_FILE"] == str(state / "terraform.rc")
    rc = (state / "terraform.rc").read_text()
    mirror = control.find_terraform_mirror()
    assert (mirror / "registry.terraform.io/hashicorp/aws/5.100.0").is_dir()
    assert f'path    = "{mirror}"' in rc
    assert "registry.terraform.io/inspectorlink/*" in rc

    again = localaws(state, "up")
    assert again.returncode == 0 and "reusing" in again.stdout
    assert json.loads((state / "server.json").read_text())["pid"] == info["pid"]

    stopped = localaws(state, "down")
    assert stopped.returncode == 0 and f"pid {info['pid']}" in stopped.stdout
    assert control.health(info["port"]) is None
    assert not (state / "env").exists()
    assert localaws(state, "status").returncode == 1


def test_down_with_nothing_running_is_harmless(state):
    result = localaws(state, "down")
    assert result.returncode == 0
    assert "no local AWS was running" in result.stdout


def test_port_taken_is_one_clear_line(state):
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        result = localaws(state, "up", extra_env={"LOCALAWS_LISTEN_PORT": str(port)}, timeout=20)
    assert result.returncode == 2
    assert result.stderr.strip().count("\n") == 0
    assert f"port {port}" in result.stderr and "already in use" in result.stderr
    assert not (state / "server.json").exists()


def test_bad_port_value_is_rejected(state):
    result = localaws(state, "up", extra_env={"LOCALAWS_LISTEN_PORT": "http"}, timeout=20)
    assert result.returncode == 2
    assert "LOCALAWS_LISTEN_PORT=http is not a TCP port" in result.stderr


def test_moto_missing_says_to_run_setup(state, tmp_path_factory):
    shadow = tmp_path_factory.mktemp("shadow")
    (shadow / "moto").mkdir()
    (shadow / "moto" / "__init__.py").write_text("raise ImportError(\"No module named 'moto'\", name='moto')\n")
    result = localaws(state, "up", extra_env={"PYTHONPATH": f"{shadow}{os.pathsep}{PACKAGE_PARENT}"}, timeout=20)
    assert result.returncode == 2
    assert "moto is not installed" in result.stderr and "make setup" in result.stderr


def test_stale_state_of_a_dead_process_is_replaced(state):
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        free_port = probe.getsockname()[1]
    (state / "server.json").write_text(json.dumps({"server": "inspectorlink-localaws", "pid": dead.pid, "port": free_port}))
    (state / "env").write_text(f"export AWS_ENDPOINT_URL=http://127.0.0.1:{free_port}\n")

    result = localaws(state, "up")
    assert result.returncode == 0, result.stderr
    assert "removing stale state" in result.stdout
    info = json.loads((state / "server.json").read_text())
    assert info["pid"] != dead.pid
    assert control.health(info["port"])["pid"] == info["pid"]


def test_a_foreign_server_on_the_recorded_port_is_not_mistaken_for_ours(state):
    with socket.socket() as foreign:
        foreign.bind(("127.0.0.1", 0))
        foreign.listen()
        port = foreign.getsockname()[1]
        (state / "server.json").write_text(json.dumps({"server": "inspectorlink-localaws", "pid": os.getpid(), "port": port}))
        result = localaws(state, "status", timeout=20)
    assert result.returncode == 1
