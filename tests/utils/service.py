"""The real service as `make run` starts it (``python -m registry`` in a child process), for crash and restart tests:
start it, wait until it serves, stop it as Ctrl-C does or kill -9 it, and the school and class these tests issue to."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from ledger_service.chain import dev_signer, free_port
from tests.utils.registry import new_signer, sign_in
from wallet_cli._registry import RegistryClient

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


def wait_healthy(port: int, process: subprocess.Popen[str], timeout: float = 180) -> dict:  # type: ignore[type-arg]
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


def kill_9(process: subprocess.Popen[str]) -> None:
    """kill -9 the service (no clean stop, no snapshot) and reap it, which closes its pipe."""
    os.kill(process.pid, signal.SIGKILL)
    process.communicate(timeout=30)


def restart_after_kill_9(process: subprocess.Popen[str], data_dir: Path, port: int, **extra: str) -> subprocess.Popen[str]:
    """kill -9 the service, start it again on the same data directory and port, and wait until it serves."""
    kill_9(process)
    again = start(data_dir, port, **extra)
    wait_healthy(port, again)
    return again


def kill_9_settings(anvil_port: int, **extra: str) -> dict[str, str]:
    """The service's settings for a kill -9 test: the chain state is saved only on a clean stop (a kill -9 takes the
    chain back to it), on a chain at ``anvil_port`` the test reads, mining every 0.2 s."""
    return {"EDULEDGER_SNAPSHOT_INTERVAL": "3600", "EDULEDGER_ANVIL_PORT": str(anvil_port), "EDULEDGER_BLOCK_TIME": "0.2", **extra}


def grant_teacher(http: httpx.Client, address: str) -> None:
    """The embedded chain's administrator makes ``address`` a teacher."""
    sign_in(http, dev_signer(1)).request("PUT", f"/users/{address}", json={"roles": ["teacher"]})


def students(count: int, label: str) -> list[dict[str, Any]]:
    return [
        {
            "subject": {
                "name": f"王{label}{i}",
                "student_number": f"G1201162{label}{i:04d}",
                "birth_date": "2010-03-01",
                "guardian_consent": f"consent/{label}/{i}",
            },
            "record": {
                "dimension": "社会实践",
                "record_kind": "志愿服务",
                "term": "2026-2027学年第一学期",
                "narrative": f"志愿服务 {i} 小时。",
            },
        }
        for i in range(count)
    ]


def wait_for(check: Any, what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.2)


def verified(http: httpx.Client, document: dict[str, Any]) -> str:
    answer = http.post("/verify", json={"credential": document})
    assert answer.status_code == 200, answer.text
    return str(answer.json()["outcome"])


def set_up_issuer(http: httpx.Client, name: str) -> RegistryClient:
    admin = sign_in(http, dev_signer(1))
    school = admin.request("POST", "/institutions", json={"name": name, "kind": "school"})
    admin.request("POST", f"/institutions/{school['id']}/issuer")
    wait_for(lambda: admin.request("GET", f"/institutions/{school['id']}/issuer")["chain_status"] == "ready", "the issuer keys")
    key = new_signer()
    admin.request("PUT", f"/users/{key.address}", json={"institution_id": school["id"], "roles": ["issuer"]})
    return sign_in(http, key)


def batch_completed_by_its_job(
    http: httpx.Client, issuer: RegistryClient, batch: str, job_url: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Wait until ``batch`` completes with no request from its issuer, check that its credentials verify and that its
    anchor job at ``job_url`` is done with the batch's transaction; the stored batch and the job."""
    wait_for(lambda: issuer.request("GET", f"/credentials/batches/{batch}")["completed"], "the batch to complete by itself", 120)
    stored = issuer.request("GET", f"/credentials/batches/{batch}")
    assert all(verified(http, c["document"]) == "valid" for c in stored["credentials"])
    followed = http.get(job_url).json()
    assert followed["status"] == "done" and followed["tx_hash"] == stored["tx_hash"], followed
    return stored, followed
