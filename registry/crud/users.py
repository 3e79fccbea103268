"""Accounts the registry knows: their institution and their roles, as they are now.

An account's roles are asked on every request (never fixed in a session): ``teacher``, ``issuer``
and ``admin`` are granted by this database; ``reviewer`` on chain, and ``admin`` also to the
bureau's administrator on chain. A reviewer role an administrator removed stops at once, before
its revocation is mined: the revocation is a chain job in this database (:func:`reviewer_intent`).

A request that changes something is checked once more as it commits (:func:`hold_roles`): if a
role it relied on, or the account's institution, was taken away while it ran, nothing is applied.
On PostgreSQL the account's row is share-locked for that check and a role change locks it for
update, so the two are ordered one way or the other.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..core.errors import InvalidRequestError, PermissionDeniedError, ResourceNotFoundError
from ..models import ChainJob, Institution, RoleGrant, User

__all__ = [
    "DB_ROLES",
    "HeldRoles",
    "check_held_roles",
    "current_roles",
    "db_roles",
    "get_institution",
    "get_user",
    "grant_role",
    "hold_roles",
    "list_users",
    "lock_user",
    "reviewer_intent",
    "reviewer_jobs",
    "reviewer_subject",
    "revoke_role",
    "set_institution",
]

DB_ROLES = ("teacher", "admin", "issuer")
ChainRoles = Callable[[str], Collection[str]]


def get_user(*, session: Session, address: str) -> User | None:
    return session.get(User, address)


def get_institution(*, session: Session, institution_id: str) -> Institution:
    institution = session.get(Institution, institution_id)
    if institution is None:
        raise ResourceNotFoundError(f"no institution {institution_id}")
    return institution


def _changed(session: Session, address: str) -> None:
    """Note that this transaction changes ``address``'s roles or institution (its own check allows it)."""
    session.info.setdefault("accounts_changed", set()).add(address)


def lock_user(*, session: Session, address: str, acting: str | None = None) -> User:
    """The account's row, created if new, locked for update (PostgreSQL) while its roles change.

    The acting account's row is locked with it, the two in address order: two administrators
    changing each other at once then wait for one another instead of deadlocking, and the second
    finds, as it commits, whether the first took its powers away.
    """
    for other in sorted({address, acting or address}):
        session.execute(select(User.address).where(User.address == other).with_for_update())
    user = session.get(User, address)
    if user is None:
        user = User(address=address)
        session.add(user)
        session.flush()
    _changed(session, address)
    return user


def set_institution(*, session: Session, user: User, institution_id: str | None) -> None:
    """Attach the account to an institution, or detach it (``None``)."""
    if institution_id is not None:
        get_institution(session=session, institution_id=institution_id)
    user.institution_id = institution_id
    session.flush()


def db_roles(*, session: Session, address: str) -> set[str]:
    return set(session.scalars(select(RoleGrant.role).where(RoleGrant.address == address)))


def grant_role(*, session: Session, address: str, role: str, granted_by: str) -> None:
    if role not in DB_ROLES:
        raise InvalidRequestError(f"the database grants {', '.join(DB_ROLES)}; {role!r} is not one of them")
    _changed(session, address)
    if session.scalar(select(RoleGrant).where(RoleGrant.address == address, RoleGrant.role == role)) is None:
        session.add(RoleGrant(address=address, role=role, granted_by=granted_by))
        session.flush()


def revoke_role(*, session: Session, address: str, role: str) -> None:
    _changed(session, address)
    grant = session.scalar(select(RoleGrant).where(RoleGrant.address == address, RoleGrant.role == role))
    if grant is not None:
        session.delete(grant)
        session.flush()


def reviewer_subject(address: str) -> str:
    """The chain-job subject of ``address``'s reviewer role: its grants and revocations run in order."""
    return f"reviewer:{address}"


def reviewer_intent(*, session: Session, address: str) -> bool | None:
    """What this registry last decided about ``address``'s reviewer role (True: grant, False: revoke),
    mined or not; None if it never did (the chain alone decides)."""
    kind = session.scalar(select(ChainJob.kind).where(ChainJob.subject == reviewer_subject(address)).order_by(ChainJob.id.desc()).limit(1))
    return None if kind is None else kind == "grant_reviewer"


def current_roles(*, session: Session, address: str, chain_roles: ChainRoles) -> frozenset[str]:
    """The roles ``address`` holds now: the database's, and the chain's unless this registry revoked them."""
    roles = db_roles(session=session, address=address) | set(chain_roles(address))
    if "reviewer" in roles and reviewer_intent(session=session, address=address) is False:
        roles.discard("reviewer")  # revoked here; the revocation may still be on its way to the chain
    return frozenset(roles)


@dataclass(frozen=True)
class HeldRoles:
    """What a request acts with: checked again when it commits."""

    address: str
    roles: frozenset[str]  # the roles it relies on
    institution_id: str | None
    chain_roles: frozenset[str]  # the chain's answer when the request began


def hold_roles(session: Session, held: HeldRoles) -> None:
    """Check ``held`` again when ``session`` commits (see :func:`check_held_roles`)."""
    session.info["held_roles"] = held


def check_held_roles(session: Session, *_: Any) -> None:
    """A ``before_commit`` listener: refuse the commit if the acting account lost a role it relies on,
    or its institution, while the request ran (changes this transaction made itself excepted)."""
    held: HeldRoles | None = session.info.get("held_roles")
    if held is None or held.address in session.info.get("accounts_changed", ()):
        return
    user = session.scalar(select(User).where(User.address == held.address).with_for_update(read=True))
    now = current_roles(session=session, address=held.address, chain_roles=lambda _: held.chain_roles)
    lost = held.roles - now
    if lost or (user.institution_id if user else None) != held.institution_id:
        what = f"the {', '.join(sorted(lost))} role" if lost else "its institution"
        raise PermissionDeniedError(f"{held.address} lost {what} while this request ran; nothing was applied")


def list_users(
    *, session: Session, offset: int, limit: int, role: str | None = None, institution_id: str | None = None
) -> tuple[int, list[User]]:
    """(how many, a page of) the accounts the registry knows, by address; ``role``: only those the
    database grants it, or (reviewer) those this registry ever granted or revoked it."""
    query = select(User)
    if institution_id is not None:
        query = query.where(User.institution_id == institution_id)
    if role == "reviewer":
        subjects = select(ChainJob.subject).where(ChainJob.kind.in_(("grant_reviewer", "revoke_reviewer")))
        query = query.where(("reviewer:" + User.address).in_(subjects))
    elif role is not None:
        query = query.where(User.address.in_(select(RoleGrant.address).where(RoleGrant.role == role)))
    total = session.scalar(select(func.count()).select_from(query.subquery())) or 0
    return total, list(session.scalars(query.order_by(User.created_at, User.address).offset(offset).limit(limit)))


def reviewer_jobs(*, session: Session, addresses: Collection[str]) -> dict[str, ChainJob]:
    """The latest reviewer grant or revocation of each of ``addresses`` (those that have one)."""
    subjects = {reviewer_subject(address): address for address in addresses}
    if not subjects:
        return {}
    latest: dict[str, ChainJob] = {}
    for job in session.scalars(select(ChainJob).where(ChainJob.subject.in_(subjects)).order_by(ChainJob.id)):
        latest[subjects[job.subject or ""]] = job
    return latest
