"""Chain writes are one model (issue 11 item 1): an institution's batch anchors and status-list
updates are chain jobs committed with the decision and sent by its own issuer key; a job has a
status URL, /health is degraded by a write that waits too long, and a request that cannot finish in
time answers 202 with where to follow it — not 504 — and finishes by itself in the background."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import select

from ledger_service.chain import Ledger
from registry.models import ChainJob, CredentialBatch, utcnow
from tests.registry.conftest import ClientFactory
from tests.registry.test_issuance import issuing_school, students, verify
from tests.registry.test_journey import RUBRIC
from tests.utils.registry import drain, lesson_bundle, lesson_metadata, set_up_people


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


def wait_until(check: Callable[[], bool], what: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.1)


def test_an_issue_that_cannot_finish_in_time_is_202_and_completes_by_itself(make_client: ClientFactory) -> None:
    """Before: the batch stayed unfinished (no anchor proofs, completed false) until the client sent its key again."""
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
    job_url = answer.json()["chain_job_url"]
    assert client.get(job_url).json()["kind"] == "anchor_batch"

    def completed() -> bool:
        return bool(client.get(f"/credentials/batches/{key}", headers=issuer.headers).json()["completed"])

    wait_until(completed, "the batch to complete in the background")  # the key is not sent again
    batch = client.get(f"/credentials/batches/{key}", headers=issuer.headers).json()
    assert batch["tx_hash"] and all(verify(client, c["document"])["outcome"] == "valid" for c in batch["credentials"])
    assert client.get(job_url).json()["status"] == "done"
    again = client.post("/credentials/batches", json=body, headers=issuer.headers)
    assert again.status_code == 201 and again.json()["tx_hash"] == batch["tx_hash"], again.text


def test_an_institutions_writes_are_jobs_committed_with_the_batch_and_sent_by_its_own_key(make_client: ClientFactory) -> None:
    """Before: a batch's list and anchor were sent from the request through the school's outbox, with no
    chain job: not ordered, not retried by the worker, not visible at /chain/jobs or in /health."""
    client = make_client(WORKER=False, CHAIN_WAIT_SECONDS=1, CHAIN_STALL_SECONDS=2)
    admin, issuer, school = issuing_school(client)
    address = admin.request("GET", f"/institutions/{school['id']}/issuer")["address"]
    key = f"jobs-{uuid.uuid4().hex[:6]}"
    answer = client.post(
        "/credentials/batches", headers=issuer.headers, json={"batch": key, "kind": "growth_record", "records": students(2, label=key[-6:])}
    )
    assert answer.status_code == 202, answer.text  # no worker runs: the batch waits, committed with its jobs
    sessions = client.app.state.sessions  # type: ignore[attr-defined]
    with sessions() as session:
        batch = session.scalar(select(CredentialBatch).where(CredentialBatch.key == key))
        assert batch is not None and batch.completed_at is None
        jobs = list(session.scalars(select(ChainJob).where(ChainJob.sender == address).order_by(ChainJob.id)))
    assert [job.kind for job in jobs] == ["update_status_list", "anchor_batch"], "the new list is anchored before the batch"
    assert jobs[1].payload["batch_id"] == batch.id and jobs[1].depends_on == jobs[0].id
    assert jobs[0].subject == jobs[1].subject == f"issuer:{school['id']}"
    followed = client.get(answer.json()["chain_job_url"]).json()
    assert followed["id"] == jobs[1].id and followed["status"] == "pending" and followed["sender"] == address
    wait_until(lambda: client.get("/health").status_code == 503, "the waiting anchor to degrade /health", timeout=10)
    health = client.get("/health").json()
    assert health["chain_writes"].startswith("stalled") and health["oldest_open_job_seconds"] >= 2 and health["open_chain_jobs"] >= 2
    drain(client)
    followed = client.get(answer.json()["chain_job_url"]).json()
    assert followed["status"] == "done" and followed["tx_hash"] and followed["block_number"]
    wait_until(lambda: client.get("/health").status_code == 200, "/health to be ok once the jobs are mined", timeout=10)
    done = client.get(f"/credentials/batches/{key}", headers=issuer.headers).json()
    assert done["completed"] and done["tx_hash"] == followed["tx_hash"]
    assert all(verify(client, c["document"])["outcome"] == "valid" for c in done["credentials"])
    # A revocation is a job of the same key, after the batch's.
    revoked = client.post(f"/credentials/{done['credentials'][0]['id']}/status", json={"action": "revoke"}, headers=issuer.headers)
    assert revoked.status_code == 202, revoked.text
    job = client.get(revoked.json()["chain_job_url"]).json()
    assert job["kind"] == "update_status_list" and job["sender"] == address and job["status"] == "pending"
    drain(client)
    assert client.get(revoked.json()["chain_job_url"]).json()["status"] == "done"
    assert verify(client, done["credentials"][0]["document"])["outcome"] == "invalid"
    assert verify(client, done["credentials"][1]["document"])["outcome"] == "valid"


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
    job_url = answer.json()["chain_job_url"]
    wait_until(lambda: client.get(job_url).json()["status"] == "done", "the new list to land by itself")
    assert client.get(f"/credentials/{credential['id']}", headers=issuer.headers).json()["status"] == "revoked"
    url = credential["document"]["credentialStatus"]["statusListCredential"]
    hosted = client.get(url.replace("http://127.0.0.1:8000", "")).json()
    anchored = ledger.contracts["CredentialAnchor"].call("statusListOf", status_list_id(url))
    assert bytes(anchored["listHash"]) == status_list_hash(hosted), "the hosted list is the one that landed"
    report = client.post("/verify", json={"credential": credential["document"]}).json()
    assert report["outcome"] == "invalid" and any("revoked" in c["detail"] for c in report["checks"])


def test_a_credit_grant_the_chain_is_slow_to_anchor_is_202_and_completes_by_itself(make_client: ClientFactory) -> None:
    """Issue 11 item 1: before, a credit-bank import sent the grant's anchor from the request and answered
    504 when the chain did not confirm it in time; now the grant is committed with its chain job."""
    from ledger_service.credentials import Ed25519KeyPair, holder_did, sign_presentation

    client = make_client(CHAIN_WAIT_SECONDS=1)
    _, school, _ = issuing_school(client)
    _, college, _ = issuing_school(client)
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    assert ledger.node is not None
    label = uuid.uuid4().hex[:6]
    student = Ed25519KeyPair.generate()
    records = [{**record, "holder": holder_did(student.public)} for record in students(1, label=label)]
    issued = school.request("POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": records})
    mine = [issued["credentials"][0]["document"]]
    college.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 0.5}])
    given = client.post("/presentations/challenges").json()
    signed = sign_presentation(mine, student, challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z")
    with ledger.node._snapshot_lock:
        ledger.rpc.request("evm_setAutomine", [False])
        try:
            answer = client.post(
                "/credit-bank/imports", json={"presentation": signed, "challenge": given["challenge"]}, headers=college.headers
            )
        finally:
            ledger.rpc.request("evm_setAutomine", [True])
            ledger.rpc.request("evm_mine")
    assert answer.status_code == 202, answer.text
    status_url = answer.json()["status_url"]
    assert status_url.startswith("/credentials/credit-grant:") and answer.json()["chain_job_url"].startswith("/chain/jobs/")

    def anchored() -> bool:
        return client.get(status_url, headers=college.headers).json()["document"] is not None

    wait_until(anchored, "the grant to be anchored in the background")
    grant = client.get(status_url, headers=college.headers).json()
    assert grant["status"] == "active" and verify(client, grant["document"])["outcome"] == "valid"
    assert grant["document"]["credentialSubject"]["creditsEarned"] == 0.5
    (listed,) = client.get("/credit-bank/grants", headers=college.headers).json()
    assert listed["completed"] and listed["converted"] == [mine[0]["id"]]


def test_the_bureaus_certificate_credentials_are_jobs_committed_with_their_documents(make_client: ClientFactory) -> None:
    """Before: the bureau's certificate credentials were signed and anchored from the worker's cycle through
    the relayer's outbox, with no chain job. Now their documents are committed with the jobs that anchor them
    (the list first, then the batch; a revocation after), sent by the bureau's key (the relayer's), and
    each job has its status URL."""
    from registry.models import Certificate

    client = make_client(WORKER=False, CHAIN_STALL_SECONDS=2)
    relayer = client.get("/chain").json()["relayer"]
    people = set_up_people(client)
    files = lesson_bundle(f"bureau-jobs-{uuid.uuid4()}")
    version = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files))
    resource = version["resource_id"]
    drain(client)
    for reviewer in people.reviewers:
        reviewer.request("POST", f"/resources/{resource}/versions/1/claim")
        reviewer.request(
            "POST",
            f"/resources/{resource}/versions/1/reviews",
            json={"orientation_pass": True, "scores": RUBRIC, "recommendation": "accept"},
        )
    people.admin.request("POST", f"/resources/{resource}/versions/1/decision", json={"decision": "accept"})
    worker, sessions = client.app.state.worker, client.app.state.sessions  # type: ignore[attr-defined]

    def bureau_jobs() -> list[ChainJob]:
        with sessions() as session:
            return list(session.scalars(select(ChainJob).where(ChainJob.sender == relayer).order_by(ChainJob.id)))

    def fixed() -> Certificate | None:
        with sessions() as session:
            return session.scalar(
                select(Certificate).where(Certificate.version_id.is_not(None), Certificate.credential_document.is_not(None))
            )

    for _ in range(50):  # one cycle at a time: the cycle that fixes the documents leaves their jobs committed, not yet run
        worker.run_cycle()
        if fixed() is not None:
            break
    certificate = fixed()
    assert certificate is not None and certificate.credential is None, "documents fixed, not yet signed"
    jobs = bureau_jobs()
    assert [(job.kind, job.status) for job in jobs] == [("update_status_list", "pending"), ("anchor_batch", "pending")]
    assert jobs[1].payload["key"] == certificate.credential_batch and jobs[1].depends_on == jobs[0].id
    assert jobs[0].payload["list_id"] == certificate.status_list_id
    followed = client.get(f"/chain/jobs/{jobs[1].id}").json()
    assert followed["kind"] == "anchor_batch" and followed["sender"] == relayer and followed["status"] == "pending"
    wait_until(lambda: client.get("/health").status_code == 503, "the bureau's waiting anchor to degrade /health", timeout=10)
    assert client.get("/health").json()["oldest_open_job_seconds"] >= 2
    # Documents fixed by an older version of the service, before batches were jobs: the worker gives them their job.
    with sessions() as session:
        session.delete(session.get_one(ChainJob, jobs[1].id))
        session.commit()
    drain(client)
    jobs = bureau_jobs()
    assert [(job.kind, job.status) for job in jobs] == [("update_status_list", "done"), ("anchor_batch", "done")], "one anchor, not two"
    assert jobs[1].payload["key"] == certificate.credential_batch
    assert [client.get(f"/chain/jobs/{job.id}").json()["status"] for job in jobs] == ["done", "done"]
    number = certificate.chain_certificate_id
    credential = client.get(f"/certificates/{number}/credential").json()
    assert verify(client, credential)["outcome"] == "valid"

    people.admin.request("POST", f"/resources/{resource}/versions/1/withdrawal", json={"reason_code": "infringement"})
    drain(client)
    revocation = bureau_jobs()[-1]
    assert revocation.kind == "update_status_list" and revocation.id > jobs[1].id and revocation.status == "done"
    assert revocation.payload["list_id"] == certificate.status_list_id and revocation.subject == jobs[1].subject
    assert verify(client, credential)["outcome"] == "invalid", "revoked as a credential too, by a job after the batch's"
