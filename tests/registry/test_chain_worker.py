"""The chain worker: a job journaled just before a crash is not sent twice; a job the chain refuses
fails visibly, and the jobs that depend on it fail with it instead of silently disappearing."""

from __future__ import annotations

import time
import uuid

from sqlalchemy import select

from ledger_service.chain import Eip712Domain, Ledger, Registration, register_call
from registry.chain.jobs import JOB_KINDS
from registry.models import ChainJob, JobStatus
from tests.registry.conftest import ClientFactory
from tests.utils.registry import drain, lesson_bundle, lesson_metadata, new_signer, review_and_accept, set_up_people


def test_a_job_journaled_before_a_crash_is_sent_once(make_client: ClientFactory) -> None:
    client = make_client(WORKER=False)
    people = set_up_people(client, reviewers=0)
    files = lesson_bundle(f"journaled-{uuid.uuid4()}")
    version = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files))
    app = client.app
    ledger: Ledger = app.state.ledger  # type: ignore[attr-defined]
    with app.state.sessions() as db:  # type: ignore[attr-defined]
        job = db.scalar(select(ChainJob).where(ChainJob.kind == "register_resource", ChainJob.status == JobStatus.PENDING))
        assert job is not None
        call = JOB_KINDS[job.kind].build(db, job, ledger)
        (entry,) = ledger.sender.submit([call])  # journaled and sent: then the worker "crashes" before writing it down
    drain(client)
    with app.state.sessions() as db:  # type: ignore[attr-defined]
        done = db.get_one(ChainJob, job.id)
        assert done.status == JobStatus.DONE and done.tx_hash == entry.tx_hash, "the first transaction, not a second one"
    registry = ledger.contracts["ResourceRegistry"]
    content_hash = bytes.fromhex(version["content_hash"][2:])
    logs = ledger.rpc.request(
        "eth_getLogs",
        [{"address": registry.address, "fromBlock": "0x0", "toBlock": "latest", "topics": [None, None, "0x" + content_hash.hex()]}],
    )
    assert len(registry.decode_logs(logs)) == 1


def test_a_refused_registration_fails_visibly_and_takes_its_dependants_with_it(make_client: ClientFactory) -> None:
    client = make_client(WORKER=False)
    people = set_up_people(client)
    files = lesson_bundle(f"front-run-{uuid.uuid4()}")
    version = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files))
    # Someone registers the same content on chain first (through the registrar, as another author).
    ledger: Ledger = client.app.state.ledger  # type: ignore[attr-defined]
    registry = ledger.contracts["ResourceRegistry"]
    rival = new_signer()
    registration = Registration(
        content_hash=bytes.fromhex(version["content_hash"][2:]),
        cid=version["cid"],
        metadata_hash=b"\1" * 32,
        authors=[rival.address],
        shares=[10_000],
        licence="CC0-1.0",
        nonce=0,
        deadline=int(time.time()) + 600,
    )
    signature = rival.sign_digest(Eip712Domain(ledger.chain_id, registry.address).digest(registration.struct_hash()))
    ledger.sender.transact(register_call(registry, registration, signature))
    path = f"/resources/{version['resource_id']}/versions/1"
    review_and_accept(people, version)
    drain(client)
    failed = people.teacher.request("GET", path)
    assert failed["chain"]["status"] == "failed" and "ResourceRegistryDuplicateContent" in failed["chain"]["error"]
    assert [c["status"] for c in failed["certificates"]] == ["failed"], "no certificate for content someone else registered"
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        jobs = list(db.scalars(select(ChainJob).where(ChainJob.subject == f"version:{_version_id(db, version)}")))
    assert {j.status for j in jobs} == {JobStatus.FAILED}
    assert any("an earlier chain write" in (j.error or "") for j in jobs)
    history = people.teacher.request("GET", path + "/history")
    assert history["intact"] and history["recorded_on_chain"] == 0, "no chain record to attach the events to"


def _version_id(db, version: dict) -> int:  # type: ignore[no-untyped-def, type-arg]
    from registry.models import ResourceVersion

    return int(db.scalar(select(ResourceVersion.id).where(ResourceVersion.content_hash == version["content_hash"])))


def test_submissions_answer_before_the_chain(make_client: ClientFactory) -> None:
    """A submission answers at once with its registration pending; the hash appears once mined."""
    client = make_client(WORKER=False)
    people = set_up_people(client, reviewers=0)
    files = lesson_bundle(f"fast-{uuid.uuid4()}")
    version = people.teacher.submit(files, lesson_metadata(people.teacher.signer.address, files))
    assert version["chain"]["tx_hash"] is None and version["chain"]["status"] == "pending"
    drain(client)
    assert people.teacher.request("GET", f"/resources/{version['resource_id']}/versions/1")["chain"]["tx_hash"]
