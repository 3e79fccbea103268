"""People: profiles (the name, title and consent behind an address) and labels for addresses."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import BaseModel, ConfigDict, Field

from ...core.errors import InvalidRequestError, PermissionDeniedError
from ...crud import people as people_crud
from ...crud import users as users_crud
from ...crud.auth import checked_address
from ...crud.people import PersonLabel
from ...models import Institution
from ...workflows import institutions
from ..deps import AdminUser, CurrentUser, OptionalUser, SessionDep

router = APIRouter(tags=["people"])

_MAX_LOOKUP = 100


class PersonPublic(BaseModel):
    """An address with the name and institution the caller may see (null where none may be shown)."""

    address: str
    name: str | None
    institution: str | None
    title: str | None


class ProfilePublic(BaseModel):
    address: str
    display_name: str | None
    title: str | None = Field(description="subject or role title, e.g. 小学数学教师, 教研员")
    name_public: bool = Field(description="consent: the name and institution appear on public pages and certificates")
    institution_id: str | None
    institution_name: str | None


class ProfileUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    display_name: str | None = Field(default=None, max_length=100, description="empty string clears it")
    title: str | None = Field(default=None, max_length=100)
    name_public: bool | None = None


class InstitutionUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)


def person_public(label: PersonLabel) -> PersonPublic:
    return PersonPublic(address=label.address, name=label.name, institution=label.institution, title=label.title)


def _profile(db: SessionDep, address: str) -> ProfilePublic:
    user = users_crud.get_user(session=db, address=address)
    institution = db.get(Institution, user.institution_id) if user and user.institution_id else None
    return ProfilePublic(
        address=address,
        display_name=user.display_name if user else None,
        title=user.title if user else None,
        name_public=user.name_public if user else False,
        institution_id=institution.id if institution else None,
        institution_name=institution.name if institution else None,
    )


def _update(db: SessionDep, address: str, request: ProfileUpdate) -> ProfilePublic:
    user = people_crud.profile_of(session=db, address=address)
    people_crud.update_profile(
        session=db, user=user, display_name=request.display_name, title=request.title, name_public=request.name_public
    )
    db.commit()
    return _profile(db, address)


@router.get("/users/me", response_model=ProfilePublic)
def read_my_profile(principal: CurrentUser, db: SessionDep) -> ProfilePublic:
    """The signed-in account's profile."""
    return _profile(db, principal.address)


@router.put("/users/me/profile", response_model=ProfilePublic)
def update_my_profile(request: ProfileUpdate, principal: CurrentUser, db: SessionDep) -> ProfilePublic:
    """Set your own display name, title and whether your name may appear publicly."""
    return _update(db, principal.address, request)


@router.put("/users/{address}/profile", response_model=ProfilePublic)
def update_profile(address: str, request: ProfileUpdate, admin: AdminUser, db: SessionDep) -> ProfilePublic:
    """Set an account's profile (administrators)."""
    return _update(db, checked_address(address), request)


@router.get("/people", response_model=list[PersonPublic])
def read_people(
    principal: OptionalUser, db: SessionDep, address: Annotated[list[str], Query(description="up to 100 addresses")]
) -> list[PersonPublic]:
    """Names and institutions for addresses, as far as the caller may see them (the public: consented names only)."""
    if len(address) > _MAX_LOOKUP:
        raise InvalidRequestError(f"ask for at most {_MAX_LOOKUP} addresses at once")
    addresses = [checked_address(a) for a in address]
    labels = people_crud.describe(
        session=db, addresses=addresses, viewer=principal.address if principal else None, viewer_roles=principal.roles if principal else ()
    )
    return [person_public(labels[a]) for a in addresses]


def _administered_institution(institution_id: str, principal: CurrentUser, db: SessionDep) -> Institution:
    """The institution, if the caller administers the platform or it (checked before the body is read)."""
    institution = users_crud.get_institution(session=db, institution_id=institution_id)
    if "admin" not in principal.roles and principal.address != institution.admin_address:
        raise PermissionDeniedError("only administrators of the platform or of this institution may change its profile")
    return institution


@router.patch("/institutions/{institution_id}", response_model=dict[str, str])
def update_institution(
    request: InstitutionUpdate, institution: Annotated[Institution, Depends(_administered_institution)], db: SessionDep
) -> dict[str, str]:
    """Rename an institution (platform administrators, or the institution's own administrator)."""
    institutions.rename_institution(institution, request.name)
    db.commit()
    return {"id": institution.id, "name": institution.name}
