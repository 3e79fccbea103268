"""Contribution records per teacher and school, the signed contribution statement, and counted downloads."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

import anyio.to_thread
from fastapi import APIRouter, Query
from fastapi.responses import JSONResponse, RedirectResponse
from pydantic import BaseModel, Field

from ...core.errors import PermissionDeniedError, ResourceNotFoundError
from ...crud import resources as resources_crud
from ...crud import users as users_crud
from ...crud.auth import checked_address
from ...models import ContributionStatement, Institution
from ...workflows import contributions
from ...workflows.issuance import ChainWriteWaiting
from ..deps import BureauDep, CurrentUser, IssuingDep, LedgerDep, OptionalUser, SessionDep, SettingsDep, TeacherUser
from ..params import ResourceId, VersionNumber
from .credentials import AcceptedPublic, still_on_the_way

router = APIRouter(tags=["contributions"])


class CertificateHeld(BaseModel):
    id: int
    kind: str
    level: str
    resource_id: int
    version: int


class ContributionPublic(BaseModel):
    subject: str = Field(description="the teacher's address or the school's institution id")
    counts: dict[str, int] = Field(description=", ".join(contributions.COUNTS))
    selected_by_level: dict[str, int]
    certificates: list[CertificateHeld] = Field(description="certificates in force, by their id on chain")


def _public(record: contributions.ContributionRecord) -> ContributionPublic:
    return ContributionPublic(
        subject=record.subject,
        counts=record.counts,
        selected_by_level=record.selected_by_level,
        certificates=[CertificateHeld(**c) for c in record.certificates],
    )


@router.get("/contributions/teachers/{address}", response_model=ContributionPublic)
def read_teacher_contribution(address: str, principal: CurrentUser, db: SessionDep) -> ContributionPublic:
    """A teacher's record: for the teacher, administrators, and their school's issuer (评优评先)."""
    address = checked_address(address)
    user = users_crud.get_user(session=db, address=address)
    own_school = (
        user is not None
        and user.institution_id is not None
        and user.institution_id == principal.institution_id
        and "issuer" in principal.roles
    )
    if principal.address != address and "admin" not in principal.roles and not own_school:
        raise PermissionDeniedError("a teacher's record is for the teacher, their school's issuer and administrators")
    return _public(contributions.teacher_record(db, address))


@router.get("/contributions/schools/{institution_id}", response_model=ContributionPublic)
def read_school_contribution(institution_id: str, principal: CurrentUser, db: SessionDep) -> ContributionPublic:
    """A school's record (counts over its teachers' resources)."""
    if db.get(Institution, institution_id) is None:
        raise ResourceNotFoundError(f"no institution {institution_id}")
    return _public(contributions.school_record(db, institution_id))


@router.post(
    "/contributions/me/statement",
    response_model=dict[str, Any],
    status_code=201,
    responses={202: {"model": AcceptedPublic, "description": "committed; the chain has not anchored the statement in time"}},
)
async def create_statement(
    teacher: TeacherUser,
    db: SessionDep,
    bureau: BureauDep,
    ledger: LedgerDep,
    issuing: IssuingDep,
    settings: SettingsDep,
) -> JSONResponse:
    """Your signed contribution statement: a verifiable credential listing your counts and certificate ids, anchored on chain.
    When the chain is slow: 202, and the statement is signed and anchored in the background (follow status_url)."""
    try:
        statement = await anyio.to_thread.run_sync(
            lambda: contributions.issue_statement(
                db, teacher.address, bureau=bureau, ledger=ledger, issuing=issuing, base_url=settings.BASE_URL
            )
        )
    except ChainWriteWaiting as waiting:
        return still_on_the_way(
            f"/contributions/statements/{quote(str(waiting.batch_key), safe=':')}",
            "the statement is committed and its anchor is on its way to the chain; it completes by itself: follow status_url",
            waiting,
        )
    return JSONResponse(statement.document, status_code=201)


@router.get(
    "/contributions/statements/{statement_id}",
    response_model=dict[str, Any],
    responses={202: {"model": AcceptedPublic, "description": "not anchored yet: its chain job completes it"}},
)
def read_statement(statement_id: str, db: SessionDep) -> JSONResponse:
    """A contribution statement by its id (the teacher shares the id or the document); 202 while its chain job is on its way."""
    statement = db.get(ContributionStatement, statement_id)
    if statement is None:
        raise ResourceNotFoundError(f"no contribution statement {statement_id}")
    if statement.root is None:
        url = f"/contributions/statements/{quote(statement.id, safe=':')}"
        job_url = f"/chain/jobs/{statement.chain_job_id}" if statement.chain_job_id is not None else None
        content = AcceptedPublic(message="the statement is being signed and anchored on chain", status_url=url, chain_job_url=job_url)
        return JSONResponse(status_code=202, headers={"Location": url}, content=content.model_dump())
    return JSONResponse(statement.document)


@router.get("/resources/{resource_id}/versions/{number}/download", response_class=RedirectResponse, status_code=307)
def download_version(
    db: SessionDep,
    principal: OptionalUser,
    resource_id: ResourceId,
    number: VersionNumber,
    part: str | None = Query(default=None, max_length=200, description="one part's name; default: the bundle as a CAR"),
) -> RedirectResponse:
    """Download a version (counted, for accepted versions; nothing about who downloads is kept): redirects to the gateway."""
    version = resources_crud.get_version(session=db, resource_id=resource_id, number=number)
    resources_crud.check_visible(
        version=version, address=principal.address if principal else None, roles=principal.roles if principal else frozenset()
    )
    if part is not None and part not in {p["name"] for p in version.parts}:
        raise ResourceNotFoundError(f"version {number} of resource {resource_id} has no part {part!r}")
    root = version.root_cid
    if contributions.counts_as_use(version, principal.address if principal else None, principal.roles if principal else frozenset()):
        contributions.count_use(db, version, "download")
    target = f"/ipfs/{root}/{quote(part)}" if part is not None else f"/ipfs/{root}?format=car"
    return RedirectResponse(target, status_code=307)
