"""Selection programmes (遴选/推荐): set-up, nominations, panel scores, the 公示 list and objections,
selection and recommendation; collection (收藏) of included resources."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Path
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ...core.errors import PermissionDeniedError, ResourceNotFoundError
from ...crud import people as people_crud
from ...crud import resources as resources_crud
from ...models import Certificate, Nominee, Objection, PanelScore, Programme, ProgrammeEvent, Recommendation, ResourceVersion
from ...workflows import programmes as workflow
from ...workflows.review import lock_version
from ..deps import AdminUser, CurrentUser, NowDep, OptionalUser, Principal, ReviewerUser, SessionDep, WorkerDep
from ..params import MAX_INT

router = APIRouter(tags=["programmes"])


class CriterionModel(BaseModel):
    model_config = ConfigDict(extra="forbid")

    criterion: str = Field(min_length=1, max_length=40)
    max: int = Field(ge=1, le=100)


class ProgrammeCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    year: int
    level: Literal["district", "city", "province"]
    institution_id: str = Field(description="the organising bureau (its kind is the level)")
    resource_types: list[str] = Field(default_factory=list, max_length=20, description="eligible types; empty: all")
    catalogue_scope: list[str] = Field(default_factory=list, max_length=200, description="eligible catalogue subtrees; empty: all")
    quota_total: int = Field(description="how many are selected at most")
    quota_per_school: int | None = Field(default=None, description="nominations and selections per school")
    quota_per_teacher: int | None = Field(default=None, description="nominations and selections per teacher")
    quota_per_node: int | None = Field(default=None, description="selections per catalogue node at node_level")
    node_level: Literal["stage", "subject", "grade", "edition", "volume", "chapter"] = "volume"
    nomination_closes_at: datetime
    notice_days: int = Field(description="the 公示 window, in days from publication")
    panel: list[str] = Field(min_length=1, max_length=500, description="reviewer addresses")
    rubric: list[CriterionModel] | None = Field(
        default=None, max_length=12, description="default: 思想性, 科学性, 创新性, 规范性, 应用效果 (20 each)"
    )
    min_scores: int = Field(default=2, description="panel scores each nominee needs before ranking")
    blind_review: bool = True
    recommend_count: int = Field(default=0, description="the top selected recommended to the next level (推荐)")


class ProgrammePublic(BaseModel):
    id: int
    chain_id: str = Field(description="the programmeId its certificates carry on chain")
    name: str
    year: int
    level: str
    institution_id: str
    resource_types: list[str]
    catalogue_scope: list[str]
    quota_total: int
    quota_per_school: int | None
    quota_per_teacher: int | None
    quota_per_node: int | None
    node_level: str
    nomination_closes_at: datetime
    notice_days: int
    notice_opens_at: datetime | None
    notice_closes_at: datetime | None
    panel: list[str] = Field(
        description="the panel's addresses, for administrators; a panel member sees only itself (nobody else learns whom to lobby)"
    )
    rubric: list[CriterionModel]
    min_scores: int
    blind_review: bool
    recommend_count: int
    phase: str = Field(description="nominating, scoring, notice, notice_closed or selected")
    tie_rule: str
    nominees: int


class NominationRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    resource_id: int = Field(ge=1, le=MAX_INT)
    version: int | None = Field(default=None, ge=1, le=MAX_INT, description="default: the resource's accepted version")
    route: Literal["self", "school"] = "self"


class IntakeRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    from_programme_id: int = Field(ge=1, le=MAX_INT)


class NomineePublic(BaseModel):
    id: int
    resource_id: int
    version: int
    title: str
    resource_type: str
    catalogue_node: str
    bucket: str
    route: str
    status: str = Field(description="nominated, proposed, removed, selected or dropped")
    teacher: str | None = Field(description="hidden from the panel under blind review")
    school_id: str | None = Field(description="hidden from the panel under blind review")
    mean_score: float | None
    rank: int | None = Field(description="within its bucket, once published")
    scores: int
    my_scores: dict[str, int] | None = Field(default=None, description="the caller's own scores of the nominee, once given (panel members)")


class ScoreRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    scores: dict[str, int]


class ScorePublic(BaseModel):
    nominee_id: int
    reviewer: str
    scores: dict[str, int]
    total: int
    created_at: datetime


class RankedPublic(BaseModel):
    nominee_id: int
    bucket: str
    mean: float
    lowest: int
    scores: int
    bucket_rank: int
    proposed: bool
    reason: str | None = Field(description="the quota that keeps it off the list")


class NoticeEntry(BaseModel):
    nominee_id: int
    resource_id: int
    title: str
    resource_type: str
    catalogue_path: str
    bucket_rank: int | None
    teacher_name: str | None = Field(description="only with the teacher's consent")
    school: str | None = Field(description="only with the teacher's consent")
    status: str
    objections: int


class NoticePublic(BaseModel):
    programme_id: int
    name: str
    year: int
    level: str
    phase: str
    notice_opens_at: datetime | None
    notice_closes_at: datetime | None
    tie_rule: str
    entries: list[NoticeEntry]


class ObjectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)


class ObjectionDecisionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    decision: Literal["uphold", "reject"]
    reason: str = Field(min_length=1, max_length=2000)


class ObjectionPublic(BaseModel):
    id: int
    nominee_id: int
    filed_by: str
    reason: str
    filed_at: datetime
    status: str
    decision_reason: str | None
    decided_by: str | None
    decided_at: datetime | None


class CertificateRef(BaseModel):
    id: int = Field(description="the registry's certificate row")
    chain_certificate_id: int | None
    kind: str
    level: str
    status: str


class SelectedPublic(BaseModel):
    nominee_id: int
    resource_id: int
    version: int
    certificates: list[CertificateRef]
    recommendation_id: int | None


class SelectionPublic(BaseModel):
    programme_id: int
    selected: list[SelectedPublic]


class RecommendationPublic(BaseModel):
    id: int
    nominee_id: int
    resource_id: int
    version: int
    to_level: str
    certificate: CertificateRef
    decision_hash: str
    taken_in_by: int | None


class ProgrammeEventPublic(BaseModel):
    seq: int
    action: str
    nominee_id: int | None
    actor: str
    details: dict[str, object]
    created_at: datetime
    prev_hash: str
    hash: str
    chain_tx: str | None


class CollectionRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    level: Literal["district", "city", "province", "national"]
    reason: str | None = Field(default=None, max_length=2000)


class CollectionPublic(BaseModel):
    id: int
    resource_id: int
    version: int
    level: str
    collected_by: str
    certificate: CertificateRef
    created_at: datetime


def _programme(db: Session, programme_id: int) -> Programme:
    programme = db.get(Programme, programme_id)
    if programme is None:
        raise ResourceNotFoundError(f"no programme {programme_id}")
    return programme


def _nominee(db: Session, programme: Programme, nominee_id: int) -> Nominee:
    nominee = db.get(Nominee, nominee_id)
    if nominee is None or nominee.programme_id != programme.id:
        raise ResourceNotFoundError(f"programme {programme.id} has no nominee {nominee_id}")
    return nominee


def _programme_public(
    db: Session, programme: Programme, now: datetime, *, public: bool = False, viewer: Principal | None = None
) -> ProgrammePublic:
    """A ``public`` answer shows the panel whole to administrators only, to a panel member only itself."""
    count = len(workflow.nominees_of(db, programme))
    panel = programme.panel
    if public and (viewer is None or "admin" not in viewer.roles):
        panel = [viewer.address] if viewer is not None and viewer.address in programme.panel else []
    return ProgrammePublic(
        id=programme.id,
        chain_id=programme.chain_id,
        name=programme.name,
        year=programme.year,
        level=programme.level,
        institution_id=programme.institution_id,
        resource_types=programme.resource_types,
        catalogue_scope=programme.catalogue_scope,
        quota_total=programme.quota_total,
        quota_per_school=programme.quota_per_school,
        quota_per_teacher=programme.quota_per_teacher,
        quota_per_node=programme.quota_per_node,
        node_level=programme.node_level,
        nomination_closes_at=programme.nomination_closes_at,
        notice_days=programme.notice_days,
        notice_opens_at=programme.notice_opens_at,
        notice_closes_at=programme.notice_closes_at,
        panel=panel,
        rubric=[CriterionModel(**c) for c in programme.rubric],
        min_scores=programme.min_scores,
        blind_review=programme.blind_review,
        recommend_count=programme.recommend_count,
        phase=workflow.phase(programme, now),
        tie_rule=workflow.TIE_RULE,
        nominees=count,
    )


def _nominee_public(db: Session, nominee: Nominee, *, blind: bool, scores: int, my_scores: dict[str, int] | None = None) -> NomineePublic:
    version = db.get_one(ResourceVersion, nominee.version_id)
    return NomineePublic(
        id=nominee.id,
        resource_id=nominee.resource_id,
        version=version.number,
        title=version.title,
        resource_type=version.resource_type,
        catalogue_node=version.catalogue_node_id,
        bucket=nominee.bucket,
        route=nominee.route,
        status=nominee.status,
        teacher=None if blind else nominee.teacher,
        school_id=None if blind else nominee.school_id,
        mean_score=nominee.mean_score,
        rank=nominee.rank,
        scores=scores,
        my_scores=my_scores,
    )


def _certificate_ref(certificate: Certificate) -> CertificateRef:
    return CertificateRef(
        id=certificate.id,
        chain_certificate_id=certificate.chain_certificate_id,
        kind=certificate.kind,
        level=certificate.level,
        status=certificate.status,
    )


def _committed(db: Session, worker: WorkerDep) -> None:
    db.commit()
    if worker:
        worker.notify()


@router.post("/programmes", response_model=ProgrammePublic, status_code=201)
def create_programme(body: ProgrammeCreate, admin: AdminUser, db: SessionDep, now: NowDep) -> ProgrammePublic:
    """Set up a programme: level and organising bureau, eligibility, quotas, deadlines, panel, rubric, blind review."""
    spec = workflow.ProgrammeSpec(
        name=body.name,
        year=body.year,
        level=body.level,
        institution_id=body.institution_id,
        quota_total=body.quota_total,
        nomination_closes_at=body.nomination_closes_at,
        notice_days=body.notice_days,
        panel=body.panel,
        quota_per_school=body.quota_per_school,
        quota_per_teacher=body.quota_per_teacher,
        quota_per_node=body.quota_per_node,
        node_level=body.node_level,
        resource_types=body.resource_types,
        catalogue_scope=body.catalogue_scope,
        min_scores=body.min_scores,
        blind_review=body.blind_review,
        recommend_count=body.recommend_count,
        **({"rubric": [workflow.Criterion(c.criterion, c.max) for c in body.rubric]} if body.rubric is not None else {}),
    )
    programme = workflow.create_programme(db, spec, actor=admin.address, now=now)
    db.commit()
    return _programme_public(db, programme, now)


@router.get("/programmes", response_model=list[ProgrammePublic])
def read_programmes(db: SessionDep, now: NowDep, viewer: OptionalUser) -> list[ProgrammePublic]:
    """Every programme, newest first."""
    return [
        _programme_public(db, p, now, public=True, viewer=viewer)
        for p in db.scalars(select(Programme).order_by(Programme.id.desc()).limit(500))
    ]


@router.get("/programmes/{programme_id}", response_model=ProgrammePublic)
def read_programme(db: SessionDep, now: NowDep, viewer: OptionalUser, programme_id: int = Path(ge=1, le=MAX_INT)) -> ProgrammePublic:
    """A programme, its quotas and deadlines, and its phase now."""
    return _programme_public(db, _programme(db, programme_id), now, public=True, viewer=viewer)


@router.post("/programmes/{programme_id}/nominations", response_model=NomineePublic, status_code=201)
def create_nomination(
    body: NominationRequest,
    principal: CurrentUser,
    db: SessionDep,
    now: NowDep,
    worker: WorkerDep,
    programme_id: int = Path(ge=1, le=MAX_INT),
) -> NomineePublic:
    """Nominate an accepted resource: a teacher their own (self), a school its teachers' (school)."""
    programme = workflow.lock_programme(db, programme_id)
    if body.version is None:  # the accepted version, else the latest (which is then refused with its state)
        versions = resources_crud.versions_of(session=db, resource_id=body.resource_id)
        if not versions:
            raise ResourceNotFoundError(f"no resource {body.resource_id}")
        version = next((v for v in reversed(versions) if v.state == "ACCEPTED"), versions[-1])
    else:
        version = resources_crud.get_version(session=db, resource_id=body.resource_id, number=body.version)
    nominee = workflow.nominate(
        db,
        programme,
        version,
        actor=principal.address,
        roles=principal.roles,
        institution_id=principal.institution_id,
        route=body.route,
        now=now,
    )
    _committed(db, worker)
    return _nominee_public(db, nominee, blind=False, scores=0)


