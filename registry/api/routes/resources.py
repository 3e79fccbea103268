"""Resources: submission with rights registration (确权), versions, history, and what to sign."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fastapi import APIRouter, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from ledger_service.chain import AUTHORSHIP_TYPE, REGISTRATION_TYPE, Eip712Domain

from ...crud import people as people_crud
from ...crud import resources as resources_crud
from ...models import ResourceVersion, WorkflowEvent
from ...workflows import authorship, contributions, review, submission
from ...workflows.resource_types import LICENCES, PART_ROLES, RESOURCE_TYPES
from ...workflows.submission import SUBMISSION_PARAMS, Limits, expected_nonce, predecessor_of
from ..deps import (
    ContentDep,
    CurrentUser,
    LedgerDep,
    LimitsDep,
    OptionalUser,
    PolicyDep,
    Principal,
    SessionDep,
    SessionsDep,
    SettingsDep,
    TeacherUser,
    WorkerDep,
)
from ..params import OptionalResourceIdQuery, ResourceId, VersionNumber

router = APIRouter(prefix="/resources", tags=["resources"])


class AuthorPublic(BaseModel):
    address: str
    share: int = Field(description="basis points, as the lead author signed them")
    status: str = Field(
        description="lead; unconfirmed (a co-author holds no share yet); confirming (signed, on its way to the "
        "chain); confirmed (holds the share on chain); failed (sign again)"
    )
    name: str | None = Field(default=None, description="the author's name, where the caller may see it (public: with consent)")
    institution: str | None = None


class SigningDomainPublic(BaseModel):
    """The EIP-712 domain a client signs under: the ResourceRegistry's on this chain."""

    chain_id: int
    verifying_contract: str
    domain_name: str = Eip712Domain.name
    domain_version: str = Eip712Domain.version

    @staticmethod
    def fields_of(domain: Eip712Domain) -> dict[str, Any]:
        return {
            "chain_id": domain.chain_id,
            "verifying_contract": domain.verifying_contract,
            "domain_name": domain.name,
            "domain_version": domain.version,
        }


class AuthorshipPublic(SigningDomainPublic):
    """What a co-author signs (EIP-712) to confirm their share, and where each author's consent stands."""

    primary_type: str = AUTHORSHIP_TYPE
    content_hash: str
    authors: list[AuthorPublic]


class AuthorshipRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    deadline: int = Field(description="Unix time until which the confirmation may be relayed (at least 5 minutes away)")
    signature: str = Field(
        max_length=200, description="your EIP-712 signature of AuthorshipConfirmation(contentHash, author, share, deadline)"
    )


class PartPublic(BaseModel):
    name: str
    role: str
    cid: str
    size: int
    media_type: str


class ChainRecordPublic(BaseModel):
    status: str = Field(description="pending, mined or failed")
    resource_id: int | None = Field(description="the ResourceRegistry id, once mined")
    tx_hash: str | None = Field(description="the registration transaction, once mined")
    block_number: int | None
    error: str | None


class CertificateSummary(BaseModel):
    id: int | None = Field(description="the certificate id on chain, once issued")
    kind: str
    level: str
    status: str


class VersionPublic(BaseModel):
    resource_id: int
    number: int
    state: str
    round: int
    allowed_actions: list[str] = Field(description="what the caller may do to this version now (nothing when not signed in)")
    title: str
    description: str
    keywords: list[str]
    resource_type: str
    catalogue_node: str
    catalogue_path: str
    licence: str
    authors: list[AuthorPublic]
    parts: list[PartPublic]
    cid: str
    content_hash: str
    metadata_hash: str
    predecessor_version: int | None
    near_duplicates: list[dict[str, Any]]
    authors_hidden: bool = Field(default=False, description="blind review (匿名评审): the authors are withheld from this reviewer")
    chain: ChainRecordPublic
    certificates: list[CertificateSummary]
    created_at: datetime
    accepted_at: datetime | None


class VersionSummary(BaseModel):
    number: int
    state: str
    title: str
    created_at: datetime
    accepted_at: datetime | None


