"""kill -9 of the real service between a batch's commit and its anchor job's send: the job, committed with
the batch, is sent after the restart, once (one anchor, the batch's transaction is the job's)."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from ledger_service.chain import free_port
from tests.utils.registry import sign_in
from tests.utils.service import (
    batch_completed_by_its_job,
    interrupt,
    kill_9_settings,
    restart_after_kill_9,
    set_up_issuer,
    start,
    students,
    wait_healthy,
)
from wallet_cli._registry import RegistryClient

pytestmark = pytest.mark.anvil


def test_kill_9_between_a_batchs_commit_and_its_send_completes_once_after_the_restart(tmp_path: Path) -> None:
    port, anvil_port = free_port(), free_port()
    settings = kill_9_settings(anvil_port, EDULEDGER_CHAIN_WAIT_SECONDS="1")
    first = start(tmp_path, port, **settings)
    wait_healthy(port, first)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        issuer_key = set_up_issuer(http, "滨海新区断电测试中学").signer
    assert "chain state saved" in interrupt(first)

    second = start(tmp_path, port, **settings, EDULEDGER_WORKER="false")  # committed, never sent: no worker runs
    wait_healthy(port, second)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        issuer = RegistryClient(http, issuer_key)
        issuer.sign_in()
        body = {"batch": "g9-1", "kind": "growth_record", "records": students(2, "crash")}
        answer = http.post("/credentials/batches", headers=issuer.headers, json=body)
        assert answer.status_code == 202, answer.text
        job_url = answer.json()["chain_job_url"]
        assert http.get(job_url).json()["status"] == "pending"
    third = restart_after_kill_9(second, tmp_path, port, **settings)
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
            issuer = sign_in(http, issuer_key)
            stored, _ = batch_completed_by_its_job(http, issuer, "g9-1", job_url)
            again = http.post("/credentials/batches", headers=issuer.headers, json=body)
            assert again.status_code == 201 and again.json()["tx_hash"] == stored["tx_hash"], "anchored once"
            health = http.get("/health").json()
            assert health["chain_writes"] == "ok" and health["failed_chain_jobs"] == 0, health
    finally:
        interrupt(third)