@router.post("/programmes/{programme_id}/intake", response_model=list[NomineePublic], status_code=201)
def take_in_recommendations(
    body: IntakeRequest,
    admin: AdminUser,
    db: SessionDep,
    now: NowDep,
    worker: WorkerDep,
    programme_id: int = Path(ge=1, le=MAX_INT),
) -> list[NomineePublic]:
    """Take in a lower level's recommendations (推荐) as nominees: all of them or, on any refusal, none."""
    programme = workflow.lock_programme(db, programme_id)
    source = _programme(db, body.from_programme_id)
    nominees = workflow.take_in(db, programme, source, actor=admin.address, now=now)
    _committed(db, worker)
    return [_nominee_public(db, n, blind=False, scores=0) for n in nominees]


def _score_counts(db: Session, programme: Programme) -> dict[int, int]:
    return {
        row[0]: int(row[1])
        for row in db.execute(
            select(PanelScore.nominee_id, func.count()).where(PanelScore.programme_id == programme.id).group_by(PanelScore.nominee_id)
        )
    }


@router.get("/programmes/{programme_id}/nominees", response_model=list[NomineePublic])
def read_nominees(principal: CurrentUser, db: SessionDep, programme_id: int = Path(ge=1, le=MAX_INT)) -> list[NomineePublic]:
    """The nominees, for administrators and the panel (the panel sees no teacher or school under blind review)."""
    programme = _programme(db, programme_id)
    admin = "admin" in principal.roles
    if not admin and principal.address not in programme.panel:
        raise PermissionDeniedError("the nominees are listed for administrators and the programme's panel; the public sees the 公示 list")
    counts = _score_counts(db, programme)
    mine = workflow.scores_by(db, programme, principal.address)
    blind = programme.blind_review and not admin
    return [
        _nominee_public(db, n, blind=blind, scores=counts.get(n.id, 0), my_scores=mine.get(n.id))
        for n in workflow.nominees_of(db, programme)
    ]


