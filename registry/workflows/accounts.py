"""Changing an account: its institution and its roles, as an administrator sets them.

The database roles (teacher, issuer, admin) change in the same transaction; the reviewer role is
granted or revoked on chain through a chain job, and a revocation counts at once
(:func:`registry.crud.users.current_roles`). The bureau's administrator on chain keeps ``admin``:
only governance changes it, on chain.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from sqlalchemy.orm import Session

from ..chain.jobs import enqueue
from ..core.errors import ConflictError
from ..crud import users as users_crud

__all__ = ["AccountChange", "change_account"]


@dataclass(frozen=True)
class AccountChange:
    """What to change; a field left as None is kept (``detach`` sets the institution to none)."""

    institution_id: str | None = None
    detach: bool = False
    roles: Collection[str] | None = None  # the complete set the account should hold


def change_account(session: Session, address: str, change: AccountChange, *, by: str, chain_roles: Collection[str]) -> bool:
    """Apply ``change`` to ``address`` (``chain_roles``: what the chain grants it now); returns whether
    a chain job was added. Raises :class:`ConflictError` when asked to remove a role only the chain can."""
    user = users_crud.lock_user(session=session, address=address, acting=by)
    if change.detach:
        users_crud.set_institution(session=session, user=user, institution_id=None)
    elif change.institution_id is not None:
        users_crud.set_institution(session=session, user=user, institution_id=change.institution_id)
    if change.roles is None:
        return False
    wanted = set(change.roles)
    if "admin" in chain_roles and "admin" not in wanted:
        raise ConflictError(
            f"{address} is the bureau's administrator on chain and keeps the admin role; governance changes it on chain "
            "(InstitutionRegistry.setInstitutionAdmin)",
            code="role_on_chain",
        )
    for role in users_crud.DB_ROLES:
        if role in wanted:
            users_crud.grant_role(session=session, address=address, role=role, granted_by=by)
        else:
            users_crud.revoke_role(session=session, address=address, role=role)
    intent = users_crud.reviewer_intent(session=session, address=address)
    reviewer_now = "reviewer" in chain_roles and intent is not False
    pending_grant = intent is True and "reviewer" not in chain_roles
    if "reviewer" in wanted and not (reviewer_now or pending_grant):
        enqueue(session, "grant_reviewer", {"address": address}, subject=users_crud.reviewer_subject(address))
        return True
    if "reviewer" not in wanted and (reviewer_now or pending_grant):
        enqueue(session, "revoke_reviewer", {"address": address}, subject=users_crud.reviewer_subject(address))
        return True
    return False
