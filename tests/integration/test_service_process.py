"""``python -m registry`` as `make run` starts it: serves, stops cleanly on Ctrl-C, keeps the chain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from ledger_service.chain import free_port

pytestmark = pytest.mark.anvil
ROOT = Path(__file__).resolve().parents[2]


def start(data_dir: Path, port: int, **extra: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "EDULEDGER_DATA_DIR": str(data_dir),
        "EDULEDGER_PORT": str(port),
        "EDULEDGER_ANVIL_PORT": str(free_port()),
        "EDULEDGER_BLOCK_TIME": "0.5",
        **extra,
    }
    return subprocess.Popen(
        [sys.executable, "-m", "registry"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
    )


def wait_healthy(port: int, process: subprocess.Popen[str], timeout: float = 60) -> dict:  # type: ignore[type-arg]
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[0]
        try:
            response = httpx.get(f"http://127.0.0.1:{port}/health", timeout=2)
            if response.status_code == 200:
                return httpx.get(f"http://127.0.0.1:{port}/chain", timeout=2).json()  # type: ignore[no-any-return]
        except httpx.TransportError:
            pass
        time.sleep(0.2)
    process.kill()
    raise AssertionError(f"service not healthy in time: {process.communicate()[0]}")


def interrupt(process: subprocess.Popen[str]) -> str:
    process.send_signal(signal.SIGINT)  # what Ctrl-C sends
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    return output


def test_serves_stops_on_ctrl_c_and_restarts_on_the_same_chain(tmp_path: Path) -> None:
    port = free_port()
    first = start(tmp_path, port)
    chain = wait_healthy(port, first)
    output = interrupt(first)
    assert "Traceback" not in output
    assert (tmp_path / "chain" / "anvil-state.json.gz").is_file()
    assert (tmp_path / "deployment.json").is_file()

    second = start(tmp_path, port)
    again = wait_healthy(port, second)
    interrupt(second)
    assert again["contracts"] == chain["contracts"], "the recorded deployment is reused"
    assert again["block_number"] >= chain["block_number"], "the chain state was kept"


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ({"EDULEDGER_RPC_URL": "ftp://example"}, "ConfigurationError: EDULEDGER_RPC_URL"),
        ({"EDULEDGER_PORT": "not-a-port"}, "ConfigurationError: EDULEDGER_PORT"),
        ({"EDULEDGER_RELAYER_KEY": "11" * 32, "EDULEDGER_RPC_URL": "http://127.0.0.1:9"}, "ChainUnavailableError: "),
    ],
    ids=["rpc-scheme", "port", "unreachable-node"],
)
def test_bad_configuration_is_one_line_and_exit_1(tmp_path: Path, extra: dict[str, str], message: str) -> None:
    process = start(tmp_path, free_port(), **extra)
    output, _ = process.communicate(timeout=60)
    assert process.returncode == 1
    lines = [line for line in output.splitlines() if line.strip()]
    assert lines[-1].startswith(message), output
    assert "Traceback" not in output
