"""The kinds of chain job: how each becomes a transaction, and what its receipt changes.

Every kind has a ``build`` (the :class:`ContractCall`, or :data:`NOT_READY` / :data:`NOTHING_TO_SEND`),
an ``apply`` (on success, given the decoded events) and a ``fail`` (on revert or refusal). Jobs about
the same record (their ``subject``) run one after another, in the order they were made.

The kinds here are the relayer's. An institution's own writes (:data:`ISSUER_JOB_KINDS`: batch anchors
and status-list updates, sent by its issuer key, the job's ``sender``) are defined by the issuance
workflow, which holds the keys, and given to the worker with :meth:`ChainWorker.add_kinds`.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from ledger_service.chain import RESOURCE_STATUSES, ContractCall, DecodedEvent, Ledger, Registration, register_call

from ..models import AuthorConfirmation, Certificate, ChainJob, Nominee, Programme, ProgrammeEvent, ResourceVersion, WorkflowEvent
from .contracts import CertificateContract, DirectoryContract, ResourceContract
from .directory import CERTIFICATE_KINDS, CERTIFICATE_LEVELS, INSTITUTION_KINDS, REVIEWER_ROLE

__all__ = ["ISSUER_JOB_KINDS", "JOB_KINDS", "NOTHING_TO_SEND", "NOT_READY", "JobKind", "enqueue", "registration_of"]

NOT_READY = "not-ready"  # an input is not on chain yet: try again next cycle
NOTHING_TO_SEND = "nothing-to-send"  # the job has become moot (e.g. revoking a certificate never issued)

Built = ContractCall | str


@dataclass(frozen=True)
class JobKind:
    build: Callable[[Session, ChainJob, Ledger], Built]
    apply: Callable[[Session, ChainJob, list[DecodedEvent]], None]
    fail: Callable[[Session, ChainJob, str], None]
    after_failure: bool = False  # runs when the subject's previous job failed too (otherwise it fails with it)


# Sent by an institution's own issuer key (the job's ``sender``); built by registry.workflows.issuance.
ISSUER_JOB_KINDS = ("anchor_batch", "update_status_list")


def enqueue(session: Session, kind: str, payload: dict[str, Any], *, subject: str | None = None, sender: str | None = None) -> ChainJob:
    """Add a job (committed with the caller's transaction); it waits for the subject's previous job.
    ``sender``: the address of the institution's issuer key that sends it (None: the relayer)."""
    if kind not in JOB_KINDS and kind not in ISSUER_JOB_KINDS:
        raise ValueError(f"unknown chain job kind {kind!r}")
    previous = None
    if subject is not None:
        previous = session.scalar(select(ChainJob.id).where(ChainJob.subject == subject).order_by(ChainJob.id.desc()).limit(1))
    job = ChainJob(kind=kind, subject=subject, payload=payload, depends_on=previous, sender=sender)
    session.add(job)
    session.flush()
    return job


def _key(job: ChainJob) -> str:
    return f"{job.key}:{job.attempts}"


def _nothing(*_: Any) -> None:
    return None


def _version(session: Session, job: ChainJob) -> ResourceVersion:
    return session.get_one(ResourceVersion, job.payload["version_id"])


def registration_of(version: ResourceVersion, predecessor_chain_id: int) -> Registration:
    """The EIP-712 registration the version's lead author signed."""
    return Registration(
        content_hash=bytes.fromhex(version.content_hash[2:]),
        cid=version.root_cid,
        metadata_hash=bytes.fromhex(version.metadata_hash[2:]),
        authors=[a["address"] for a in version.authors],
        shares=[int(a["share"]) for a in version.authors],
        licence=version.licence,
        nonce=version.nonce,
        deadline=version.deadline,
        predecessor=predecessor_chain_id,
    )


# Resource registration (确权)...


def _build_register(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    version = _version(session, job)
    predecessor = 0
    if version.predecessor_id is not None:
        chain_id = session.get_one(ResourceVersion, version.predecessor_id).chain_resource_id
        if chain_id is None:
            return NOT_READY
        predecessor = chain_id
    signature = bytes.fromhex(version.signature[2:])
    return register_call(ledger.contracts["ResourceRegistry"], registration_of(version, predecessor), signature, key=_key(job))


# The chain record of a version is written with a plain UPDATE: it is not a workflow change, so it
# must not bump the version's optimistic lock under a reviewer or administrator acting at the time.


def _apply_register(session: Session, job: ChainJob, events: list[DecodedEvent]) -> None:
    registered = next(e for e in events if e.name == "ResourceRegistered")
    session.execute(
        update(ResourceVersion)
        .where(ResourceVersion.id == job.payload["version_id"])
        .values(
            chain_resource_id=int(registered.args["resourceId"]),
            registration_tx=job.tx_hash,
            registration_block=job.block_number,
            chain_status="mined",
        )
    )


def _fail_register(session: Session, job: ChainJob, error: str) -> None:
    session.execute(
        update(ResourceVersion)
        .where(ResourceVersion.id == job.payload["version_id"])
        .values(
            chain_status="failed",
            chain_error=error,
        )
    )


# Co-authors' confirmations (they hold their share from then on)...


def _confirmation(session: Session, job: ChainJob) -> AuthorConfirmation:
    return session.get_one(AuthorConfirmation, job.payload["confirmation_id"])


def _build_confirmation(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    row = _confirmation(session, job)
    version = session.get_one(ResourceVersion, row.version_id)
    if version.chain_resource_id is None:
        return NOT_READY
    return ResourceContract.of(ledger).confirm_authorship(
        bytes.fromhex(version.content_hash[2:]),
        row.address,
        row.share,
        row.deadline,
        bytes.fromhex(row.signature[2:]),
        key=_key(job),
    )


def _apply_confirmation(session: Session, job: ChainJob, events: list[DecodedEvent]) -> None:
    row = _confirmation(session, job)
    row.chain_status, row.chain_tx = "mined", job.tx_hash


def _fail_confirmation(session: Session, job: ChainJob, error: str) -> None:
    row = _confirmation(session, job)
    row.chain_status, row.chain_error = "failed", error


# Resource status (入库 Included, 出库 Withdrawn, Superseded)...


def _build_status(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    version = _version(session, job)
    if version.chain_resource_id is None:
        return NOT_READY
    status = RESOURCE_STATUSES[job.payload["status"].lower()]  # "Included" and so on, as IResourceRegistry.Status names them
    return ResourceContract.of(ledger).set_status(version.chain_resource_id, status, int(job.payload.get("reason_code", 0)), key=_key(job))


# Review-workflow event hashes...


def _events(session: Session, job: ChainJob) -> list[WorkflowEvent]:
    return list(session.scalars(select(WorkflowEvent).where(WorkflowEvent.id.in_(job.payload["event_ids"])).order_by(WorkflowEvent.id)))


def _build_decisions(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    events = _events(session, job)
    chain_ids = []
    for event in events:
        chain_id = session.get_one(ResourceVersion, event.version_id).chain_resource_id
        if chain_id is None:
            return NOT_READY
        chain_ids.append(chain_id)
    hashes = [bytes.fromhex(event.hash[2:]) for event in events]
    return ResourceContract.of(ledger).record_decisions(chain_ids, hashes, key=_key(job))


def _apply_decisions(session: Session, job: ChainJob, events: list[DecodedEvent]) -> None:
    recorded = {"0x" + bytes(e.args["decisionHash"]).hex() for e in events if e.name == "DecisionRecorded"}
    for event in _events(session, job):
        if event.hash in recorded:
            event.chain_tx = job.tx_hash
            event.chain_block = job.block_number


# Programme decision hashes (under the nominee's resource, like review events)...


def _programme_events(session: Session, job: ChainJob) -> list[ProgrammeEvent]:
    return list(session.scalars(select(ProgrammeEvent).where(ProgrammeEvent.id.in_(job.payload["event_ids"])).order_by(ProgrammeEvent.id)))


def _build_programme_decisions(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    events = _programme_events(session, job)
    chain_ids = []
    for event in events:
        nominee = session.get_one(Nominee, event.nominee_id)
        chain_id = session.get_one(ResourceVersion, nominee.version_id).chain_resource_id
        if chain_id is None:
            return NOT_READY
        chain_ids.append(chain_id)
    hashes = [bytes.fromhex(event.hash[2:]) for event in events]
    return ResourceContract.of(ledger).record_decisions(chain_ids, hashes, key=_key(job))


def _apply_programme_decisions(session: Session, job: ChainJob, events: list[DecodedEvent]) -> None:
    recorded = {"0x" + bytes(e.args["decisionHash"]).hex() for e in events if e.name == "DecisionRecorded"}
    for event in _programme_events(session, job):
        if event.hash in recorded:
            event.chain_tx = job.tx_hash
            event.chain_block = job.block_number


# Certificates...


def _certificate(session: Session, job: ChainJob) -> Certificate:
    return session.get_one(Certificate, job.payload["certificate_id"])


def _build_issue(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    certificate = _certificate(session, job)
    chain_id = session.get_one(ResourceVersion, certificate.version_id).chain_resource_id
    if chain_id is None:
        return NOT_READY
    programme = b"\0" * 32
    if certificate.programme_id is not None:  # 入选 / 推荐: the programme's id goes on the record
        programme = bytes.fromhex(session.get_one(Programme, certificate.programme_id).chain_id[2:])
    return CertificateContract.of(ledger).issue(
        CERTIFICATE_KINDS[certificate.kind], chain_id, CERTIFICATE_LEVELS[certificate.level], programme, key=_key(job)
    )


def _apply_issue(session: Session, job: ChainJob, events: list[DecodedEvent]) -> None:
    certificate = _certificate(session, job)
    issued = next(e for e in events if e.name == "CertificateIssued")
    certificate.chain_certificate_id = int(issued.args["certificateId"])
    certificate.issued_tx = job.tx_hash
    if certificate.status == "pending":
        certificate.status = "issued"


def _fail_issue(session: Session, job: ChainJob, error: str) -> None:
    _certificate(session, job).status = "failed"


def _build_revoke(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    certificate = _certificate(session, job)
    if certificate.chain_certificate_id is None:
        return NOTHING_TO_SEND  # its issue failed: there is nothing on chain to revoke
    return CertificateContract.of(ledger).revoke(certificate.chain_certificate_id, int(job.payload["reason_code"]), key=_key(job))


def _apply_revoke(session: Session, job: ChainJob, events: list[DecodedEvent]) -> None:
    certificate = _certificate(session, job)
    certificate.status = "revoked"
    certificate.revoked_tx = job.tx_hash


# Institutions and roles...


def _build_institution(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    payload = job.payload
    parent = bytes.fromhex(payload["parent_id"][2:]) if payload.get("parent_id") else b"\0" * 32
    return DirectoryContract.of(ledger).register_institution(
        bytes.fromhex(payload["institution_id"][2:]),
        parent,
        INSTITUTION_KINDS[payload["kind"]],
        payload["admin"],
        key=_key(job),
    )


def _build_fund(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    return ContractCall(to=job.payload["address"], data=b"", value=int(job.payload["wei"]), key=_key(job), label="fund issuer key")


def _build_accredit(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    directory = DirectoryContract.of(ledger)
    institution, credential_type = bytes.fromhex(job.payload["institution_id"][2:]), bytes.fromhex(job.payload["credential_type"][2:])
    if directory.is_accredited(institution, credential_type, int(time.time())):
        return NOTHING_TO_SEND
    return directory.accredit(institution, credential_type, key=_key(job))


def _build_issuer_key(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    directory = DirectoryContract.of(ledger)
    institution = bytes.fromhex(job.payload["institution_id"][2:])
    if job.kind == "add_issuer_key":
        return directory.add_issuer_key(institution, job.payload["address"], key=_key(job))
    return directory.add_signing_key(institution, bytes.fromhex(job.payload["public_key"]), key=_key(job))


def _build_role(session: Session, job: ChainJob, ledger: Ledger) -> Built:
    directory = DirectoryContract.of(ledger)
    change = directory.grant_role if job.kind == "grant_reviewer" else directory.revoke_role
    return change(REVIEWER_ROLE, job.payload["address"], key=_key(job))


JOB_KINDS: dict[str, JobKind] = {
    "register_resource": JobKind(_build_register, _apply_register, _fail_register),
    "confirm_authorship": JobKind(_build_confirmation, _apply_confirmation, _fail_confirmation),
    "set_resource_status": JobKind(_build_status, _nothing, _nothing),
    "record_decisions": JobKind(_build_decisions, _apply_decisions, _nothing),
    "record_programme_decisions": JobKind(_build_programme_decisions, _apply_programme_decisions, _nothing),
    "issue_certificate": JobKind(_build_issue, _apply_issue, _fail_issue),
    "revoke_certificate": JobKind(_build_revoke, _apply_revoke, _nothing),
    "register_institution": JobKind(_build_institution, _nothing, _nothing),
    "grant_reviewer": JobKind(_build_role, _nothing, _nothing),
    "revoke_reviewer": JobKind(_build_role, _nothing, _nothing),
    "fund_account": JobKind(_build_fund, _nothing, _nothing),
    "accredit": JobKind(_build_accredit, _nothing, _nothing),
    "add_issuer_key": JobKind(_build_issuer_key, _nothing, _nothing),
    "add_signing_key": JobKind(_build_issuer_key, _nothing, _nothing),
}