class ResourcePublic(BaseModel):
    id: int
    owner: str | None = Field(description="the lead author of the first version; null when withheld under blind review")
    created_at: datetime
    versions: list[VersionSummary]
    latest: VersionPublic


ANONYMOUS_AUTHOR = "author"  # the actor of an author's event under blind review


def _scrubbed(value: Any, withheld: set[str]) -> Any:
    """``value`` with every author address in it replaced (blind review)."""
    if isinstance(value, str):
        return ANONYMOUS_AUTHOR if value in withheld else value
    if isinstance(value, list):
        return [_scrubbed(item, withheld) for item in value]
    if isinstance(value, dict):
        return {key: _scrubbed(item, withheld) for key, item in value.items()}
    return value


def _round_of(event: WorkflowEvent) -> int:
    value = event.details.get("round")
    return value if isinstance(value, int) else 1  # events from before rounds: the first


def _review_withheld(details: dict[str, Any]) -> dict[str, Any]:
    """A review event's details without what the caller may not read yet (the round and that it is withheld)."""
    return {"round": details.get("round"), "withheld": True}


class EventPublic(BaseModel):
    seq: int
    action: str
    from_state: str | None
    to_state: str | None
    actor: str
    actor_name: str | None = Field(default=None, description="the actor's name, where the caller may see it")
    role: str
    reason: str | None
    reason_code: str | None
    details: dict[str, Any] = Field(
        description="a review's details are withheld ({round, withheld}) from who may not read that round's reviews yet "
        "(a reviewer before submitting their own, the authors before the decision): hash_valid is checked on the stored event"
    )
    created_at: datetime
    prev_hash: str
    hash: str
    hash_valid: bool = Field(description="the hash recomputed from the event and the previous hash matches")
    chain_tx: str | None = Field(description="the transaction that recorded this hash on chain (DecisionRecorded)")


class HistoryPublic(BaseModel):
    resource_id: int
    version: int
    intact: bool = Field(description="every event's hash is right and chains to the one before")
    recorded_on_chain: int
    events: list[EventPublic]


class RegistrationInfo(SigningDomainPublic):
    """What a client needs to sign a registration (EIP-712) and compute its CID."""

    primary_type: str = REGISTRATION_TYPE
    author: str
    nonce: int
    predecessor: int = Field(description="the ResourceRegistry id of the version being replaced, or 0")
    cid_version: int = SUBMISSION_PARAMS.cid_version
    raw_leaves: bool = SUBMISSION_PARAMS.use_raw_leaves
    bundle_rule: str = "one part: that file's CID; several: the UnixFS directory of the parts by name (ipfs add -r --cid-version=1)"
    metadata_hash: str = "sha256 of the RFC 8785 (JCS) form of the metadata field without its 'registration' member"
    resource_types: dict[str, dict[str, list[str]]]
    part_roles: list[str]
    licences: list[str]
    max_parts: int
    max_upload_size: int


def _viewer(principal: Principal | None) -> dict[str, Any]:
    return {"viewer": principal.address, "viewer_roles": principal.roles} if principal else {}


