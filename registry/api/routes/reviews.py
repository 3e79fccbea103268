"""Review (入库): the reviewer queue, assignments and claims, rubric reviews, decisions, 出库 and reversals."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Query
from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from ...core.errors import PermissionDeniedError
from ...crud import resources as resources_crud
from ...crud.auth import checked_address
from ...models import ResourceVersion
from ...workflows import inclusion, review
from ...workflows.resource_types import WITHDRAWAL_REASONS
from ..deps import AdminUser, BureauDep, CurrentUser, DirectoryDep, PolicyDep, Principal, ReviewerUser, SessionDep, WorkerDep
from ..params import ResourceId, VersionNumber
from .resources import VersionPublic, version_public

router = APIRouter(tags=["reviews"])

_VERSION = "/resources/{resource_id}/versions/{number}"


class AssignmentRequest(BaseModel):
    model_config = ConfigDict(extra="forbid")

    reviewer: str
    override_reason: str | None = Field(
        default=None,
        min_length=1,
        max_length=2000,
        description="assign a reviewer from an author's institution all the same (利益回避 override): why; recorded in the history",
    )


class AssignmentPublic(BaseModel):
    reviewer: str
    round: int
    assigned_by: str
    same_school: bool = Field(description="the reviewer is from an author's institution, assigned by an administrator's override")
    conflict: str | None = Field(description="the conflict of interest an administrator overrode")
    override_reason: str | None
    assigned_at: datetime
    completed_at: datetime | None


class ReviewRequest(BaseModel):
    orientation_pass: bool = Field(description="政治性/导向性: pass or fail (a fail is a veto)")
    scores: dict[str, int] = Field(description=f"{', '.join(review.RUBRIC)}: each 0–{review.MAX_SCORE}")
    comments: dict[str, str] = Field(default_factory=dict)
    recommendation: Literal["accept", "revise", "decline"]


class ReviewPublic(BaseModel):
    reviewer: str
    round: int
    orientation_pass: bool
    scores: dict[str, int]
    comments: dict[str, str]
    total: int
    recommendation: str
    created_at: datetime


class DecisionRequest(BaseModel):
    decision: Literal["accept", "request_revisions", "decline"]
    reason: str | None = Field(default=None, max_length=2000)


class WithdrawalRequest(BaseModel):
    reason_code: str = Field(description=", ".join(WITHDRAWAL_REASONS))
    reason: str | None = Field(default=None, max_length=2000)


class ReversalRequest(BaseModel):
    reason: str = Field(min_length=1, max_length=2000)


class QueueItem(BaseModel):
    resource_id: int
    version: int
    round: int
    title: str
    resource_type: str
    catalogue_node: str
    submitted_at: datetime
    near_duplicates: int


class QueuePublic(BaseModel):
    assigned: list[QueueItem] = Field(description="assigned to you, waiting for your review")
    open: list[QueueItem] = Field(description="in review, not assigned to you, not yours: claim one")


class VersionItem(BaseModel):
    resource_id: int
    version: int
    round: int
    state: str
    title: str
    resource_type: str
    catalogue_path: str
    submitted_at: datetime
    accepted_at: datetime | None
    near_duplicates: int
    reviews: int = Field(description="completed reviews in the current round")
    reviews_needed: int = Field(description="completed reviews a decision needs")
    vetoed: bool = Field(description="a review of the current round failed 政治性/导向性 (one-vote veto: cannot be accepted)")
    mean_total: float | None = Field(description="the mean rubric total of the current round (0–15)")


class VersionList(BaseModel):
    total: int
    page: int
    per_page: int
    items: list[VersionItem]
    withdrawal_reasons: list[str] = Field(description="the reason codes 出库 takes")


def _locked(db: Session, resource_id: int, number: int) -> ResourceVersion:
    return review.lock_version(db, resources_crud.get_version(session=db, resource_id=resource_id, number=number).id)


def _accepting(db: Session, bureau: BureauDep) -> Callable[[ResourceVersion, str], None]:
    return lambda version, _actor: inclusion.on_accept(db, version, bureau=bureau)


def _done(db: Session, worker: WorkerDep, version: ResourceVersion, principal: Principal, policy: PolicyDep) -> VersionPublic:
    db.commit()
    if worker:
        worker.notify()
    return version_public(db, version, principal, policy)


def _queue_item(version: ResourceVersion) -> QueueItem:
    return QueueItem(
        resource_id=version.resource_id,
        version=version.number,
        round=version.round,
        title=version.title,
        resource_type=version.resource_type,
        catalogue_node=version.catalogue_node_id,
        submitted_at=version.created_at,
        near_duplicates=len(version.near_duplicates),
    )


@router.get("/reviews/queue", response_model=QueuePublic)
def read_queue(reviewer: ReviewerUser, db: SessionDep) -> QueuePublic:
    """Versions waiting for the signed-in reviewer, and versions open to claim (no conflict of interest)."""
    mine, open_ = resources_crud.review_queue(session=db, reviewer=reviewer.address)
    return QueuePublic(assigned=[_queue_item(v) for v in mine], open=[_queue_item(v) for v in review.queue(db, reviewer.address, open_)])


class RubricPublic(BaseModel):
    orientation: str = Field(description="the pass/fail dimension: a fail is a veto (一票否决)")
    dimensions: list[str] = Field(description="the dimensions scored 0..max_score")
    max_score: int
    overall_comment: str = Field(description="the key of the overall comment")
    recommendations: list[str]


@router.get("/reviews/rubric", response_model=RubricPublic)
def read_rubric(principal: CurrentUser) -> RubricPublic:
    """The rubric reviews are scored against (the national dimensions and the veto)."""
    return RubricPublic(
        orientation=review.ORIENTATION,
        dimensions=list(review.RUBRIC),
        max_score=review.MAX_SCORE,
        overall_comment=review.OVERALL_COMMENT,
        recommendations=list(review.RECOMMENDATIONS),
    )


@router.get("/reviews/versions", response_model=VersionList)
def read_versions(
    admin: AdminUser,
    db: SessionDep,
    policy: PolicyDep,
    state: Literal["IN_REVIEW", "ACCEPTED", "REVISIONS_REQUESTED", "DECLINED", "WITHDRAWN"] = "IN_REVIEW",
    page: int = Query(default=1, ge=1, le=100_000),
    per_page: int = Query(default=20, ge=1, le=100),
) -> VersionList:
    """Versions in one state for administrators (in review: with their reviews so far, for the decision; accepted: for 出库)."""
    total, versions = resources_crud.versions_in_state(session=db, state=state, offset=(page - 1) * per_page, limit=per_page)
    paths = resources_crud.catalogue_paths(session=db, node_ids={v.catalogue_node_id for v in versions})
    stats = resources_crud.round_review_stats(session=db, versions=versions)
    return VersionList(
        total=total,
        page=page,
        per_page=per_page,
        withdrawal_reasons=list(WITHDRAWAL_REASONS),
        items=[
            VersionItem(
                resource_id=v.resource_id,
                version=v.number,
                round=v.round,
                state=v.state,
                title=v.title,
                resource_type=v.resource_type,
                catalogue_path=paths.get(v.catalogue_node_id, ""),
                submitted_at=v.created_at,
                accepted_at=v.accepted_at,
                near_duplicates=len(v.near_duplicates),
                reviews=stats[v.id][0],
                reviews_needed=policy.min_reviews,
                vetoed=stats[v.id][1],
                mean_total=stats[v.id][2],
            )
            for v in versions
        ],
    )


@router.post(_VERSION + "/assignments", response_model=AssignmentPublic, status_code=201)
def create_assignment(
    resource_id: ResourceId,
    number: VersionNumber,
    request: AssignmentRequest,
    admin: AdminUser,
    db: SessionDep,
    directory: DirectoryDep,
    policy: PolicyDep,
    worker: WorkerDep,
) -> AssignmentPublic:
    """Assign a reviewer to the current round (409 conflict_of_interest for an author or a reviewer from an
    author's institution; the latter may be assigned with an override_reason)."""
    reviewer = checked_address(request.reviewer)
    version = _locked(db, resource_id, number)
    assignment = review.assign_reviewer(
        db,
        version,
        reviewer,
        caller=admin,
        is_reviewer=directory.is_reviewer(reviewer),
        policy=policy,
        override_reason=request.override_reason,
    )
    db.commit()
    if worker:
        worker.notify()
    return AssignmentPublic.model_validate(assignment, from_attributes=True)


@router.post(_VERSION + "/claim", response_model=AssignmentPublic, status_code=201)
def claim_review(
    resource_id: ResourceId,
    number: VersionNumber,
    reviewer: ReviewerUser,
    db: SessionDep,
    directory: DirectoryDep,
    policy: PolicyDep,
    worker: WorkerDep,
) -> AssignmentPublic:
    """Claim a version from the queue to review it (not one you have a conflict of interest with)."""
    version = _locked(db, resource_id, number)
    assignment = review.assign_reviewer(
        db, version, reviewer.address, caller=reviewer, is_reviewer=directory.is_reviewer(reviewer.address), policy=policy
    )
    db.commit()
    if worker:
        worker.notify()
    return AssignmentPublic.model_validate(assignment, from_attributes=True)


@router.get(_VERSION + "/assignments", response_model=list[AssignmentPublic])
def read_assignments(resource_id: ResourceId, number: VersionNumber, principal: CurrentUser, db: SessionDep) -> list[AssignmentPublic]:
    """Who reviews the version, per round (administrators and reviewers)."""
    if not principal.roles & {"admin", "reviewer"}:
        raise PermissionDeniedError("assignments are visible to administrators and reviewers")
    version = resources_crud.get_version(session=db, resource_id=resource_id, number=number)
    return [
        AssignmentPublic.model_validate(a, from_attributes=True)
        for a in resources_crud.version_assignments(session=db, version_id=version.id)
    ]


@router.post(_VERSION + "/reviews", response_model=ReviewPublic, status_code=201)
def create_review(
    resource_id: ResourceId,
    number: VersionNumber,
    request: ReviewRequest,
    reviewer: ReviewerUser,
    db: SessionDep,
    policy: PolicyDep,
    bureau: BureauDep,
    worker: WorkerDep,
) -> ReviewPublic:
    """Submit the rubric review of an assigned version (final once submitted)."""
    version = _locked(db, resource_id, number)
    rubric = review.Rubric(request.orientation_pass, request.scores, request.comments, request.recommendation)
    result = review.submit_review(db, version, reviewer, rubric, policy=policy, on_accept=_accepting(db, bureau))
    db.commit()
    if worker:
        worker.notify()
    return ReviewPublic.model_validate(result, from_attributes=True)


@router.get(_VERSION + "/reviews", response_model=list[ReviewPublic])
def read_reviews(resource_id: ResourceId, number: VersionNumber, principal: CurrentUser, db: SessionDep) -> list[ReviewPublic]:
    """The reviews the caller may read: administrators all; authors once a decision is taken; reviewers
    earlier rounds, and the current one after submitting their own."""
    version = resources_crud.get_version(session=db, resource_id=resource_id, number=number)
    return [ReviewPublic.model_validate(r, from_attributes=True) for r in review.visible_reviews(db, version, principal)]


@router.post(_VERSION + "/decision", response_model=VersionPublic)
def create_decision(
    resource_id: ResourceId,
    number: VersionNumber,
    request: DecisionRequest,
    admin: AdminUser,
    db: SessionDep,
    policy: PolicyDep,
    bureau: BureauDep,
    worker: WorkerDep,
) -> VersionPublic:
    """Accept (入库, issues the inclusion certificate), request revisions, or decline: needs the configured number of reviews."""
    version = _locked(db, resource_id, number)
    review.decide(db, version, request.decision, caller=admin, reason=request.reason, policy=policy, on_accept=_accepting(db, bureau))
    return _done(db, worker, version, admin, policy)


@router.post(_VERSION + "/withdrawal", response_model=VersionPublic)
def create_withdrawal(
    resource_id: ResourceId,
    number: VersionNumber,
    request: WithdrawalRequest,
    principal: CurrentUser,
    db: SessionDep,
    policy: PolicyDep,
    worker: WorkerDep,
) -> VersionPublic:
    """出库: withdraw with a reason code (administrators; the lead author with author_request); revokes its certificates."""
    version = _locked(db, resource_id, number)
    review.withdraw(
        db,
        version,
        caller=principal,
        reason_code=request.reason_code,
        reason=request.reason,
        on_withdraw=lambda v, code: inclusion.on_withdraw(db, v, code),
        policy=policy,
    )
    return _done(db, worker, version, principal, policy)


@router.post(_VERSION + "/reopen", response_model=VersionPublic)
def reopen_version(
    resource_id: ResourceId,
    number: VersionNumber,
    request: ReversalRequest,
    admin: AdminUser,
    db: SessionDep,
    policy: PolicyDep,
    worker: WorkerDep,
) -> VersionPublic:
    """Reverse a decline: the version is in review again, in a new round."""
    version = _locked(db, resource_id, number)
    review.reopen(db, version, caller=admin, reason=request.reason)
    return _done(db, worker, version, admin, policy)


@router.post(_VERSION + "/reinstate", response_model=VersionPublic)
def reinstate_version(
    resource_id: ResourceId,
    number: VersionNumber,
    request: ReversalRequest,
    admin: AdminUser,
    db: SessionDep,
    policy: PolicyDep,
    bureau: BureauDep,
    worker: WorkerDep,
) -> VersionPublic:
    """Reverse a withdrawal: accepted again, with a new inclusion certificate."""
    version = _locked(db, resource_id, number)
    review.reinstate(db, version, caller=admin, reason=request.reason, on_accept=_accepting(db, bureau))
    return _done(db, worker, version, admin, policy)
