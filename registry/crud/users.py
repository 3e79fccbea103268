"""Accounts the registry knows: their institution and the roles the database grants them."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import InvalidRequestError, ResourceNotFoundError
from ..models import Institution, RoleGrant, User

__all__ = ["DB_ROLES", "db_roles", "get_institution", "get_user", "grant_role", "revoke_role", "upsert_user"]

DB_ROLES = ("teacher", "admin", "issuer")


def get_user(*, session: Session, address: str) -> User | None:
    return session.get(User, address)


def get_institution(*, session: Session, institution_id: str) -> Institution:
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise ResourceNotFoundError(f"no institution {institution_id}")
    return institution


def upsert_user(*, session: Session, address: str, institution_id: str | None) -> User:
    if institution_id is not None:
        get_institution(session=session, institution_id=institution_id)
    user = session.get(User, address)
    if user is None:
        user = User(address=address, institution_id=institution_id)
        session.add(user)
    elif institution_id is not None:
        user.institution_id = institution_id
    session.flush()
    return user


def db_roles(*, session: Session, address: str) -> set[str]:
    return set(session.scalars(select(RoleGrant.role).where(RoleGrant.address == address)))


def grant_role(*, session: Session, address: str, role: str, granted_by: str) -> None:
    if role not in DB_ROLES:
        raise InvalidRequestError(f"the database grants {', '.join(DB_ROLES)}; {role!r} is not one of them")
    if session.scalar(select(RoleGrant).where(RoleGrant.address == address, RoleGrant.role == role)) is None:
        session.add(RoleGrant(address=address, role=role, granted_by=granted_by))
        session.flush()


def revoke_role(*, session: Session, address: str, role: str) -> None:
    grant = session.scalar(select(RoleGrant).where(RoleGrant.address == address, RoleGrant.role == role))
    if grant is not None:
        session.delete(grant)
        session.flush()