@router.post("/programmes/{programme_id}/nominees/{nominee_id}/scores", response_model=ScorePublic, status_code=201)
def create_score(
    body: ScoreRequest,
    reviewer: ReviewerUser,
    db: SessionDep,
    now: NowDep,
    programme_id: int = Path(ge=1, le=MAX_INT),
    nominee_id: int = Path(ge=1, le=MAX_INT),
) -> ScorePublic:
    """A panel reviewer scores a nominee against the programme's rubric (once)."""
    programme = workflow.lock_programme(db, programme_id)
    entry = workflow.score(db, programme, _nominee(db, programme, nominee_id), reviewer=reviewer.address, scores=body.scores, now=now)
    db.commit()
    return ScorePublic(
        nominee_id=entry.nominee_id, reviewer=entry.reviewer, scores=entry.scores, total=entry.total, created_at=entry.created_at
    )


@router.get("/programmes/{programme_id}/ranking", response_model=list[RankedPublic])
def read_ranking(admin: AdminUser, db: SessionDep, programme_id: int = Path(ge=1, le=MAX_INT)) -> list[RankedPublic]:
    """The ranking now (per bucket, by the tie rule) and the list it proposes under the quotas."""
    return [RankedPublic(**r.__dict__) for r in workflow.rank(db, _programme(db, programme_id))]


