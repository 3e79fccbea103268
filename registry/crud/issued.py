"""What an institution has issued: its batches, newest first, with how many of each status."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..models import CredentialBatch, IssuedCredential

__all__ = ["BatchSummary", "list_batches"]


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
