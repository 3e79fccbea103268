"""``python -m registry`` as `make run` starts it: serves, stops cleanly on Ctrl-C, keeps the chain."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import httpx
import pytest

from ledger_service.chain import BoundContract, HttpRpcClient, dev_signer, free_port, load_artifacts
from tests.utils.registry import lesson_bundle, lesson_metadata, new_signer
from wallet_cli._registry import RegistryClient

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


def test_kill_9_after_a_submission_loses_nothing(tmp_path: Path) -> None:
    """A submission accepted and mined, then kill -9 before the chain state is snapshotted: after a
    restart the database still has it and the registration is on chain again — the same
    transaction, resent from the outbox — exactly once."""
    port, anvil_port = free_port(), free_port()
    first = start(tmp_path, port, EDULEDGER_SNAPSHOT_INTERVAL="3600", EDULEDGER_ANVIL_PORT=str(anvil_port))
    wait_healthy(port, first)
    key = new_signer()
    files = lesson_bundle(f"crash-{uuid.uuid4()}")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        admin = RegistryClient(http, dev_signer(1))
        admin.sign_in()
        admin.request("PUT", f"/users/{key.address}", json={"roles": ["teacher"]})
        teacher = RegistryClient(http, key)
        teacher.sign_in()
        version = teacher.submit(files, lesson_metadata(key.address, files))
        path = f"/resources/{version['resource_id']}/versions/1"
        deadline = time.monotonic() + 30
        while teacher.request("GET", path)["chain"]["status"] != "mined":
            assert time.monotonic() < deadline, "the registration was not mined"
            time.sleep(0.2)
        mined = teacher.request("GET", path)["chain"]
    os.kill(first.pid, signal.SIGKILL)
    first.communicate(timeout=30)  # reaps it and closes its pipe

    second = start(tmp_path, port, EDULEDGER_ANVIL_PORT=str(anvil_port))
    wait_healthy(port, second)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            teacher = RegistryClient(http, key)
            teacher.sign_in()
            after = teacher.request("GET", path)
            assert after["state"] == "IN_REVIEW" and after["chain"] == mined, "the database kept the accepted submission"
            history = teacher.request("GET", f"{path}/history")
            assert history["intact"] and [e["action"] for e in history["events"]] == ["submit", "screen", "pass_screening"]
            contracts = http.get("/chain").json()["contracts"]
        chain = HttpRpcClient(f"http://127.0.0.1:{anvil_port}")
        receipt = chain.request("eth_getTransactionReceipt", [mined["tx_hash"]])
        assert receipt is not None and int(receipt["status"], 16) == 1, "the same transaction is on chain again"
        registry = BoundContract("ResourceRegistry", contracts["ResourceRegistry"], load_artifacts()["ResourceRegistry"].abi, chain)
        content_hash = bytes.fromhex(version["content_hash"][2:])
        assert registry.call("resourceIdByContent", content_hash) == mined["resource_id"]
        logs = chain.request("eth_getLogs", [{"address": registry.address, "fromBlock": "0x0", "toBlock": "latest",
                                              "topics": [None, None, "0x" + content_hash.hex()]}])
        assert len([e for e in registry.decode_logs(logs) if e.name == "ResourceRegistered"]) == 1, "registered once"
        chain.close()
    finally:
        interrupt(second)
