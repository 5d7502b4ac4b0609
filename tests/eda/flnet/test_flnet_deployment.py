"""``flwr run apps/flnet`` against a real SuperLink and two SuperNodes on loopback, one round."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from nasforge.eda.data import write_routability_sample

APP = Path(__file__).resolve().parents[3] / "apps" / "flnet"
BIN = Path(sys.executable).parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait_for_port(port: int, deadline: float) -> None:
    while time.monotonic() < deadline:
        with socket.socket() as sock:
            if sock.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.2)
    raise TimeoutError(f"nothing listens on 127.0.0.1:{port}")


def _stop(process: subprocess.Popen) -> None:
    """End ``process`` and what it spawned (its own session), SIGKILL if SIGTERM is not enough."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)


@pytest.mark.slow
def test_flwr_run_with_a_superlink_and_two_supernodes(tmp_path):
    if not (BIN / "flwr").exists():
        pytest.skip(f"the Flower CLI is not installed next to {sys.executable}")
    write_routability_sample(tmp_path / "data", (6, 5), size=16, seed=0)
    port = _free_port()
    home = tmp_path / "flwr-home"
    home.mkdir()
    (home / "config.toml").write_text(
        f'[superlink]\ndefault = "local-deployment"\n\n'
        f'[superlink.local-deployment]\naddress = "127.0.0.1:{port}"\ninsecure = true\n'
    )
    env = {**os.environ, "FLWR_HOME": str(home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}"}
    logs = {name: (tmp_path / f"{name}.log").open("w") for name in ("superlink", "node0", "node1")}
    commands = {
        "superlink": [
            "flower-superlink", "--insecure", "--host", "127.0.0.1", "--port", str(port),
            "--disable-runtime-dependency-installation",
        ],
        **{
            f"node{i}": [
                "flower-supernode", "--insecure", "--superlink", f"127.0.0.1:{port}",
                "--port", str(_free_port()),
                "--node-config", f"client='client{i}' data-root='{tmp_path / 'data'}'",
            ]
            for i in (0, 1)
        },
    }  # fmt: skip
    processes = []
    try:
        for name, command in commands.items():
            processes.append(
                subprocess.Popen(
                    command, env=env, stdout=logs[name], stderr=subprocess.STDOUT, start_new_session=True
                )
            )
            if name == "superlink":
                _wait_for_port(port, time.monotonic() + 60)
        overrides = f"num-rounds=1 net.hidden_channels=8 output-dir='{tmp_path / 'out'}'"
        run = subprocess.run(
            ["flwr", "run", str(APP), "local-deployment", "--run-config", overrides, "--stream"],
            env=env,
            capture_output=True,
            text=True,
            timeout=420,
        )
        assert run.returncode == 0, run.stdout[-3000:] + run.stderr[-3000:]
        report = tmp_path / "out" / "federated.json"
        deadline = time.monotonic() + 60
        while not report.exists() and time.monotonic() < deadline:
            time.sleep(0.5)
        saved = json.loads(report.read_text())
    finally:
        for process in reversed(processes):
            _stop(process)
        for handle in logs.values():
            handle.close()
    scores = saved["scores"]["flnet_personal"]
    assert set(scores) == {"client0", "client1"}
    assert all(0.0 <= s["auc"] <= 1.0 for s in scores.values())
    assert sorted(saved["federated"]["flnet_personal"]["val_rounds"]) == ["1"]
