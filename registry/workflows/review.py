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

Who may do what is decided in one place per action (:func:`_why_not`): the action functions
refuse with its answer, and :func:`allowed_actions` lists, for one caller, the actions it would let
through — so a teacher is never told it may accept, and a vetoed version never lists accept.

Conflict of interest (利益回避) is a rule: an author, or a reviewer from an author's institution,
may not claim, be assigned or submit a counting review (409 ``conflict_of_interest``). An
administrator may assign a reviewer from an author's institution with a reason, recorded as an
``override_conflict`` event; an author's own conflict cannot be overridden.

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
from typing import Any, Protocol

import rfc8785
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..chain.jobs import enqueue
from ..core.errors import (
    ConflictError,
    InvalidRequestError,
    InvalidTransitionError,
    PermissionDeniedError,
    RegistryError,
    ResourceNotFoundError,
)
from ..crud.dashboard import DECISIONS, china_month
from ..models import Certificate, Institution, ResourceVersion, Review, ReviewAssignment, User, WorkflowEvent, utcnow
from .resource_types import WITHDRAWAL_REASONS

__all__ = [
    "ACTIONS",
    "GENESIS_HASH",
    "MAX_SCORE",
    "ORIENTATION",
    "OVERALL_COMMENT",
    "RECOMMENDATIONS",
    "RUBRIC",
    "Action",
    "Conflict",
    "DecisionPolicy",
    "Rubric",
    "State",
    "Viewer",
    "allowed_actions",
    "assign_reviewer",
    "conflict_of_interest",
    "decide",
    "event_body",
    "event_hash",
    "hidden_review_rounds",
    "is_lead_author",
    "lock_version",
    "queue",
    "record_event",
    "reinstate",
    "reopen",
    "submit_review",
    "supersede",
    "transition",
    "visible_reviews",
    "withdraw",
]

GENESIS_HASH = "0x" + "00" * 32
# The national dimensions (MISSION R3, GLOSSARY): each scored 0–3; 政治性/导向性 is pass/fail, a fail is a veto.
RUBRIC = ("思想性", "科学性", "规范性", "技术性", "适用性")
MAX_SCORE = 3
ORIENTATION = "政治性/导向性"  # pass or fail: a fail is a veto
OVERALL_COMMENT = "总体"
RECOMMENDATIONS = ("accept", "revise", "decline")


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
_IN_PLACE = {
    "submit": None,
    "assign": State.IN_REVIEW,
    "claim": State.IN_REVIEW,
    "review": State.IN_REVIEW,
    "override_conflict": State.IN_REVIEW,
}
_CHAIN_STATUS = {State.ACCEPTED: "Included", State.WITHDRAWN: "Withdrawn", State.SUPERSEDED: "Superseded"}
# What a person may ask for (in this order in answers); the rest are the system's.
_CALLER_ACTIONS = ("accept", "assign", "claim", "decline", "reinstate", "reopen", "request_revisions", "review", "withdraw")
_ADMIN_ACTIONS = frozenset({"assign", "accept", "request_revisions", "decline", "reopen", "reinstate"})


class Viewer(Protocol):
    """Who asks: an account and the roles it holds now (the API's ``Principal`` is one)."""

    @property
    def address(self) -> str: ...

    @property
    def roles(self) -> frozenset[str]: ...


@dataclass(frozen=True)
class _Actor:
    address: str
    roles: frozenset[str]


SYSTEM: Viewer = _Actor("system", frozenset({"system"}))


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
    if action in DECISIONS and version.first_decision is None:  # the 数据驾驶舱 counts the first decision only
        version.first_decision = action
        version.decided_at = event.created_at
        version.decided_month = china_month(event.created_at)
        version.turnaround_s = (event.created_at - version.created_at).total_seconds()
    session.flush()
    return event


