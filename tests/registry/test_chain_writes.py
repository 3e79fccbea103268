"""Chain writes are observable (issue 11 item 1): a job's status URL, /health degraded by a write
that waits too long, and a request that cannot finish in time answers 202 with where to follow
it — not 504 — and finishes when sent again."""

from __future__ import annotations

import time
import uuid
from datetime import timedelta

from fastapi.testclient import TestClient

from ledger_service.chain import Ledger
from registry.models import ChainJob, utcnow
from tests.registry.conftest import ClientFactory
from tests.registry.test_issuance import issuing_school, students


def test_a_job_has_a_status_url_and_a_stalled_one_degrades_health(make_client: ClientFactory) -> None:
    client = make_client(WORKER=False, CHAIN_STALL_SECONDS=60)
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        job = ChainJob(kind="fund_account", payload={"address": "0x" + "11" * 20, "wei": "1"}, created_at=utcnow() - timedelta(seconds=90))
        session.add(job)
        session.commit()
        job_id = job.id
    followed = client.get(f"/chain/jobs/{job_id}").json()
    assert followed["status"] == "pending" and followed["kind"] == "fund_account" and followed["waited_seconds"] >= 90
    deadline = time.monotonic() + 5  # the monitor looks every 0.2 s
    while (health := client.get("/health")).status_code == 200 and time.monotonic() < deadline:
        time.sleep(0.1)
    assert health.status_code == 503, health.json()
    body = health.json()
    assert body["status"] == "degraded" and body["chain_writes"].startswith("stalled") and body["oldest_open_job_seconds"] >= 90
    assert body["chain"] == "ok" and body["database"] == "ok"

    missing = client.get("/chain/jobs/987654")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert client.get("/chain/jobs/not-a-number").status_code == 422


def test_health_is_ok_when_writes_flow(client: TestClient) -> None:
    body = client.get("/health").json()
    assert body["status"] == "ok" and body["chain_writes"] == "ok"


def test_an_issue_that_cannot_finish_in_time_is_202_then_finished_by_sending_it_again(make_client: ClientFactory) -> None:
    client = make_client(CHAIN_WAIT_SECONDS=1)
    _, issuer, _ = issuing_school(client)
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    assert ledger.node is not None
    key = f"late-{uuid.uuid4().hex[:6]}"
    body = {"batch": key, "kind": "growth_record", "records": students(3, label=key[-6:])}
    with ledger.node._snapshot_lock:  # holds the automine keeper off while mining is paused
        ledger.rpc.request("evm_setAutomine", [False])
        try:
            answer = client.post("/credentials/batches", json=body, headers=issuer.headers)
        finally:
            ledger.rpc.request("evm_setAutomine", [True])
            ledger.rpc.request("evm_mine")
    assert answer.status_code == 202, answer.text
    assert answer.json()["status_url"] == f"/credentials/batches/{key}" == answer.headers["Location"]
    assert client.get(f"/credentials/batches/{key}", headers=issuer.headers).json()["completed"] is False
    again = client.post("/credentials/batches", json=body, headers=issuer.headers)
    assert again.status_code == 201 and again.json()["completed"], again.text
    assert client.get(f"/credentials/batches/{key}", headers=issuer.headers).json()["completed"] is True


def test_a_revocation_that_cannot_finish_in_time_is_202_and_the_hosted_list_is_what_the_chain_gets(
    make_client: ClientFactory,
) -> None:
    """Before: the new list's transaction was journaled and sent, the request failed (504) and rolled the
    database back, and when the transaction landed the hosted list no longer matched the chain."""
    from ledger_service.credentials import status_list_hash, status_list_id

    client = make_client(CHAIN_WAIT_SECONDS=1)
    _, issuer, _ = issuing_school(client)
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    assert ledger.node is not None
    key = f"rv-{uuid.uuid4().hex[:6]}"
    batch = client.post(
        "/credentials/batches", headers=issuer.headers, json={"batch": key, "kind": "growth_record", "records": students(2, label=key[-6:])}
    ).json()
    credential = batch["credentials"][0]
    with ledger.node._snapshot_lock:
        ledger.rpc.request("evm_setAutomine", [False])
        try:
            answer = client.post(f"/credentials/{credential['id']}/status", json={"action": "revoke"}, headers=issuer.headers)
        finally:
            ledger.rpc.request("evm_setAutomine", [True])
            ledger.rpc.request("evm_mine")
    assert answer.status_code == 202 and answer.json()["status_url"] == f"/credentials/{credential['id']}", answer.text
    assert client.get(f"/credentials/{credential['id']}", headers=issuer.headers).json()["status"] == "revoked"
    url = credential["document"]["credentialStatus"]["statusListCredential"]
    hosted = client.get(url.replace("http://127.0.0.1:8000", "")).json()
    anchored = ledger.contracts["CredentialAnchor"].call("statusListOf", status_list_id(url))
    assert bytes(anchored["listHash"]) == status_list_hash(hosted), "the hosted list is the one that landed"
    report = client.post("/verify", json={"credential": credential["document"]}).json()
    assert report["outcome"] == "invalid" and any("revoked" in c["detail"] for c in report["checks"])
