"""The review workflow (入库 / 出库) as an explicit state machine.

::

    SUBMITTED ─screen─▶ SCREENING ─pass_screening─▶ IN_REVIEW ─accept─▶ ACCEPTED ─withdraw─▶ WITHDRAWN
                                                       │  ▲                 │                  │
                                      request_revisions│  │reopen           │supersede         │reinstate
                                                       ▼  │                 ▼                  ▼
                                  REVISIONS_REQUESTED   DECLINED        SUPERSEDED          ACCEPTED

A resubmission after revisions is a new version (new content, new round); the old one becomes
SUPERSEDED. A newer version's acceptance supersedes the accepted one. Reversals (reopen,
reinstate) are explicit events. Every event — transitions, assignments, reviews — is appended to
the version's history with a hash chained to the previous event's, and the hash goes on chain.

Concurrency: every event updates the version row, whose ``lock_version`` SQLAlchemy checks
(optimistic locking); on PostgreSQL the row is also locked (``SELECT ... FOR UPDATE``) for the
whole transaction. Two reviewers acting at once are serialised or one gets a 409.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

import rfc8785
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..chain.jobs import enqueue
from ..core.errors import ConflictError, InvalidRequestError, InvalidTransitionError, PermissionDeniedError, ResourceNotFoundError
from ..models import Certificate, ResourceVersion, Review, ReviewAssignment, User, WorkflowEvent, utcnow
from .resource_types import WITHDRAWAL_REASONS

__all__ = [
    "ACTIONS",
    "GENESIS_HASH",
    "RUBRIC",
    "Action",
    "DecisionPolicy",
    "Rubric",
    "State",
    "allowed_actions",
    "assign_reviewer",
    "decide",
    "event_body",
    "event_hash",
    "lock_version",
    "record_event",
    "reinstate",
    "reopen",
    "submit_review",
    "supersede",
    "transition",
    "withdraw",
]

GENESIS_HASH = "0x" + "00" * 32
RUBRIC = ("科学性", "适用性", "规范性", "时效性", "公益性")  # each scored 0–3; 政治性/导向性 is pass/fail


class State(StrEnum):
    SUBMITTED = "SUBMITTED"
    SCREENING = "SCREENING"
    IN_REVIEW = "IN_REVIEW"
    REVISIONS_REQUESTED = "REVISIONS_REQUESTED"
    DECLINED = "DECLINED"
    ACCEPTED = "ACCEPTED"
    WITHDRAWN = "WITHDRAWN"
    SUPERSEDED = "SUPERSEDED"


@dataclass(frozen=True)
class Action:
    sources: frozenset[State]
    target: State
    by: frozenset[str]  # roles that may take it; "system" for automatic steps, "author" for the version's authors


def _action(sources: Iterable[State], target: State, *by: str) -> Action:
    return Action(frozenset(sources), target, frozenset(by))


ACTIONS: dict[str, Action] = {
    "screen": _action([State.SUBMITTED], State.SCREENING, "system"),
    "pass_screening": _action([State.SCREENING], State.IN_REVIEW, "system"),
    "accept": _action([State.IN_REVIEW], State.ACCEPTED, "admin", "system"),
    "request_revisions": _action([State.IN_REVIEW], State.REVISIONS_REQUESTED, "admin", "system"),
    "decline": _action([State.IN_REVIEW], State.DECLINED, "admin", "system"),
    "withdraw": _action([State.ACCEPTED, State.IN_REVIEW, State.REVISIONS_REQUESTED], State.WITHDRAWN, "admin", "author"),
    "supersede": _action([State.ACCEPTED, State.REVISIONS_REQUESTED], State.SUPERSEDED, "system"),
    "reopen": _action([State.DECLINED], State.IN_REVIEW, "admin"),
    "reinstate": _action([State.WITHDRAWN], State.ACCEPTED, "admin"),
}
# Events that record work without changing the state, and the state they need.
_IN_PLACE = {"submit": None, "assign": State.IN_REVIEW, "claim": State.IN_REVIEW, "review": State.IN_REVIEW}
_CHAIN_STATUS = {State.ACCEPTED: "Included", State.WITHDRAWN: "Withdrawn", State.SUPERSEDED: "Superseded"}


def allowed_actions(state: str) -> list[str]:
    """The actions the workflow allows from ``state`` (whoever may take them)."""
    allowed = [name for name, action in ACTIONS.items() if state in action.sources]
    if state == State.IN_REVIEW:
        allowed += ["assign", "claim", "review"]
    return sorted(allowed)


def event_hash(body: dict[str, Any]) -> str:
    return "0x" + hashlib.sha256(rfc8785.dumps(body)).hexdigest()


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def event_body(event: WorkflowEvent, version: ResourceVersion) -> dict[str, Any]:
    """What an event's hash covers (everything but the hash itself and its chain record)."""
    return {
        "resource": version.resource_id,
        "version": version.number,
        "seq": event.seq,
        "action": event.action,
        "from": event.from_state,
        "to": event.to_state,
        "actor": event.actor,
        "role": event.role,
        "reason": event.reason,
        "reasonCode": event.reason_code,
        "details": event.details,
        "at": _timestamp(event.created_at),
        "prev": event.prev_hash,
    }


