"""What an institution has issued: its batches, newest first, with how many of each status; who its
subjects are, for the institution's own issuers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger_service import SubjectErasedError, SubjectNotFoundError
from ledger_service.vault import Vault

from ..models import CredentialBatch, IssuedCredential

__all__ = ["BatchSummary", "list_batches", "subject_labels"]


@dataclass(frozen=True)
class BatchSummary:
    batch: CredentialBatch
    statuses: dict[str, int]


def list_batches(*, session: Session, institution_id: str, limit: int, offset: int) -> tuple[list[BatchSummary], int]:
    """A page of the institution's batches (newest first) and how many there are in all."""
    total = session.scalar(select(func.count()).select_from(CredentialBatch).where(CredentialBatch.institution_id == institution_id))
    batches = list(
        session.scalars(
            select(CredentialBatch)
            .where(CredentialBatch.institution_id == institution_id)
            .order_by(CredentialBatch.created_at.desc(), CredentialBatch.id.desc())
            .limit(limit)
            .offset(offset)
        )
    )
    counts: dict[int, dict[str, int]] = {batch.id: {} for batch in batches}
    if batches:
        rows = session.execute(
            select(IssuedCredential.batch_id, IssuedCredential.status, func.count())
            .where(IssuedCredential.batch_id.in_(counts))
            .group_by(IssuedCredential.batch_id, IssuedCredential.status)
        )
        for batch_id, status, count in rows:
            counts[batch_id][status] = count
    return [BatchSummary(batch, counts[batch.id]) for batch in batches], int(total or 0)


def subject_labels(*, session: Session, vault: Vault, batch_id: int) -> list[tuple[str, str | None, dict[str, str] | None]]:
    """Each credential of a batch (in order), its subject, and the subject's name and number (学籍号 or
    工号) decrypted for their school's issuer so a record can be found by the person it is about;
    ``None`` once the subject is erased."""
    found: list[tuple[str, str | None, dict[str, str] | None]] = []
    credentials = session.execute(
        select(IssuedCredential.id, IssuedCredential.subject_id)
        .where(IssuedCredential.batch_id == batch_id)
        .order_by(IssuedCredential.position)
    )
    for credential_id, subject_id in credentials:
        label: dict[str, str] | None = None
        if subject_id is not None:
            try:
                label = {}
                for name in ("name", "student_number", "staff_number"):
                    try:
                        label[name] = str(vault.get(subject_id, name))
                    except SubjectNotFoundError:
                        continue
            except SubjectErasedError:
                label = None
        found.append((credential_id, subject_id, label))
    return found
