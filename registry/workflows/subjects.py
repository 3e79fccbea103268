"""A subject's personal data, for the institution that issued to them: read from the vault, or
erased (crypto-shredding) once every batch naming them is anchored. Another institution's subject
is not found (404), an account of no institution is refused (403)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_service import SubjectNotFoundError
from ledger_service.vault import Vault

from ..core.errors import ConflictError, PermissionDeniedError, ResourceNotFoundError
from ..models import CredentialBatch, IssuedCredential

__all__ = ["PERSONAL_FIELDS", "erase_subject", "read_subject"]

PERSONAL_FIELDS = ("name", "student_number", "staff_number", "birth_date", "guardian", "contact")


def _check_issued_to(session: Session, institution_id: str | None, subject_id: str) -> None:
    if institution_id is None:
        raise PermissionDeniedError("the account belongs to no institution; an administrator sets it (PUT /users/{address})")
    issued = session.scalar(
        select(IssuedCredential.id)
        .where(IssuedCredential.subject_id == subject_id, IssuedCredential.institution_id == institution_id)
        .limit(1)
    )
    if issued is None:
        raise ResourceNotFoundError(f"the institution issued nothing to subject {subject_id}")


def read_subject(session: Session, vault: Vault, *, institution_id: str | None, subject_id: str) -> dict[str, Any]:
    """The personal data the vault holds for ``subject_id`` (an erased subject: SubjectErasedError, 410)."""
    _check_issued_to(session, institution_id, subject_id)
    found: dict[str, Any] = {}
    for name in PERSONAL_FIELDS:
        try:
            found[name] = vault.get(subject_id, name)
        except SubjectNotFoundError:
            continue  # a field this subject never had
    return {"subject_id": subject_id, **found}


def erase_subject(session: Session, vault: Vault, *, institution_id: str | None, subject_id: str) -> None:
    """Erase ``subject_id``'s personal data and the registry's copies of their credentials, unless a
    batch naming them is not anchored yet (409 ``batch_unfinished``: finish it first)."""
    _check_issued_to(session, institution_id, subject_id)
    unfinished = session.scalar(
        select(CredentialBatch.key)
        .join(IssuedCredential, IssuedCredential.batch_id == CredentialBatch.id)
        .where(IssuedCredential.subject_id == subject_id, CredentialBatch.completed_at.is_(None))
        .limit(1)
    )
    if unfinished is not None:
        raise ConflictError(
            f"batch {unfinished!r} naming the subject is not anchored yet; finish it (send its key again), then erase",
            code="batch_unfinished",
        )
    vault.erase(subject_id)
