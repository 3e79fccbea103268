"""Institutions in the accreditation tree: registered under a parent (on chain through a chain job
committed with the row), renamed by their administrators.

Names are one line of text: runs of whitespace become one space; control characters and angle
brackets are refused (they end up in PDFs, pages and credentials).
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from ..chain.jobs import enqueue
from ..core.errors import InvalidRequestError
from ..crud import users as users_crud
from ..models import Institution

__all__ = ["clean_name", "register_institution", "rename_institution"]


def clean_name(name: str) -> str:
    """``name`` on one line, or :class:`InvalidRequestError` naming what is wrong with it."""
    cleaned = " ".join(name.split())
    if not cleaned or any(ord(c) < 32 or c in "<>" for c in cleaned):
        raise InvalidRequestError("the name is empty or holds control characters or angle brackets")
    return cleaned


def register_institution(session: Session, *, name: str, kind: str, parent_id: str, admin_address: str) -> Institution:
    """A district or school under ``parent_id``, and the chain job that registers it (same
    transaction: the caller commits, then wakes the worker)."""
    parent = users_crud.get_institution(session=session, institution_id=parent_id)
    institution = Institution(
        id="0x" + secrets.token_bytes(32).hex(), name=clean_name(name), kind=kind, parent_id=parent.id, admin_address=admin_address
    )
    session.add(institution)
    session.flush()
    job = enqueue(
        session,
        "register_institution",
        {"institution_id": institution.id, "parent_id": parent.id, "kind": institution.kind, "admin": institution.admin_address},
        subject=f"institution:{institution.id}",
    )
    institution.chain_job_id = job.id
    return institution


def rename_institution(institution: Institution, name: str) -> None:
    """Give ``institution`` a new name (the caller commits)."""
    institution.name = clean_name(name)