@router.post("/programmes/{programme_id}/publish", response_model=list[RankedPublic])
def publish_list(
    admin: AdminUser, db: SessionDep, now: NowDep, worker: WorkerDep, programme_id: int = Path(ge=1, le=MAX_INT)
) -> list[RankedPublic]:
    """Publish the proposed list: the 公示 window opens."""
    programme = workflow.lock_programme(db, programme_id)
    ranked = workflow.publish(db, programme, actor=admin.address, now=now)
    _committed(db, worker)
    return [RankedPublic(**r.__dict__) for r in ranked]


@router.get("/programmes/{programme_id}/notice", response_model=NoticePublic)
def read_notice(db: SessionDep, now: NowDep, programme_id: int = Path(ge=1, le=MAX_INT)) -> NoticePublic:
    """The public 公示 page: the proposed (later the selected) list; a teacher's name and school only with their consent."""
    programme = _programme(db, programme_id)
    shown = workflow.nominees_of(db, programme, ["proposed", "removed", "selected"]) if programme.state != "open" else []
    labels = people_crud.describe(session=db, addresses=[n.teacher for n in shown])  # as the public sees them
    objections = dict(
        db.execute(
            select(Objection.nominee_id, func.count()).where(Objection.programme_id == programme.id).group_by(Objection.nominee_id)
        ).all()
    )
    versions = {v.id: v for v in db.scalars(select(ResourceVersion).where(ResourceVersion.id.in_([n.version_id for n in shown])))}
    paths = resources_crud.catalogue_paths(session=db, node_ids={v.catalogue_node_id for v in versions.values()})
    entries = []
    for n in sorted(shown, key=lambda n: (n.bucket, n.rank or 0, n.id)):
        version = versions[n.version_id]
        label = labels[n.teacher]
        entries.append(
            NoticeEntry(
                nominee_id=n.id,
                resource_id=n.resource_id,
                title=version.title,
                resource_type=version.resource_type,
                catalogue_path=paths.get(version.catalogue_node_id, version.catalogue_node_id),
                bucket_rank=n.rank,
                teacher_name=label.name,
                school=label.institution,
                status=n.status,
                objections=int(objections.get(n.id, 0)),
            )
        )
    return NoticePublic(
        programme_id=programme.id,
        name=programme.name,
        year=programme.year,
        level=programme.level,
        phase=workflow.phase(programme, now),
        notice_opens_at=programme.notice_opens_at,
        notice_closes_at=programme.notice_closes_at,
        tie_rule=workflow.TIE_RULE,
        entries=entries,
    )