def version_public(db: SessionDep, version: ResourceVersion, viewer: Principal | None, policy: review.DecisionPolicy) -> VersionPublic:
    """The version as ``viewer`` sees it: ``allowed_actions`` are what that caller may do now."""
    node = resources_crud.catalogue_node(session=db, version=version)
    people = people_crud.describe(session=db, addresses=[a["address"] for a in version.authors], **_viewer(viewer))
    predecessor = db.get(ResourceVersion, version.predecessor_id) if version.predecessor_id else None
    mined = version.chain_status == "mined"
    hidden = policy.hides_authors_from(version, viewer)
    return VersionPublic(
        resource_id=version.resource_id,
        number=version.number,
        state=version.state,
        round=version.round,
        allowed_actions=sorted(review.allowed_actions(db, version, viewer, policy) + authorship.allowed_actions(db, version, viewer)),
        title=version.title,
        description=version.description,
        keywords=version.keywords,
        resource_type=version.resource_type,
        catalogue_node=version.catalogue_node_id,
        catalogue_path=node.path,
        licence=version.licence,
        authors=[]
        if hidden
        else [
            AuthorPublic(
                address=a.address, share=a.share, status=a.status, name=people[a.address].name, institution=people[a.address].institution
            )
            for a in authorship.authors(db, version)
        ],
        authors_hidden=hidden,
        parts=[PartPublic(name=p["name"], role=p["role"], cid=p["cid"], size=p["size"], media_type=p["media_type"]) for p in version.parts],
        cid=version.root_cid,
        content_hash=version.content_hash,
        metadata_hash=version.metadata_hash,
        predecessor_version=predecessor.number if predecessor else None,
        near_duplicates=[{k: v for k, v in hit.items() if k != "owner"} for hit in version.near_duplicates]
        if hidden
        else version.near_duplicates,
        chain=ChainRecordPublic(
            status=version.chain_status,
            resource_id=version.chain_resource_id,
            tx_hash=version.registration_tx if mined else None,
            block_number=version.registration_block,
            error=version.chain_error,
        ),
        certificates=[
            CertificateSummary(id=c.chain_certificate_id, kind=c.kind, level=c.level, status=c.status)
            for c in resources_crud.version_certificates(session=db, version_id=version.id)
        ],
        created_at=version.created_at,
        accepted_at=version.accepted_at,
    )


@router.get("/registration-info", response_model=RegistrationInfo)
def read_registration_info(
    teacher: TeacherUser, db: SessionDep, ledger: LedgerDep, settings: SettingsDep, resource_id: OptionalResourceIdQuery = None
) -> RegistrationInfo:
    """The EIP-712 domain, the teacher's next nonce and the predecessor to sign for (with ``resource_id``: a new version)."""
    predecessor = (predecessor_of(db, resource_id, teacher.address).chain_resource_id or 0) if resource_id is not None else 0
    return RegistrationInfo(
        **SigningDomainPublic.fields_of(authorship.domain_of(ledger)),
        author=teacher.address,
        nonce=expected_nonce(db, ledger, teacher.address),
        predecessor=predecessor,
        resource_types={name: {"required": sorted(t.required), "allowed": sorted(t.allowed)} for name, t in RESOURCE_TYPES.items()},
        part_roles=list(PART_ROLES),
        licences=list(LICENCES),
        max_parts=settings.MAX_PARTS,
        max_upload_size=settings.MAX_UPLOAD_SIZE,
    )


async def _submit(
    request: Request,
    teacher: Principal,
    *,
    resource_id: int | None,
    settings: SettingsDep,
    ledger: LedgerDep,
    store: ContentDep,
    worker: WorkerDep,
    policy: review.DecisionPolicy,
    sessions: SessionsDep,
    limits: Limits,
) -> VersionPublic:
    public = await submission.submit(
        request,
        author=teacher.held(frozenset({"teacher"})),  # still a teacher when it commits, after the upload
        resource_id=resource_id,
        settings=settings,
        ledger=ledger,
        store=store,
        sessions=sessions,
        limits=limits,
        present=lambda db, version: version_public(db, version, teacher, policy),
    )
    if worker:
        worker.notify()
    return public


@router.post("", response_model=VersionPublic, status_code=201, openapi_extra={"requestBody": {"content": {"multipart/form-data": {}}}})
async def create_resource(
    request: Request,
    teacher: TeacherUser,
    settings: SettingsDep,
    ledger: LedgerDep,
    store: ContentDep,
    worker: WorkerDep,
    policy: PolicyDep,
    sessions: SessionsDep,
    limits: LimitsDep,
) -> VersionPublic:
    """Submit a resource: a 'metadata' field (JSON, with the author's signed registration), then one file per part."""
    return await _submit(
        request,
        teacher,
        resource_id=None,
        settings=settings,
        ledger=ledger,
        store=store,
        worker=worker,
        policy=policy,
        sessions=sessions,
        limits=limits,
    )


