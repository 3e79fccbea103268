"""What an institution has issued: its batches, newest first, with how many of each status; who its
subjects are, for the institution's own issuers."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ledger_service import SubjectErasedError, SubjectNotFoundError
from ledger_service.vault import Vault

from ..models import CredentialBatch, CredentialStatusChange, IssuedCredential

__all__ = ["BatchSummary", "latest_status_changes", "list_batches", "record_status_change", "subject_labels"]


@dataclass(frozen=True)
class BatchSummary:
    batch: CredentialBatch
    statuses: dict[str, int]


def list_batches(*, session: Session, institution_id: str, limit: int, offset: int) -> tuple[list[BatchSummary], int]:
    """A page of the institution's batches (newest first) and how many there are in all."""
    total = session.scalar(select(func.count()).select_from(CredentialBatch).where(CredentialBatch.institution_id == institution_id))
    batches = list(session.scalars(
        select(CredentialBatch).where(CredentialBatch.institution_id == institution_id)
        .order_by(CredentialBatch.created_at.desc(), CredentialBatch.id.desc()).limit(limit).offset(offset)
    ))
    counts: dict[int, dict[str, int]] = {batch.id: {} for batch in batches}
    if batches:
        rows = session.execute(
            select(IssuedCredential.batch_id, IssuedCredential.status, func.count())
            .where(IssuedCredential.batch_id.in_(counts)).group_by(IssuedCredential.batch_id, IssuedCredential.status)
        )
        for batch_id, status, count in rows:
            counts[batch_id][status] = count
    return [BatchSummary(batch, counts[batch.id]) for batch in batches], int(total or 0)


def subject_labels(vault: Vault, subject_ids: list[str]) -> dict[str, dict[str, str] | None]:
    """Each subject's name and number (学籍号 or 工号), decrypted for their school's issuer so a
    record can be found by the person it is about; ``None`` for an erased subject."""
    labels: dict[str, dict[str, str] | None] = {}
    for subject_id in subject_ids:
        try:
            label = {}
            for name in ("name", "student_number", "staff_number"):
                try:
                    label[name] = str(vault.get(subject_id, name))
                except SubjectNotFoundError:
                    continue
            labels[subject_id] = label
        except SubjectErasedError:
            labels[subject_id] = None
    return labels


def record_status_change(*, session: Session, credential: IssuedCredential, action: str, reason: str | None, actor: str) -> None:
    """Keep why and by whom; added to the session, committed with the status change itself."""
    session.add(CredentialStatusChange(credential_id=credential.id, action=action, reason=reason, actor=actor))


def latest_status_changes(*, session: Session, credential_ids: list[str]) -> dict[str, CredentialStatusChange]:
    """The newest status change of each credential that has one."""
    if not credential_ids:
        return {}
    newest = (select(CredentialStatusChange.credential_id, func.max(CredentialStatusChange.id).label("id"))
              .where(CredentialStatusChange.credential_id.in_(credential_ids)).group_by(CredentialStatusChange.credential_id)
              .subquery())
    rows = session.scalars(select(CredentialStatusChange).join(newest, CredentialStatusChange.id == newest.c.id))
    return {row.credential_id: row for row in rows}