def _objection_public(o: Objection) -> ObjectionPublic:
    return ObjectionPublic(
        id=o.id,
        nominee_id=o.nominee_id,
        filed_by=o.filed_by,
        reason=o.reason,
        filed_at=o.filed_at,
        status=o.status,
        decision_reason=o.decision_reason,
        decided_by=o.decided_by,
        decided_at=o.decided_at,
    )


@router.post("/programmes/{programme_id}/nominees/{nominee_id}/objections", response_model=ObjectionPublic, status_code=201)
def create_objection(
    body: ObjectionRequest,
    principal: CurrentUser,
    db: SessionDep,
    now: NowDep,
    worker: WorkerDep,
    programme_id: int = Path(ge=1, le=MAX_INT),
    nominee_id: int = Path(ge=1, le=MAX_INT),
) -> ObjectionPublic:
    """Object (异议) to a proposed nominee while the 公示 window is open, with a reason."""
    programme = workflow.lock_programme(db, programme_id)
    objection = workflow.file_objection(
        db, programme, _nominee(db, programme, nominee_id), actor=principal.address, reason=body.reason, now=now
    )
    _committed(db, worker)
    return _objection_public(objection)


@router.get("/programmes/{programme_id}/objections", response_model=list[ObjectionPublic])
def read_objections(admin: AdminUser, db: SessionDep, programme_id: int = Path(ge=1, le=MAX_INT)) -> list[ObjectionPublic]:
    """The objections filed and their decisions."""
    programme = _programme(db, programme_id)
    return [
        _objection_public(o) for o in db.scalars(select(Objection).where(Objection.programme_id == programme.id).order_by(Objection.id))
    ]


@router.post("/programmes/{programme_id}/objections/{objection_id}/decision", response_model=ObjectionPublic)
def decide_objection(
    body: ObjectionDecisionRequest,
    admin: AdminUser,
    db: SessionDep,
    now: NowDep,
    worker: WorkerDep,
    programme_id: int = Path(ge=1, le=MAX_INT),
    objection_id: int = Path(ge=1, le=MAX_INT),
) -> ObjectionPublic:
    """Uphold an objection (the nominee leaves the list) or reject it; the decision and its reason are recorded."""
    programme = workflow.lock_programme(db, programme_id)
    objection = db.get(Objection, objection_id)
    if objection is None or objection.programme_id != programme.id:
        raise ResourceNotFoundError(f"programme {programme.id} has no objection {objection_id}")
    workflow.resolve_objection(db, programme, objection, actor=admin.address, decision=body.decision, reason=body.reason, now=now)
    _committed(db, worker)
    return _objection_public(objection)