def lock_version(session: Session, version_id: int) -> ResourceVersion:
    """Load a version for a workflow change (row-locked on PostgreSQL)."""
    version = session.scalar(select(ResourceVersion).where(ResourceVersion.id == version_id).with_for_update())
    if version is None:
        raise ResourceNotFoundError(f"no resource version {version_id}")
    return version


def record_event(
    session: Session,
    version: ResourceVersion,
    action: str,
    *,
    actor: str,
    role: str,
    from_state: str | None = None,
    to_state: str | None = None,
    reason: str | None = None,
    reason_code: str | None = None,
    details: dict[str, Any] | None = None,
) -> WorkflowEvent:
    """Append an event to the version's history (and touch the version, for optimistic locking)."""
    last = session.execute(
        select(WorkflowEvent.seq, WorkflowEvent.hash)
        .where(WorkflowEvent.version_id == version.id)
        .order_by(WorkflowEvent.seq.desc())
        .limit(1)
    ).first()
    event = WorkflowEvent(
        version_id=version.id,
        seq=(last[0] + 1) if last else 1,
        action=action,
        from_state=from_state,
        to_state=to_state,
        actor=actor,
        role=role,
        reason=reason,
        reason_code=reason_code,
        details=details or {},
        created_at=utcnow(),
        prev_hash=last[1] if last else GENESIS_HASH,
    )
    event.hash = event_hash(event_body(event, version))
    session.add(event)
    version.updated_at = event.created_at
    session.flush()
    return event


def _refuse(version: ResourceVersion, action: str) -> InvalidTransitionError:
    allowed = allowed_actions(version.state)
    return InvalidTransitionError(
        f"cannot {action.replace('_', ' ')} version {version.number} of resource {version.resource_id}: it is {version.state}; "
        f"allowed now: {', '.join(allowed) or 'nothing (final state)'}",
        state=version.state,
        allowed=allowed,
    )


def transition(
    session: Session,
    version: ResourceVersion,
    action: str,
    *,
    actor: str,
    role: str,
    reason: str | None = None,
    reason_code: str | None = None,
    details: dict[str, Any] | None = None,
) -> WorkflowEvent:
    """Move ``version`` by ``action`` (409 listing the allowed actions if the state does not allow it)."""
    spec = ACTIONS[action]
    if version.state not in spec.sources:
        raise _refuse(version, action)
    if role not in spec.by:
        raise PermissionDeniedError(f"{action.replace('_', ' ')} is for {' or '.join(sorted(spec.by))}, not {role}")
    source = version.state
    version.state = spec.target
    event = record_event(
        session, version, action, actor=actor, role=role, from_state=source, to_state=spec.target,
        reason=reason, reason_code=reason_code, details=details,
    )
    if spec.target in _CHAIN_STATUS and source != spec.target:
        code = WITHDRAWAL_REASONS.get(reason_code or "", 0)
        enqueue(session, "set_resource_status", {"version_id": version.id, "status": _CHAIN_STATUS[spec.target], "reason_code": code},
                subject=f"version:{version.id}")
    return event


def _require_state(version: ResourceVersion, action: str) -> None:
    needed = _IN_PLACE[action]
    if needed is not None and version.state != needed:
        raise _refuse(version, action)


# Reviewers...


def _is_author(version: ResourceVersion, address: str) -> bool:
    return any(author["address"] == address for author in version.authors)


