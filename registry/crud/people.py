"""People as others see them: a name and an institution beside the address.

One rule decides when a name is shown (:func:`may_name`): always to the person themselves and to
administrators and reviewers inside the platform; to everyone else (public pages, certificates,
other teachers) only when the person consented (``name_public``). Students are never accounts
here, so no student's name can reach these labels.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..core.errors import InvalidRequestError
from ..models import Institution, User, utcnow

__all__ = ["NAMING_ROLES", "PersonLabel", "describe", "label_text", "may_name", "profile_of", "update_profile"]

NAMING_ROLES = frozenset({"admin", "reviewer"})  # roles that see every name inside the platform
_MAX_NAME = 100


@dataclass(frozen=True)
class PersonLabel:
    address: str
    name: str | None  # None: no profile, or not to be shown to this viewer
    institution: str | None
    title: str | None


def may_name(user: User, *, viewer: str | None, viewer_roles: Iterable[str] = ()) -> bool:
    """Whether ``viewer`` (None: the public) may see ``user``'s name and institution."""
    return user.name_public or (viewer is not None and (viewer == user.address or bool(NAMING_ROLES & set(viewer_roles))))


def describe(
    *, session: Session, addresses: Iterable[str], viewer: str | None = None, viewer_roles: Iterable[str] = ()
) -> dict[str, PersonLabel]:
    """Labels for ``addresses`` as ``viewer`` may see them (one query for the users, one for their institutions)."""
    wanted = sorted(set(addresses))
    roles = frozenset(viewer_roles)
    users = {u.address: u for u in session.scalars(select(User).where(User.address.in_(wanted)))} if wanted else {}
    institution_ids = {u.institution_id for u in users.values() if u.institution_id}
    names = (
        dict(session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(institution_ids))).all())
        if institution_ids
        else {}
    )
    labels = {}
    for address in wanted:
        user = users.get(address)
        if user is None or not may_name(user, viewer=viewer, viewer_roles=roles):
            labels[address] = PersonLabel(address, None, None, None)
        else:
            labels[address] = PersonLabel(address, user.display_name, names.get(user.institution_id or ""), user.title)
    return labels


def label_text(label: PersonLabel) -> str:
    """王丽华 (天津市某某小学), or the address where no name may be shown."""
    if not label.name:
        return label.address
    return f"{label.name} ({label.institution})" if label.institution else label.name


def _clean(value: str | None, field: str) -> str | None:
    if value is None:
        return None
    value = " ".join(value.split())
    if len(value) > _MAX_NAME:
        raise InvalidRequestError(f"{field} has at most {_MAX_NAME} characters")
    if any(ord(c) < 32 or c in "<>" for c in value):
        raise InvalidRequestError(f"{field} may not contain control characters or angle brackets")
    return value or None


def profile_of(*, session: Session, address: str) -> User:
    """The account's row (made if the registry did not know the account yet), to set its profile."""
    user = session.get(User, address)
    if user is None:
        user = User(address=address)
        session.add(user)
        session.flush()
    return user


def update_profile(*, session: Session, user: User, display_name: str | None, title: str | None, name_public: bool | None) -> User:
    """Set the profile fields given (None leaves a field as it is; an empty string clears it)."""
    if display_name is not None:
        user.display_name = _clean(display_name, "display_name")
    if title is not None:
        user.title = _clean(title, "title")
    if name_public is not None:
        user.name_public = name_public
    user.profile_updated_at = utcnow()
    session.flush()
    return user