def _selected(db: Session, programme: Programme, nominees: list[Nominee]) -> SelectionPublic:
    certificates = workflow.certificates_of(db, programme)
    recommendations = {r.nominee_id: r.id for r in db.scalars(select(Recommendation).where(Recommendation.programme_id == programme.id))}
    entries = []
    for n in nominees:
        version = db.get_one(ResourceVersion, n.version_id)
        entries.append(
            SelectedPublic(
                nominee_id=n.id,
                resource_id=n.resource_id,
                version=version.number,
                certificates=[_certificate_ref(c) for c in certificates if c.version_id == n.version_id],
                recommendation_id=recommendations.get(n.id),
            )
        )
    return SelectionPublic(programme_id=programme.id, selected=entries)


@router.post("/programmes/{programme_id}/selection", response_model=SelectionPublic)
def select_final(
    admin: AdminUser, db: SessionDep, now: NowDep, worker: WorkerDep, programme_id: int = Path(ge=1, le=MAX_INT)
) -> SelectionPublic:
    """Make the selection final (after the window closed and every objection is decided): 入选 and 推荐 certificates."""
    programme = workflow.lock_programme(db, programme_id)
    final = workflow.select_nominees(db, programme, actor=admin.address, now=now)
    _committed(db, worker)
    return _selected(db, programme, final)


@router.get("/programmes/{programme_id}/selection", response_model=SelectionPublic)
def read_selection(db: SessionDep, programme_id: int = Path(ge=1, le=MAX_INT)) -> SelectionPublic:
    """The selected resources and their certificates."""
    programme = _programme(db, programme_id)
    return _selected(db, programme, workflow.nominees_of(db, programme, ["selected"]))


@router.get("/programmes/{programme_id}/recommendations", response_model=list[RecommendationPublic])
def read_recommendations(db: SessionDep, programme_id: int = Path(ge=1, le=MAX_INT)) -> list[RecommendationPublic]:
    """The 推荐 records to the next level, with their certificates and decision hashes."""
    programme = _programme(db, programme_id)
    out = []
    for r in db.scalars(select(Recommendation).where(Recommendation.programme_id == programme.id).order_by(Recommendation.id)):
        version = db.get_one(ResourceVersion, r.version_id)
        out.append(
            RecommendationPublic(
                id=r.id,
                nominee_id=r.nominee_id,
                resource_id=version.resource_id,
                version=version.number,
                to_level=r.to_level,
                certificate=_certificate_ref(db.get_one(Certificate, r.certificate_id)),
                decision_hash=r.decision_hash,
                taken_in_by=r.taken_in_by,
            )
        )
    return out


@router.get("/programmes/{programme_id}/events", response_model=list[ProgrammeEventPublic])
def read_events(admin: AdminUser, db: SessionDep, programme_id: int = Path(ge=1, le=MAX_INT)) -> list[ProgrammeEventPublic]:
    """The programme's hash-chained decision history (events about nominees are recorded on chain)."""
    programme = _programme(db, programme_id)
    return [
        ProgrammeEventPublic(
            seq=e.seq,
            action=e.action,
            nominee_id=e.nominee_id,
            actor=e.actor,
            details=e.details,
            created_at=e.created_at,
            prev_hash=e.prev_hash,
            hash=e.hash,
            chain_tx=e.chain_tx,
        )
        for e in db.scalars(select(ProgrammeEvent).where(ProgrammeEvent.programme_id == programme.id).order_by(ProgrammeEvent.seq))
    ]


@router.post("/resources/{resource_id}/versions/{number}/collection", response_model=CollectionPublic, status_code=201)
def collect_version(
    body: CollectionRequest,
    admin: AdminUser,
    db: SessionDep,
    now: NowDep,
    worker: WorkerDep,
    resource_id: int = Path(ge=1, le=MAX_INT),
    number: int = Path(ge=1, le=MAX_INT),
) -> CollectionPublic:
    """收藏: collect an included version at a platform or the national level; a 收藏 certificate is issued."""
    version = lock_version(db, resources_crud.get_version(session=db, resource_id=resource_id, number=number).id)
    collection = workflow.collect(db, version, actor=admin.address, level=body.level, reason=body.reason, now=now)
    _committed(db, worker)
    return CollectionPublic(
        id=collection.id,
        resource_id=resource_id,
        version=number,
        level=collection.level,
        collected_by=collection.collected_by,
        certificate=_certificate_ref(db.get_one(Certificate, collection.certificate_id)),
        created_at=collection.created_at,
    )