def assign_reviewer(
    session: Session, version: ResourceVersion, reviewer: str, *, by: str, by_role: str, is_reviewer: bool
) -> ReviewAssignment:
    """Assign ``reviewer`` for the current round (an administrator assigns; a reviewer claims)."""
    action = "claim" if by == reviewer else "assign"
    _require_state(version, action)
    if not is_reviewer:
        raise PermissionDeniedError(f"{reviewer} is not a reviewer on chain (an administrator grants the role)")
    if _is_author(version, reviewer):
        raise PermissionDeniedError("an author never reviews their own resource")
    existing = session.scalar(select(ReviewAssignment).where(
        ReviewAssignment.version_id == version.id, ReviewAssignment.round == version.round, ReviewAssignment.reviewer == reviewer
    ))
    if existing is not None:
        raise ConflictError(f"{reviewer} is already assigned to round {version.round} of this version")
    reviewer_user = session.get(User, reviewer)
    same_school = bool(version.institution_id and reviewer_user and reviewer_user.institution_id == version.institution_id)
    assignment = ReviewAssignment(version_id=version.id, round=version.round, reviewer=reviewer, assigned_by=by, same_school=same_school)
    session.add(assignment)
    record_event(session, version, action, actor=by, role=by_role, details={"reviewer": reviewer, "round": version.round,
                                                                             "sameSchool": same_school})
    return assignment


@dataclass(frozen=True)
class Rubric:
    orientation_pass: bool  # 政治性/导向性
    scores: dict[str, int]
    comments: dict[str, str]
    recommendation: str  # accept, revise, decline

    def check(self) -> None:
        if set(self.scores) != set(RUBRIC):
            raise InvalidRequestError(f"score each of {', '.join(RUBRIC)} (0–3); got {', '.join(self.scores) or 'none'}")
        for name, score in self.scores.items():
            if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= 3:
                raise InvalidRequestError(f"{name} must be scored 0, 1, 2 or 3 (got {score!r})")
        unknown = set(self.comments) - set(RUBRIC) - {"政治性/导向性", "总体"}
        if unknown:
            raise InvalidRequestError(f"comments are for {', '.join(RUBRIC)}, 政治性/导向性 or 总体; not {', '.join(sorted(unknown))}")
        if self.recommendation not in ("accept", "revise", "decline"):
            raise InvalidRequestError("recommendation must be accept, revise or decline")
        if not self.orientation_pass and self.recommendation == "accept":
            raise InvalidRequestError("a resource that fails 政治性/导向性 cannot be recommended for acceptance")

    @property
    def total(self) -> int:
        return sum(self.scores.values())


@dataclass(frozen=True)
class DecisionPolicy:
    min_reviews: int = 2
    auto_accept: float | None = None  # mean total at or above: accepted automatically
    auto_decline: float | None = None  # mean total below: declined automatically


def submit_review(
    session: Session, version: ResourceVersion, reviewer: str, rubric: Rubric, *, policy: DecisionPolicy,
    on_accept: Callable[[ResourceVersion, str], None],
) -> Review:
    """Record a completed review of the current round; may decide automatically under ``policy``."""
    _require_state(version, "review")
    rubric.check()
    assignment = session.scalar(select(ReviewAssignment).where(
        ReviewAssignment.version_id == version.id, ReviewAssignment.round == version.round, ReviewAssignment.reviewer == reviewer
    ))
    if assignment is None:
        raise PermissionDeniedError(f"{reviewer} is not assigned to round {version.round} of this version (claim it first)")
    if assignment.completed_at is not None:
        raise ConflictError("this review was already submitted; reviews are never changed")
    review = Review(
        version_id=version.id, round=version.round, reviewer=reviewer, orientation_pass=rubric.orientation_pass,
        scores=rubric.scores, comments=rubric.comments, total=rubric.total, recommendation=rubric.recommendation,
    )
    session.add(review)
    assignment.completed_at = utcnow()
    record_event(session, version, "review", actor=reviewer, role="reviewer", details={
        "round": version.round, "政治性/导向性": "pass" if rubric.orientation_pass else "fail", "scores": rubric.scores,
        "total": rubric.total, "comments": rubric.comments, "recommendation": rubric.recommendation,
    })
    _auto_decide(session, version, policy, on_accept)
    return review


def _round_reviews(session: Session, version: ResourceVersion) -> list[Review]:
    return list(session.scalars(select(Review).where(Review.version_id == version.id, Review.round == version.round)))