@router.post(
    "/{resource_id}/versions",
    response_model=VersionPublic,
    status_code=201,
    openapi_extra={"requestBody": {"content": {"multipart/form-data": {}}}},
)
async def create_version(
    resource_id: ResourceId,
    request: Request,
    teacher: TeacherUser,
    settings: SettingsDep,
    ledger: LedgerDep,
    store: ContentDep,
    worker: WorkerDep,
    policy: PolicyDep,
    sessions: SessionsDep,
    limits: LimitsDep,
) -> VersionPublic:
    """Submit a new version (更新必审) or a resubmission after revisions: reviewed again, linked to the previous version."""
    return await _submit(
        request,
        teacher,
        resource_id=resource_id,
        settings=settings,
        ledger=ledger,
        store=store,
        worker=worker,
        policy=policy,
        sessions=sessions,
        limits=limits,
    )


class ResourceItem(BaseModel):
    id: int
    version: int = Field(description="the newest version's number")
    state: str
    title: str
    resource_type: str
    catalogue_path: str
    chain_status: str
    cid: str
    certificates: int = Field(description="certificates of the newest version")
    created_at: datetime = Field(description="when the newest version was submitted")


class ResourcePage(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[ResourceItem]


@router.get("", response_model=ResourcePage)
def read_my_resources(
    principal: CurrentUser,
    db: SessionDep,
    page: int = Query(default=1, ge=1, le=100_000),
    per_page: int = Query(default=20, ge=1, le=100),
) -> ResourcePage:
    """Your resources (you signed a version as lead author), newest first, each with its newest version's state."""
    total, versions = resources_crud.authored_resources(session=db, address=principal.address, offset=(page - 1) * per_page, limit=per_page)
    paths = resources_crud.catalogue_paths(session=db, node_ids={v.catalogue_node_id for v in versions})
    counts = resources_crud.certificate_counts(session=db, version_ids=[v.id for v in versions])
    return ResourcePage(
        total=total,
        page=page,
        per_page=per_page,
        items=[
            ResourceItem(
                id=v.resource_id,
                version=v.number,
                state=v.state,
                title=v.title,
                resource_type=v.resource_type,
                catalogue_path=paths.get(v.catalogue_node_id, ""),
                chain_status=v.chain_status,
                cid=v.root_cid,
                certificates=counts.get(v.id, 0),
                created_at=v.created_at,
            )
            for v in versions
        ],
    )


@router.get("/{resource_id}", response_model=ResourcePublic)
def read_resource(resource_id: ResourceId, db: SessionDep, principal: OptionalUser, policy: PolicyDep) -> ResourcePublic:
    """A resource with its versions; ``latest`` is the newest version the caller may see."""
    resource = resources_crud.get_resource(session=db, resource_id=resource_id)
    address, roles = (principal.address, principal.roles) if principal else (None, frozenset[str]())
    visible = [
        v
        for v in resources_crud.versions_of(session=db, resource_id=resource_id)
        if v.state in resources_crud.PUBLIC_STATES or resources_crud.can_see_drafts(version=v, address=address, roles=roles)
    ]
    if not visible:
        resources_crud.check_visible(
            version=resources_crud.latest_version(session=db, resource_id=resource_id), address=address, roles=roles
        )
    latest = version_public(db, visible[-1], principal, policy)
    return ResourcePublic(
        id=resource.id,
        owner=None if latest.authors_hidden else resource.owner,
        created_at=resource.created_at,
        versions=[VersionSummary(**resources_crud.summary(v)) for v in visible],
        latest=latest,
    )


@router.get("/{resource_id}/versions/{number}", response_model=VersionPublic)
def read_version(
    resource_id: ResourceId, number: VersionNumber, db: SessionDep, principal: OptionalUser, policy: PolicyDep
) -> VersionPublic:
    """One version: metadata, parts, state, chain record, certificates."""
    version = resources_crud.get_version(session=db, resource_id=resource_id, number=number)
    resources_crud.check_visible(
        version=version, address=principal.address if principal else None, roles=principal.roles if principal else frozenset()
    )
    if contributions.counts_as_use(version, principal.address if principal else None, principal.roles if principal else frozenset()):
        contributions.count_use(db, version, "view")
    return version_public(db, version, principal, policy)


@router.get("/{resource_id}/versions/{number}/history", response_model=HistoryPublic)
def read_history(
    resource_id: ResourceId, number: VersionNumber, db: SessionDep, principal: OptionalUser, policy: PolicyDep
) -> HistoryPublic:
    """The version's append-only workflow events, each hash checked and its chain record shown (under blind review a
    reviewer sees the authors' events without their address)."""
    version = resources_crud.get_version(session=db, resource_id=resource_id, number=number)
    resources_crud.check_visible(
        version=version, address=principal.address if principal else None, roles=principal.roles if principal else frozenset()
    )
    events, previous, intact = [], review.GENESIS_HASH, True
    stored = resources_crud.version_events(session=db, version_id=version.id)
    withheld = {a["address"] for a in version.authors} if policy.hides_authors_from(version, principal) else set()
    people = people_crud.describe(session=db, addresses=[e.actor for e in stored if e.actor.startswith("0x")], **_viewer(principal))
    hidden = review.hidden_review_rounds(db, version, principal)  # reviews are independent: as GET .../reviews
    for event in stored:
        valid = event.prev_hash == previous and review.event_hash(review.event_body(event, version)) == event.hash
        intact = intact and valid
        previous = event.hash
        anonymous = event.actor in withheld
        details = _scrubbed(event.details, withheld) if withheld else event.details
        events.append(
            EventPublic(
                seq=event.seq,
                action=event.action,
                from_state=event.from_state,
                to_state=event.to_state,
                actor=ANONYMOUS_AUTHOR if anonymous else event.actor,
                actor_name=None if anonymous or event.actor not in people else people[event.actor].name,
                role=event.role,
                reason=event.reason,
                reason_code=event.reason_code,
                details=_review_withheld(event.details) if event.action == "review" and _round_of(event) in hidden else details,
                created_at=event.created_at,
                prev_hash=event.prev_hash,
                hash=event.hash,
                hash_valid=valid,
                chain_tx=event.chain_tx,
            )
        )
    return HistoryPublic(
        resource_id=resource_id, version=number, intact=intact, recorded_on_chain=sum(1 for e in events if e.chain_tx), events=events
    )


def _authorship_public(db: SessionDep, ledger: LedgerDep, version: ResourceVersion) -> AuthorshipPublic:
    return AuthorshipPublic(
        **SigningDomainPublic.fields_of(authorship.domain_of(ledger)),
        content_hash=version.content_hash,
        authors=[AuthorPublic(address=a.address, share=a.share, status=a.status) for a in authorship.authors(db, version)],
    )


@router.get("/{resource_id}/versions/{number}/authorship", response_model=AuthorshipPublic)
def read_authorship(
    resource_id: ResourceId, number: VersionNumber, db: SessionDep, ledger: LedgerDep, principal: OptionalUser
) -> AuthorshipPublic:
    """Each author's consent, and what a co-author signs to confirm their share (合作者确认)."""
    version = resources_crud.get_version(session=db, resource_id=resource_id, number=number)
    resources_crud.check_visible(
        version=version, address=principal.address if principal else None, roles=principal.roles if principal else frozenset()
    )
    return _authorship_public(db, ledger, version)


@router.post("/{resource_id}/versions/{number}/authorship", response_model=AuthorshipPublic, status_code=201)
def create_authorship_confirmation(
    resource_id: ResourceId,
    number: VersionNumber,
    request: AuthorshipRequest,
    principal: CurrentUser,
    db: SessionDep,
    ledger: LedgerDep,
    worker: WorkerDep,
) -> AuthorshipPublic:
    """A co-author confirms their authorship and share with their own EIP-712 signature; they hold it once it is on chain."""
    version = review.lock_version(db, resources_crud.get_version(session=db, resource_id=resource_id, number=number).id)
    authorship.confirm(db, ledger, version, principal.address, deadline=request.deadline, signature=request.signature)
    db.commit()
    if worker:
        worker.notify()
    return _authorship_public(db, ledger, version)
