"""Institutions (bureaus, schools) and the accounts that belong to them, with their roles."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import select

from ...core.errors import PermissionDeniedError
from ...crud import people as people_crud
from ...crud import resources as resources_crud
from ...crud import users as users_crud
from ...crud.auth import checked_address
from ...models import ChainJob, Institution
from ...workflows import institutions
from ...workflows.accounts import AccountChange, change_account
from ..deps import AdminUser, BureauDep, CurrentUser, DirectoryDep, SessionDep, WorkerDep
from .people import PersonPublic, person_public

router = APIRouter(tags=["institutions"])


class InstitutionCreate(BaseModel):
    name: str = Field(min_length=1, max_length=200)
    kind: Literal["district", "school"]
    parent_id: str | None = Field(default=None, description="Default: the bureau that runs this repository.")
    admin_address: str | None = Field(default=None, description="Its administrator's wallet; default: the requesting admin.")


class InstitutionPublic(BaseModel):
    id: str
    name: str
    kind: str
    parent_id: str | None
    admin_address: str
    chain_status: str = Field(description="pending, mined or failed: its registration on chain")


class UserUpdate(BaseModel):
    model_config = ConfigDict(extra="forbid")  # a misspelt field is an error, not a silent "keep"

    institution_id: str | None = Field(default=None, description="The account's institution; null detaches it; left out: kept.")
    roles: list[Literal["teacher", "reviewer", "issuer", "admin"]] = Field(
        default_factory=list, description="The complete set of roles; left out: kept."
    )


class UserPublic(BaseModel):
    address: str
    institution_id: str | None
    roles: list[str] = Field(
        description="Roles held now: teacher, issuer and admin by this database; reviewer on chain; "
        "admin also by the chain to the bureau's administrator."
    )
    reviewer_on_chain: bool
    reviewer_revocation_pending: bool = Field(
        description="an administrator removed the reviewer role (it no longer counts); the chain has not yet mined the revocation"
    )
    display_name: str | None
    title: str | None
    name_public: bool
    note: str = "a removed role stops at once; a granted reviewer role counts once it is on chain"


class ReviewerGrantPublic(BaseModel):
    action: Literal["grant", "revoke"]
    status: Literal["pending", "mined", "failed"]
    tx_hash: str | None
    error: str | None


class UserItem(BaseModel):
    address: str
    display_name: str | None
    title: str | None
    institution_id: str | None
    roles: list[str] = Field(description="the roles held now (as in GET /users/{address})")
    reviewer_grant: ReviewerGrantPublic | None = Field(
        description="the latest reviewer grant or revocation this registry sent to the chain"
    )


class UserPage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[UserItem]


_JOB_STATUS = {"done": "mined", "failed": "failed"}  # anything else is on its way


def _fixed(roles: frozenset[str]) -> Callable[[str], frozenset[str]]:
    return lambda _address: roles


def _public(db: SessionDep, institution: Institution) -> InstitutionPublic:
    status = "mined"
    if institution.chain_job_id is not None:
        job = db.get_one(ChainJob, institution.chain_job_id)
        status = {"done": "mined", "failed": "failed"}.get(job.status, "pending")
    return InstitutionPublic(
        id=institution.id,
        name=institution.name,
        kind=institution.kind,
        parent_id=institution.parent_id,
        admin_address=institution.admin_address,
        chain_status=status,
    )


@router.get("/institutions", response_model=list[InstitutionPublic])
def read_institutions(db: SessionDep) -> list[InstitutionPublic]:
    """Every institution the registry knows, bureau first."""
    return [_public(db, i) for i in db.scalars(select(Institution).order_by(Institution.created_at, Institution.id))]


@router.post("/institutions", response_model=InstitutionPublic, status_code=201)
def create_institution(
    request: InstitutionCreate, admin: AdminUser, db: SessionDep, bureau: BureauDep, worker: WorkerDep
) -> InstitutionPublic:
    """Register a district bureau or a school under an institution (on chain through the worker)."""
    institution = institutions.register_institution(
        db,
        name=request.name,
        kind=request.kind,
        parent_id=request.parent_id or bureau.id_hex,
        admin_address=checked_address(request.admin_address) if request.admin_address else admin.address,
    )
    db.commit()
    if worker:
        worker.notify()
    return _public(db, institution)


def _user_public(db: SessionDep, directory: DirectoryDep, address: str) -> UserPublic:
    user = users_crud.get_user(session=db, address=address)
    chain_roles = directory.chain_roles(address)
    roles = users_crud.current_roles(session=db, address=address, chain_roles=lambda _: chain_roles)
    on_chain = "reviewer" in chain_roles
    return UserPublic(
        address=address,
        institution_id=user.institution_id if user else None,
        roles=sorted(roles),
        reviewer_on_chain=on_chain,
        reviewer_revocation_pending=on_chain and "reviewer" not in roles,
        display_name=user.display_name if user else None,
        title=user.title if user else None,
        name_public=user.name_public if user else False,
    )


@router.get("/users", response_model=UserPage)
def read_users(
    admin: AdminUser,
    db: SessionDep,
    directory: DirectoryDep,
    role: Literal["teacher", "reviewer", "issuer", "admin"] | None = None,
    institution_id: str | None = None,
    page: int = Query(default=1, ge=1, le=100_000),
    per_page: int = Query(default=50, ge=1, le=100),
) -> UserPage:
    """The accounts the registry knows (administrators), with their roles and where each reviewer grant stands on chain."""
    total, users = users_crud.list_users(session=db, offset=(page - 1) * per_page, limit=per_page, role=role, institution_id=institution_id)
    jobs = users_crud.reviewer_jobs(session=db, addresses=[u.address for u in users])
    items = []
    for user in users:
        chain_roles: frozenset[str] = directory.chain_roles(user.address)
        job = jobs.get(user.address)
        items.append(
            UserItem(
                address=user.address,
                display_name=user.display_name,
                title=user.title,
                institution_id=user.institution_id,
                roles=sorted(users_crud.current_roles(session=db, address=user.address, chain_roles=_fixed(chain_roles))),
                reviewer_grant=ReviewerGrantPublic(
                    action="grant" if job.kind == "grant_reviewer" else "revoke",
                    status=_JOB_STATUS.get(job.status, "pending"),  # type: ignore[arg-type]
                    tx_hash=job.tx_hash,
                    error=job.error,
                )
                if job
                else None,
            )
        )
    return UserPage(total=total, page=page, per_page=per_page, items=items)


@router.get("/users/{address}", response_model=UserPublic)
def read_user(address: str, principal: CurrentUser, db: SessionDep, directory: DirectoryDep) -> UserPublic:
    """An account's institution and roles (administrators, or the account itself)."""
    address = checked_address(address)
    if "admin" not in principal.roles and principal.address != address:
        raise PermissionDeniedError("only administrators may look at other accounts")
    return _user_public(db, directory, address)