def _auto_decide(session: Session, version: ResourceVersion, policy: DecisionPolicy, on_accept: Callable[[ResourceVersion, str], None]) -> None:
    if policy.auto_accept is None and policy.auto_decline is None:
        return
    reviews = _round_reviews(session, version)
    if len(reviews) < policy.min_reviews:
        return
    mean = sum(r.total for r in reviews) / len(reviews)
    details = {"reviews": len(reviews), "meanTotal": round(mean, 2), "policy": {"acceptAt": policy.auto_accept, "declineBelow": policy.auto_decline}}
    if not all(r.orientation_pass for r in reviews) or (policy.auto_decline is not None and mean < policy.auto_decline):
        transition(session, version, "decline", actor="system", role="system", reason="automatic decision by the configured threshold",
                   details=details)
    elif policy.auto_accept is not None and mean >= policy.auto_accept:
        transition(session, version, "accept", actor="system", role="system", reason="automatic decision by the configured threshold",
                   details=details)
        on_accept(version, "system")


def decide(
    session: Session, version: ResourceVersion, decision: str, *, actor: str, reason: str | None, policy: DecisionPolicy,
    on_accept: Callable[[ResourceVersion, str], None],
) -> WorkflowEvent:
    """An administrator's decision on the current round: accept, request_revisions or decline."""
    if decision not in ("accept", "request_revisions", "decline"):
        raise InvalidRequestError("decision must be accept, request_revisions or decline")
    if version.state != State.IN_REVIEW:
        raise _refuse(version, decision)
    reviews = _round_reviews(session, version)
    if len(reviews) < policy.min_reviews:
        raise ConflictError(
            f"a decision needs {policy.min_reviews} completed reviews in round {version.round}; {len(reviews)} are in",
            code="reviews_missing", completed=len(reviews), needed=policy.min_reviews,
        )
    if decision == "accept" and not all(r.orientation_pass for r in reviews):
        raise ConflictError("a review failed 政治性/导向性 (one-vote veto): the resource cannot be accepted", code="orientation_veto")
    details = {"reviews": len(reviews), "meanTotal": round(sum(r.total for r in reviews) / len(reviews), 2)}
    event = transition(session, version, decision, actor=actor, role="admin", reason=reason, details=details)
    if decision == "accept":
        on_accept(version, actor)
    return event


def supersede(session: Session, version: ResourceVersion, *, by_version: ResourceVersion) -> WorkflowEvent:
    return transition(session, version, "supersede", actor="system", role="system",
                      details={"supersededBy": by_version.number})


def withdraw(
    session: Session, version: ResourceVersion, *, actor: str, is_admin: bool, reason_code: str, reason: str | None,
    on_withdraw: Callable[[ResourceVersion, str], None],
) -> WorkflowEvent:
    """出库: an administrator with any reason code, or an author at their own request."""
    if reason_code not in WITHDRAWAL_REASONS:
        raise InvalidRequestError(f"reason_code must be one of {', '.join(WITHDRAWAL_REASONS)}")
    if is_admin:
        role = "admin"
    elif _is_author(version, actor):
        if reason_code != "author_request":
            raise PermissionDeniedError("an author withdraws with reason_code author_request; other reasons are an administrator's")
        role = "author"
    else:
        raise PermissionDeniedError("only an administrator or an author of the resource may withdraw it")
    was_accepted = version.state == State.ACCEPTED
    event = transition(session, version, "withdraw", actor=actor, role=role, reason=reason, reason_code=reason_code)
    if was_accepted:
        on_withdraw(version, reason_code)
    return event


def reopen(session: Session, version: ResourceVersion, *, actor: str, reason: str | None) -> WorkflowEvent:
    """Reverse a decline: back in review, a new round."""
    if version.state != State.DECLINED:
        raise _refuse(version, "reopen")
    version.round += 1
    return transition(session, version, "reopen", actor=actor, role="admin", reason=reason, details={"round": version.round})


def reinstate(
    session: Session, version: ResourceVersion, *, actor: str, reason: str | None, on_accept: Callable[[ResourceVersion, str], None]
) -> WorkflowEvent:
    """Reverse a withdrawal of an accepted version (a new inclusion certificate is issued)."""
    if version.state != State.WITHDRAWN:
        raise _refuse(version, "reinstate")
    if version.accepted_at is None:
        raise ConflictError("this version was never accepted; it cannot be reinstated (submit it again instead)")
    newer = session.scalar(select(func.count()).select_from(ResourceVersion).where(
        ResourceVersion.resource_id == version.resource_id, ResourceVersion.number > version.number,
        ResourceVersion.state == State.ACCEPTED,
    ))
    if newer:
        raise ConflictError("a newer version of this resource is accepted; reinstating this one would show two")
    event = transition(session, version, "reinstate", actor=actor, role="admin", reason=reason)
    on_accept(version, actor)
    return event


def pending_certificates(session: Session, version: ResourceVersion) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.version_id == version.id, Certificate.status.in_(["pending", "issued"]))))