def _state_refusal(version: ResourceVersion, action: str) -> InvalidTransitionError:
    return InvalidTransitionError(
        f"cannot {action.replace('_', ' ')} version {version.number} of resource {version.resource_id}: it is {version.state}",
        state=version.state,
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
    """Move ``version`` by ``action``; the caller has checked that ``actor`` may (see :func:`_why_not`)."""
    spec = ACTIONS[action]
    if version.state not in spec.sources:
        raise _refusal(session, version, SYSTEM, None, _state_refusal(version, action))
    if role not in spec.by:
        raise PermissionDeniedError(f"{action.replace('_', ' ')} is for {' or '.join(sorted(spec.by))}, not {role}")
    source = version.state
    version.state = spec.target
    event = record_event(
        session,
        version,
        action,
        actor=actor,
        role=role,
        from_state=source,
        to_state=spec.target,
        reason=reason,
        reason_code=reason_code,
        details=details,
    )
    if spec.target in _CHAIN_STATUS and source != spec.target:
        code = WITHDRAWAL_REASONS.get(reason_code or "", 0)
        enqueue(
            session,
            "set_resource_status",
            {"version_id": version.id, "status": _CHAIN_STATUS[spec.target], "reason_code": code},
            subject=f"version:{version.id}",
        )
    return event


# Who may do what, in one place...


def is_lead_author(version: ResourceVersion, address: str | None) -> bool:
    """The lead author (authors[0], who signed the registration) takes the owner's actions."""
    return address is not None and version.author == address


def _is_author(version: ResourceVersion, address: str) -> bool:
    """Any listed author, confirmed or not (for conflicts of interest and for seeing a draft)."""
    return any(author["address"] == address for author in version.authors)


@dataclass(frozen=True)
class Conflict:
    """Why a reviewer may not review a version (利益回避)."""

    kind: str  # "author" or "same_institution"
    detail: str
    overridable: bool
    institution_id: str | None = None

    def error(self, reviewer: str, *, hint: str = "") -> ConflictError:
        return ConflictError(
            f"conflict of interest: {self.detail}{hint}",
            code="conflict_of_interest",
            conflict=self.kind,
            reviewer=reviewer,
            institution_id=self.institution_id,
            overridable=self.overridable,
        )


def _institution_of(session: Session, address: str) -> str | None:
    user = session.get(User, address)
    return user.institution_id if user else None


def conflict_of_interest(session: Session, version: ResourceVersion, reviewer: str) -> Conflict | None:
    """The conflict keeping ``reviewer`` from reviewing ``version``: an author, or a member of the
    institution of an author (the lead author's when they submitted, any author's now)."""
    if _is_author(version, reviewer):
        return Conflict(
            "author", f"{reviewer} is an author of resource {version.resource_id}; authors never review their own", overridable=False
        )
    school = _institution_of(session, reviewer)
    if school is None:
        return None
    schools = {version.institution_id} | {_institution_of(session, author["address"]) for author in version.authors}
    if school not in schools:
        return None
    institution = session.get(Institution, school)
    name = institution.name if institution else school
    return Conflict(
        "same_institution",
        f"{reviewer} belongs to {name}, the institution of an author of resource {version.resource_id}",
        overridable=True,
        institution_id=school,
    )


def _assignment(session: Session, version: ResourceVersion, reviewer: str) -> ReviewAssignment | None:
    return session.scalar(
        select(ReviewAssignment).where(
            ReviewAssignment.version_id == version.id, ReviewAssignment.round == version.round, ReviewAssignment.reviewer == reviewer
        )
    )


def _newer_accepted(session: Session, version: ResourceVersion) -> bool:
    return bool(
        session.scalar(
            select(func.count())
            .select_from(ResourceVersion)
            .where(
                ResourceVersion.resource_id == version.resource_id,
                ResourceVersion.number > version.number,
                ResourceVersion.state == State.ACCEPTED,
            )
        )
    )


def _why_not_reviewer(session: Session, version: ResourceVersion, action: str, me: str) -> RegistryError | None:
    assignment = _assignment(session, version, me)
    conflict = conflict_of_interest(session, version, me)
    if action == "claim":
        if assignment is not None:
            return ConflictError(f"{me} is already assigned to round {version.round} of this version")
        if conflict is not None:
            return conflict.error(me, hint="; an administrator may assign you with a reason" if conflict.overridable else "")
        return None
    if assignment is None:
        return PermissionDeniedError(f"{me} is not assigned to round {version.round} of this version (claim it first)")
    if assignment.completed_at is not None:
        return ConflictError("this review was already submitted; reviews are never changed")
    if conflict is not None and (not conflict.overridable or assignment.override_reason is None):
        return conflict.error(me, hint="; the review would not count")
    return None


def _why_not_decide(session: Session, version: ResourceVersion, action: str, policy: DecisionPolicy | None) -> RegistryError | None:
    reviews = _round_reviews(session, version)
    needed = (policy or DecisionPolicy()).min_reviews
    if len(reviews) < needed:
        return ConflictError(
            f"a decision needs {needed} completed reviews in round {version.round}; {len(reviews)} are in",
            code="reviews_missing",
            completed=len(reviews),
            needed=needed,
        )
    if action == "accept" and not all(r.orientation_pass for r in reviews):
        return ConflictError("a review failed 政治性/导向性 (one-vote veto): the resource cannot be accepted", code="orientation_veto")
    return None


def _why_not(
    session: Session, version: ResourceVersion, action: str, caller: Viewer, policy: DecisionPolicy | None
) -> RegistryError | None:
    """Why ``caller`` may not take ``action`` on ``version`` now, or None if it may. (For ``assign``,
    what concerns the caller; the reviewer to be assigned is checked by :func:`assign_reviewer`.)"""
    sources = ACTIONS[action].sources if action in ACTIONS else {_IN_PLACE[action]}
    if version.state not in sources:
        return _state_refusal(version, action)
    if action in _ADMIN_ACTIONS and "admin" not in caller.roles:
        return PermissionDeniedError(f"{action.replace('_', ' ')} is for administrators")
    if action in ("claim", "review"):
        if "reviewer" not in caller.roles:
            return PermissionDeniedError(f"{action} is for reviewers")
        return _why_not_reviewer(session, version, action, caller.address)
    if action in ("accept", "request_revisions", "decline"):
        return _why_not_decide(session, version, action, policy)
    if action == "withdraw" and "admin" not in caller.roles and not is_lead_author(version, caller.address):
        return PermissionDeniedError("only an administrator or the lead author of the resource may withdraw it")
    if action == "reinstate":
        if version.accepted_at is None:
            return ConflictError("this version was never accepted; it cannot be reinstated (submit it again instead)")
        if _newer_accepted(session, version):
            return ConflictError("a newer version of this resource is accepted; reinstating this one would show two")
    return None


def allowed_actions(session: Session, version: ResourceVersion, caller: Viewer | None, policy: DecisionPolicy | None) -> list[str]:
    """The actions ``caller`` may take on ``version`` now (none for an anonymous caller)."""
    if caller is None:
        return []
    return [action for action in _CALLER_ACTIONS if _why_not(session, version, action, caller, policy) is None]


def _refusal(
    session: Session, version: ResourceVersion, caller: Viewer, policy: DecisionPolicy | None, error: RegistryError
) -> RegistryError:
    """``error``; for a state that does not allow the action, a 409 listing what ``caller`` may do now."""
    if not isinstance(error, InvalidTransitionError):
        return error
    allowed = allowed_actions(session, version, None if caller is SYSTEM else caller, policy)
    return InvalidTransitionError(f"{error}; allowed now: {', '.join(allowed) or 'nothing for you'}", state=version.state, allowed=allowed)


def _check(session: Session, version: ResourceVersion, action: str, caller: Viewer, policy: DecisionPolicy | None) -> None:
    error = _why_not(session, version, action, caller, policy)
    if error is not None:
        raise _refusal(session, version, caller, policy, error)


# Reviewers...


def assign_reviewer(
    session: Session,
    version: ResourceVersion,
    reviewer: str,
    *,
    caller: Viewer,
    is_reviewer: bool,
    policy: DecisionPolicy | None = None,
    override_reason: str | None = None,
) -> ReviewAssignment:
    """Assign ``reviewer`` for the current round: an administrator assigns (and may override a
    conflict of interest of a reviewer from an author's institution, with a reason), a reviewer claims."""
    claiming = caller.address == reviewer
    if override_reason is not None and claiming:
        raise PermissionDeniedError("a reviewer cannot override their own conflict of interest; an administrator assigns with a reason")
    action = "claim" if claiming else "assign"
    _check(session, version, action, caller, policy)
    if not is_reviewer:
        raise PermissionDeniedError(f"{reviewer} is not a reviewer on chain (an administrator grants the role)")
    if _assignment(session, version, reviewer) is not None:
        raise ConflictError(f"{reviewer} is already assigned to round {version.round} of this version")
    conflict = conflict_of_interest(session, version, reviewer)
    if conflict is not None and (not conflict.overridable or override_reason is None):
        hint = "; to assign them all the same, give an override_reason (recorded in the history)" if conflict.overridable else ""
        raise conflict.error(reviewer, hint=hint)
    if conflict is None and override_reason is not None:
        raise InvalidRequestError(f"{reviewer} has no conflict of interest with this version: leave override_reason out")
    role = "reviewer" if claiming else "admin"
    if conflict is not None:
        record_event(
            session,
            version,
            "override_conflict",
            actor=caller.address,
            role=role,
            reason=override_reason,
            details={
                "reviewer": reviewer,
                "round": version.round,
                "conflict": conflict.kind,
                "detail": conflict.detail,
                "institution": conflict.institution_id,
            },
        )
    assignment = ReviewAssignment(
        version_id=version.id,
        round=version.round,
        reviewer=reviewer,
        assigned_by=caller.address,
        same_school=conflict is not None,
        conflict=conflict.detail if conflict else None,
        override_reason=override_reason,
    )
    session.add(assignment)
    record_event(
        session,
        version,
        action,
        actor=caller.address,
        role=role,
        details={"reviewer": reviewer, "round": version.round, "conflictOverridden": conflict is not None},
    )
    return assignment


def queue(session: Session, reviewer: str, open_versions: Iterable[ResourceVersion]) -> list[ResourceVersion]:
    """The versions of ``open_versions`` that ``reviewer`` may claim (no conflict of interest)."""
    return [version for version in open_versions if conflict_of_interest(session, version, reviewer) is None]


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
            if not isinstance(score, int) or isinstance(score, bool) or not 0 <= score <= MAX_SCORE:
                raise InvalidRequestError(f"{name} must be scored 0, 1, 2 or 3 (got {score!r})")
        unknown = set(self.comments) - set(RUBRIC) - {ORIENTATION, OVERALL_COMMENT}
        if unknown:
            raise InvalidRequestError(
                f"comments are for {', '.join(RUBRIC)}, {ORIENTATION} or {OVERALL_COMMENT}; not {', '.join(sorted(unknown))}"
            )
        if self.recommendation not in RECOMMENDATIONS:
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
    blind: bool = False  # reviewers see no author (匿名评审)

    def hides_authors_from(self, version: ResourceVersion, viewer: Viewer | None) -> bool:
        """Whether ``viewer`` sees ``version`` anonymised: a reviewer (not an administrator, not an author) under blind review."""
        return (
            self.blind
            and viewer is not None
            and "reviewer" in viewer.roles
            and "admin" not in viewer.roles
            and not _is_author(version, viewer.address)
        )


def submit_review(
    session: Session,
    version: ResourceVersion,
    reviewer: Viewer,
    rubric: Rubric,
    *,
    policy: DecisionPolicy,
    on_accept: Callable[[ResourceVersion, str], None],
) -> Review:
    """Record a completed review of the current round; may decide automatically under ``policy``."""
    _check(session, version, "review", reviewer, policy)
    rubric.check()
    assignment = _assignment(session, version, reviewer.address)
    assert assignment is not None  # checked: assigned, not yet reviewed, no conflict left standing
    review = Review(
        version_id=version.id,
        round=version.round,
        reviewer=reviewer.address,
        orientation_pass=rubric.orientation_pass,
        scores=rubric.scores,
        comments=rubric.comments,
        total=rubric.total,
        recommendation=rubric.recommendation,
    )
    session.add(review)
    assignment.completed_at = utcnow()
    record_event(
        session,
        version,
        "review",
        actor=reviewer.address,
        role="reviewer",
        details={
            "round": version.round,
            "政治性/导向性": "pass" if rubric.orientation_pass else "fail",
            "scores": rubric.scores,
            "total": rubric.total,
            "comments": rubric.comments,
            "recommendation": rubric.recommendation,
        },
    )
    _auto_decide(session, version, policy, on_accept)
    return review


def _round_reviews(session: Session, version: ResourceVersion) -> list[Review]:
    return list(session.scalars(select(Review).where(Review.version_id == version.id, Review.round == version.round)))


def visible_reviews(session: Session, version: ResourceVersion, caller: Viewer) -> list[Review]:
    """The reviews ``caller`` may read: administrators all; authors all once the version is decided;
    reviewers earlier rounds, and the current round only after submitting their own (reviews are independent)."""
    reviews = list(session.scalars(select(Review).where(Review.version_id == version.id).order_by(Review.round, Review.id)))
    if "admin" in caller.roles:
        return reviews
    decided = version.state not in (State.SUBMITTED, State.SCREENING, State.IN_REVIEW)
    if _is_author(version, caller.address):
        if decided:
            return reviews
        raise PermissionDeniedError("authors read the reviews once a decision is taken")
    if "reviewer" not in caller.roles:
        raise PermissionDeniedError("reviews are visible to administrators and reviewers, and to authors after the decision")
    current = [r for r in reviews if r.round == version.round]
    if decided or any(r.reviewer == caller.address for r in current):
        return reviews
    return [r for r in reviews if r.round != version.round]


def hidden_review_rounds(session: Session, version: ResourceVersion, caller: Viewer | None) -> frozenset[int]:
    """The rounds whose review events ``caller`` may not read the details of (scores, comments, recommendation),
    by the rule of :func:`visible_reviews`: the history must not give away what the reviews route keeps back."""
    if version.state not in (State.SUBMITTED, State.SCREENING, State.IN_REVIEW):
        return frozenset()  # decided: the rule's other cases are about who may see the version at all
    if caller is not None and "admin" in caller.roles:
        return frozenset()
    if caller is not None and not _is_author(version, caller.address) and "reviewer" in caller.roles:
        if any(r.reviewer == caller.address for r in _round_reviews(session, version)):
            return frozenset()
        return frozenset({version.round})
    return frozenset(range(1, version.round + 1))


def _auto_decide(
    session: Session, version: ResourceVersion, policy: DecisionPolicy, on_accept: Callable[[ResourceVersion, str], None]
) -> None:
    if policy.auto_accept is None and policy.auto_decline is None:
        return
    reviews = _round_reviews(session, version)
    if len(reviews) < policy.min_reviews:
        return
    mean = sum(r.total for r in reviews) / len(reviews)
    details = {
        "reviews": len(reviews),
        "meanTotal": round(mean, 2),
        "policy": {"acceptAt": policy.auto_accept, "declineBelow": policy.auto_decline},
    }
    if not all(r.orientation_pass for r in reviews) or (policy.auto_decline is not None and mean < policy.auto_decline):
        transition(
            session,
            version,
            "decline",
            actor="system",
            role="system",
            reason="automatic decision by the configured threshold",
            details=details,
        )
    elif policy.auto_accept is not None and mean >= policy.auto_accept:
        transition(
            session,
            version,
            "accept",
            actor="system",
            role="system",
            reason="automatic decision by the configured threshold",
            details=details,
        )
        on_accept(version, "system")


def decide(
    session: Session,
    version: ResourceVersion,
    decision: str,
    *,
    caller: Viewer,
    reason: str | None,
    policy: DecisionPolicy,
    on_accept: Callable[[ResourceVersion, str], None],
) -> WorkflowEvent:
    """An administrator's decision on the current round: accept, request_revisions or decline."""
    if decision not in ("accept", "request_revisions", "decline"):
        raise InvalidRequestError("decision must be accept, request_revisions or decline")
    _check(session, version, decision, caller, policy)
    reviews = _round_reviews(session, version)
    details = {"reviews": len(reviews), "meanTotal": round(sum(r.total for r in reviews) / len(reviews), 2)}
    event = transition(session, version, decision, actor=caller.address, role="admin", reason=reason, details=details)
    if decision == "accept":
        on_accept(version, caller.address)
    return event


def supersede(session: Session, version: ResourceVersion, *, by_version: ResourceVersion) -> WorkflowEvent:
    return transition(session, version, "supersede", actor="system", role="system", details={"supersededBy": by_version.number})


def withdraw(
    session: Session,
    version: ResourceVersion,
    *,
    caller: Viewer,
    reason_code: str,
    reason: str | None,
    on_withdraw: Callable[[ResourceVersion, str], None],
    policy: DecisionPolicy | None = None,
) -> WorkflowEvent:
    """出库: an administrator with any reason code, or the lead author at their own request."""
    if reason_code not in WITHDRAWAL_REASONS:
        raise InvalidRequestError(f"reason_code must be one of {', '.join(WITHDRAWAL_REASONS)}")
    _check(session, version, "withdraw", caller, policy)
    role = "admin" if "admin" in caller.roles else "author"
    if role == "author" and reason_code != "author_request":
        raise PermissionDeniedError("an author withdraws with reason_code author_request; other reasons are an administrator's")
    was_accepted = version.state == State.ACCEPTED
    event = transition(session, version, "withdraw", actor=caller.address, role=role, reason=reason, reason_code=reason_code)
    if was_accepted:
        on_withdraw(version, reason_code)
    return event


def reopen(session: Session, version: ResourceVersion, *, caller: Viewer, reason: str | None) -> WorkflowEvent:
    """Reverse a decline: back in review, a new round."""
    _check(session, version, "reopen", caller, None)
    version.round += 1
    return transition(session, version, "reopen", actor=caller.address, role="admin", reason=reason, details={"round": version.round})


def reinstate(
    session: Session, version: ResourceVersion, *, caller: Viewer, reason: str | None, on_accept: Callable[[ResourceVersion, str], None]
) -> WorkflowEvent:
    """Reverse a withdrawal of an accepted version (a new inclusion certificate is issued)."""
    _check(session, version, "reinstate", caller, None)
    event = transition(session, version, "reinstate", actor=caller.address, role="admin", reason=reason)
    on_accept(version, caller.address)
    return event


def pending_certificates(session: Session, version: ResourceVersion) -> list[Certificate]:
    return list(
        session.scalars(select(Certificate).where(Certificate.version_id == version.id, Certificate.status.in_(["pending", "issued"])))
    )