@router.put("/users/{address}", response_model=UserPublic)
def update_user(
    address: str, request: UserUpdate, admin: AdminUser, db: SessionDep, directory: DirectoryDep, worker: WorkerDep
) -> UserPublic:
    """Set an account's institution and roles (fields left out are kept); the reviewer role is granted or revoked on chain."""
    address = checked_address(address)
    given = request.model_fields_set
    change = AccountChange(
        institution_id=request.institution_id,
        detach="institution_id" in given and request.institution_id is None,
        roles=request.roles if "roles" in given else None,
    )
    queued = change_account(db, address, change, by=admin.address, chain_roles=directory.chain_roles(address))
    db.commit()
    if worker and queued:
        worker.notify()
    return _user_public(db, directory, address)


class SchoolResourceItem(BaseModel):
    resource_id: int
    version: int
    title: str
    resource_type: str
    catalogue_path: str
    author: PersonPublic = Field(description="the lead author, named as the caller may see")
    accepted_at: datetime | None


class SchoolResourcePage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[SchoolResourceItem]


@router.get("/institutions/{institution_id}/resources", response_model=SchoolResourcePage)
def read_institution_resources(
    institution_id: str,
    principal: CurrentUser,
    db: SessionDep,
    page: int = Query(default=1, ge=1, le=100_000),
    per_page: int = Query(default=20, ge=1, le=100),
) -> SchoolResourcePage:
    """The school's accepted (入库) resources, newest first: what its issuer may nominate (学校推荐); for administrators and its issuers."""
    total, versions = institutions.accepted_resources(
        db,
        institution_id,
        viewer=principal.address,
        roles=principal.roles,
        viewer_institution=principal.institution_id,
        offset=(page - 1) * per_page,
        limit=per_page,
    )
    paths = resources_crud.catalogue_paths(session=db, node_ids={v.catalogue_node_id for v in versions})
    labels = people_crud.describe(
        session=db, addresses=[v.author for v in versions], viewer=principal.address, viewer_roles=principal.roles
    )
    return SchoolResourcePage(
        total=total,
        page=page,
        per_page=per_page,
        items=[
            SchoolResourceItem(
                resource_id=v.resource_id,
                version=v.number,
                title=v.title,
                resource_type=v.resource_type,
                catalogue_path=paths.get(v.catalogue_node_id, ""),
                author=person_public(labels[v.author]),
                accepted_at=v.accepted_at,
            )
            for v in versions
        ],
    )
