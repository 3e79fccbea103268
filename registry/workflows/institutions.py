"""Institutions in the accreditation tree: registered under a parent (on chain through a chain job
committed with the row), renamed by their administrators.

Names are one line of text: runs of whitespace become one space; control characters and angle
brackets are refused (they end up in PDFs, pages and credentials).
"""

from __future__ import annotations

import secrets

from sqlalchemy.orm import Session

from ..chain.jobs import enqueue
from ..core.errors import InvalidRequestError, PermissionDeniedError, ResourceNotFoundError
from ..crud import resources as resources_crud
from ..crud import users as users_crud
from ..models import Institution, ResourceVersion

__all__ = ["accepted_resources", "clean_name", "register_institution", "rename_institution"]


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


def accepted_resources(
    session: Session, institution_id: str, *, viewer: str, roles: frozenset[str], viewer_institution: str | None, offset: int, limit: int
) -> tuple[int, list[ResourceVersion]]:
    """The accepted resources submitted from a school, for the school's issuers (who nominate them on its
    behalf, 学校推荐) and administrators: (how many, a page)."""
    if session.get(Institution, institution_id) is None:
        raise ResourceNotFoundError(f"no institution {institution_id}")
    if "admin" not in roles and not ("issuer" in roles and viewer_institution == institution_id):
        raise PermissionDeniedError(f"{viewer} is neither an administrator nor an issuer of {institution_id}")
    return resources_crud.institution_accepted(session=session, institution_id=institution_id, offset=offset, limit=limit)
