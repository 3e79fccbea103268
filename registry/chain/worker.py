"""The chain worker: carries out committed chain jobs, in the background, and survives restarts.

A cycle: (1) hashes of new workflow events of registered versions become one ``record_decisions``
job (and a programme's decisions about nominees one ``record_programme_decisions`` job); (2) ready
jobs (their subject's previous job done) are built into calls and submitted in one go through the
relayer's durable outbox — or, for an institution's own writes (the job's ``sender``), that
institution's issuer key's outbox — each under its own key, so a job
resent after a crash returns its first transaction instead of sending a second; (3) receipts are
awaited and applied to the database. A chain that does not answer leaves the jobs where they are
and the worker tries again.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ledger_service import ChainError, ContractRevertError, EduLedgerError
from ledger_service.chain import ContractCall, Ledger, OutboxStatus, Receipt, TransactionSender

from ..models import ChainJob, JobStatus, Nominee, ProgrammeEvent, ResourceVersion, WorkflowEvent, utcnow
from .jobs import JOB_KINDS, NOTHING_TO_SEND, JobKind

__all__ = ["ChainWorker"]

log = logging.getLogger("registry.chain")

_DECISIONS_PER_TRANSACTION = 400
_CONTRACTS = ("ResourceRegistry", "CertificateRegistry", "InstitutionRegistry", "CredentialAnchor")


class ChainWorker:
    """Runs chain jobs for one relayer key. ``start`` runs it in a thread; tests call :meth:`drain`."""

    def __init__(self, ledger: Ledger, sessions: sessionmaker[Session], *, batch_size: int = 500, idle_interval: float = 1.0) -> None:
        self.ledger = ledger
        self.sessions = sessions
        self.batch_size = batch_size
        self.idle_interval = idle_interval
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._cycle_lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self.last_error: str | None = None
        # Told the logs of the chain jobs that landed (first block, last block, logs), like ServiceMonitor's listeners.
        self.after_apply: list[Callable[[int, int, list[dict[str, Any]] | None], None]] = []
        self.after_cycle: list[Callable[[], None]] = []  # follow-up work on what landed (certificates as credentials)
        self.kinds: dict[str, JobKind] = dict(JOB_KINDS)
        self._senders: Callable[[Session, str], TransactionSender] | None = None

    def add_kinds(self, kinds: dict[str, JobKind], senders: Callable[[Session, str], TransactionSender]) -> None:
        """Kinds of job sent by other keys than the relayer's: ``senders`` gives the sender of a job's ``sender`` address."""
        self.kinds.update(kinds)
        self._senders = senders

    def _sender_of(self, session: Session, job: ChainJob) -> TransactionSender:
        if job.sender is None:
            return self.ledger.sender
        assert self._senders is not None, f"chain job {job.id} names a sender and no one gave the worker senders"
        return self._senders(session, job.sender)

    # Lifecycle...

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="chain-worker", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def notify(self) -> None:
        """New jobs were committed: run a cycle soon."""
        self._wake.set()

    def _run(self) -> None:
        backoff = self.idle_interval
        while not self._stop.is_set():
            self._wake.wait(backoff)
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                while self.run_cycle() and not self._stop.is_set():
                    pass
                backoff = self.idle_interval
                self.last_error = None
            except ChainError as exc:  # the chain is away: keep the jobs, try again later
                self.last_error = f"{type(exc).__name__}: {exc}"
                log.warning("chain jobs wait: %s", self.last_error)
                backoff = min(backoff * 2, 30.0)
            except Exception:  # a bug must not stop the worker for good
                log.exception("chain worker cycle failed")
                backoff = min(backoff * 2, 30.0)

    def drain(self, timeout: float = 60.0) -> None:
        """Run cycles until no job is pending or sent and every event that can be recorded on chain
        has its job (raises TimeoutError otherwise)."""
        deadline = time.monotonic() + timeout
        while True:
            self.run_cycle()
            if not self.open_jobs() and not self.unrecorded_events():
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.open_jobs()} chain job(s) still open after {timeout:.0f} s")
            time.sleep(0.05)

    def unrecorded_events(self) -> int:
        """Workflow and programme events whose version is on chain but whose hash has no chain job yet."""
        with self.sessions() as session:
            review = (
                session.scalar(
                    select(func.count())
                    .select_from(WorkflowEvent)
                    .join(ResourceVersion, ResourceVersion.id == WorkflowEvent.version_id)
                    .where(WorkflowEvent.chain_job_id.is_(None), ResourceVersion.chain_resource_id.is_not(None))
                )
                or 0
            )
            programme = (
                session.scalar(
                    select(func.count())
                    .select_from(ProgrammeEvent)
                    .join(Nominee, Nominee.id == ProgrammeEvent.nominee_id)
                    .join(ResourceVersion, ResourceVersion.id == Nominee.version_id)
                    .where(ProgrammeEvent.chain_job_id.is_(None), ResourceVersion.chain_resource_id.is_not(None))
                )
                or 0
            )
            return int(review) + int(programme)

    def open_since(self) -> datetime | None:
        """When the oldest job still pending or sent was committed, or None."""
        with self.sessions() as session:
            return session.scalar(select(func.min(ChainJob.created_at)).where(ChainJob.status.in_([JobStatus.PENDING, JobStatus.SENT])))

    def failed_writes(self) -> tuple[int, str | None]:
        """An institution's chain writes that failed with nothing of that institution done since (its key
        revoked on chain, its accreditation withdrawn): how many, and the latest one's job and error.
        They are not retried, so nothing else would show that its batches and status changes wait."""
        with self.sessions() as session:  # the monitor asks every 0.2 s: failed jobs are few, each subject's last success one lookup
            failed = list(
                session.execute(
                    select(ChainJob.id, ChainJob.subject, ChainJob.error)
                    .where(ChainJob.status == JobStatus.FAILED, ChainJob.sender.is_not(None))
                    .order_by(ChainJob.id.desc())
                )
            )
            if not failed:
                return 0, None
            last_done = {
                subject: session.scalar(select(func.max(ChainJob.id)).where(ChainJob.subject == subject, ChainJob.status == JobStatus.DONE))
                for subject in {subject for _, subject, _ in failed}
            }
            standing = [(job_id, error) for job_id, subject, error in failed if job_id > (last_done[subject] or 0)]
            if not standing:
                return 0, None
            job_id, error = standing[0]
            return len(standing), f"job {job_id}: {error}"

    def open_jobs(self) -> int:
        with self.sessions() as session:
            return int(session.scalar(select(func.count()).where(ChainJob.status.in_([JobStatus.PENDING, JobStatus.SENT]))) or 0)

    # One cycle...

    def run_cycle(self) -> int:
        """Do what can be done now; returns how many jobs finished."""
        with self._cycle_lock:
            done = self._cycle()
            for follow_up in self.after_cycle:
                try:
                    follow_up()
                except EduLedgerError as exc:  # its own failure: the chain jobs go on regardless
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("follow-up after chain jobs failed: %s", self.last_error)
            return done

    def _cycle(self) -> int:
        self._batch_decision_records()
        with self.sessions() as session:
            calls = self._ready_calls(session)
            session.commit()
            if not calls:
                return 0
            groups: dict[str | None, list[tuple[ChainJob, ContractCall]]] = {}
            for job, call in calls:
                groups.setdefault(job.sender, []).append((job, call))
            waiting = []
            for group in groups.values():  # the relayer's jobs, then each institution's, each through its own outbox
                try:
                    sender = self._sender_of(session, group[0][0])
                except ChainError:
                    raise
                except EduLedgerError as exc:  # that key cannot send now: its jobs wait, the others go on
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    log.warning("chain jobs of %s wait: %s", group[0][0].sender, self.last_error)
                    continue
                sent = self._submit(session, sender, group)
                session.commit()
                if sent:
                    waiting.append((sender, sent))
            logs: list[dict[str, Any]] = []
            blocks: list[int] = []
            for sender, sent in waiting:
                receipts = sender.wait([job.tx_hash or "" for job, _ in sent])
                for (job, _), receipt in zip(sent, receipts, strict=True):
                    self._finish(session, sender, job, receipt)
                session.commit()
                logs.extend(entry for receipt in receipts for entry in receipt.logs)
                blocks.extend(receipt.block_number for receipt in receipts)
            if blocks:
                for listener in self.after_apply:
                    listener(min(blocks), max(blocks), logs)
            return len(calls)

    def _batch_decision_records(self) -> None:
        with self.sessions() as session:
            ready = list(
                session.scalars(
                    select(WorkflowEvent.id)
                    .join(ResourceVersion, ResourceVersion.id == WorkflowEvent.version_id)
                    .where(WorkflowEvent.chain_job_id.is_(None), ResourceVersion.chain_resource_id.is_not(None))
                    .order_by(WorkflowEvent.id)
                    .limit(self.batch_size * _DECISIONS_PER_TRANSACTION)
                )
            )
            for start in range(0, len(ready), _DECISIONS_PER_TRANSACTION):
                ids = ready[start : start + _DECISIONS_PER_TRANSACTION]
                job = ChainJob(kind="record_decisions", payload={"event_ids": ids})
                session.add(job)
                session.flush()
                for event in session.scalars(select(WorkflowEvent).where(WorkflowEvent.id.in_(ids))):
                    event.chain_job_id = job.id
            # A programme's decisions about nominees, recorded under each nominee's resource the same way.
            programme_ready = list(
                session.scalars(
                    select(ProgrammeEvent.id)
                    .join(Nominee, Nominee.id == ProgrammeEvent.nominee_id)
                    .join(ResourceVersion, ResourceVersion.id == Nominee.version_id)
                    .where(ProgrammeEvent.chain_job_id.is_(None), ResourceVersion.chain_resource_id.is_not(None))
                    .order_by(ProgrammeEvent.id)
                    .limit(self.batch_size * _DECISIONS_PER_TRANSACTION)
                )
            )
            for start in range(0, len(programme_ready), _DECISIONS_PER_TRANSACTION):
                ids = programme_ready[start : start + _DECISIONS_PER_TRANSACTION]
                job = ChainJob(kind="record_programme_decisions", payload={"event_ids": ids})
                session.add(job)
                session.flush()
                for programme_event in session.scalars(select(ProgrammeEvent).where(ProgrammeEvent.id.in_(ids))):
                    programme_event.chain_job_id = job.id
            session.commit()

    def _ready_calls(self, session: Session) -> list[tuple[ChainJob, ContractCall]]:
        jobs = list(
            session.scalars(
                select(ChainJob)
                .where(ChainJob.status.in_([JobStatus.PENDING, JobStatus.SENT]))
                .order_by(ChainJob.id)
                .limit(self.batch_size)
            )
        )
        dependencies = {
            job.id: job for job in session.scalars(select(ChainJob).where(ChainJob.id.in_({j.depends_on for j in jobs if j.depends_on})))
        }
        calls = []
        for job in jobs:
            kind = self.kinds.get(job.kind)
            if kind is None:
                continue  # an institution's write, while no one gave this worker its kinds: it waits
            if job.depends_on is not None:
                previous = dependencies[job.depends_on]
                if previous.status == JobStatus.FAILED and not kind.after_failure:
                    self._fail(session, job, f"an earlier chain write for {job.subject} failed (job {previous.id}): {previous.error}")
                    continue
                if previous.status not in (JobStatus.DONE, JobStatus.FAILED):
                    continue
            try:
                built = kind.build(session, job, self.ledger)
            except EduLedgerError as exc:
                self._fail(session, job, f"{type(exc).__name__}: {exc}")
                continue
            if built == NOTHING_TO_SEND:
                job.status = JobStatus.DONE
            elif isinstance(built, ContractCall):
                calls.append((job, built))
        return calls

    def _submit(
        self, session: Session, sender: TransactionSender, calls: list[tuple[ChainJob, ContractCall]]
    ) -> list[tuple[ChainJob, ContractCall]]:
        """Journal and send; a call whose gas estimate reverts fails its job and the rest go on."""
        pending = list(calls)
        while pending:
            try:
                entries = sender.submit([call for _, call in pending])
                break
            except ContractRevertError as exc:
                index = getattr(exc, "index", None)
                if index is None:
                    raise
                job, _ = pending.pop(index)
                self._fail(session, job, f"{type(exc).__name__}: {exc}")
        else:
            return []
        sent = []
        for (job, call), entry in zip(pending, entries, strict=True):
            if entry.status == OutboxStatus.FAILED and entry.error != "reverted":
                # Journaled before a crash, then dropped by the node: it never landed, so retry it.
                job.attempts += 1
                job.status = JobStatus.PENDING
                continue
            job.status = JobStatus.SENT
            job.tx_hash = entry.tx_hash
            sent.append((job, call))
        return sent

    def _finish(self, session: Session, sender: TransactionSender, job: ChainJob, receipt: Receipt) -> None:
        job.block_number = receipt.block_number
        if not receipt.succeeded:
            error = sender.revert_reason(receipt)
            self._fail(session, job, f"{type(error).__name__}: {error}")
            return
        events = []
        for name in _CONTRACTS:
            events.extend(self.ledger.contracts[name].decode_logs(receipt.logs))
        self.kinds[job.kind].apply(session, job, events)
        job.status = JobStatus.DONE
        job.updated_at = utcnow()

    def _fail(self, session: Session, job: ChainJob, error: str) -> None:
        log.warning("chain job %s (%s) failed: %s", job.id, job.kind, error)
        job.status = JobStatus.FAILED
        job.error = error[:2000]
        self.kinds[job.kind].fail(session, job, job.error)

    def failed_jobs(self, kinds: Sequence[str] | None = None) -> list[ChainJob]:
        with self.sessions() as session:
            query = select(ChainJob).where(ChainJob.status == JobStatus.FAILED)
            if kinds:
                query = query.where(ChainJob.kind.in_(kinds))
            return list(session.scalars(query.order_by(ChainJob.id)))
