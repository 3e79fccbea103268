"""Selection programmes (遴选/推荐): set-up, nomination, panel scoring, ranking, public notice (公示)
with objections, selection, recommendation up a level, and collection (收藏).

::

    open ──(nominations close)──▶ scoring ──publish──▶ notice ──(window closes, objections resolved)──select──▶ selected
     ▲ nominate (self / school / take in)   ▲ score         ▲ object, resolve                          ▲ 入选 + 推荐 certificates

Quotas (名额) are checked where they can bite: a teacher's and a school's nominations at nomination
(409 ``quota_exceeded`` naming the full quota); the per-node and total quotas when the list is
ranked; all four again at selection. Ranking is per quota bucket (the catalogue node at the
programme's ``node_level``), by :data:`TIE_RULE`.

Every decision is an append-only event whose hash covers the previous one (:func:`record_event`);
an event about a nominee goes on chain under the nominee's resource (``recordDecisions``), like
review events, so each on-chain hash commits to the programme's whole history before it.
Concurrency: every change locks the programme row (``FOR UPDATE`` on PostgreSQL) and bumps its
optimistic lock, so quota counts and state checks see one order.
"""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from eth_hash.auto import keccak
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from sqlalchemy.orm.attributes import flag_modified

from ..core.errors import ConflictError, InvalidRequestError, InvalidTransitionError, PermissionDeniedError, ResourceNotFoundError
from ..crud.auth import checked_address
from ..crud.catalogue import LEVELS as CATALOGUE_LEVELS
from ..models import (
    CatalogueNode,
    Certificate,
    Collection,
    Institution,
    Nominee,
    Objection,
    PanelScore,
    Programme,
    ProgrammeEvent,
    Recommendation,
    ResourceVersion,
    User,
    utcnow,
)
from .inclusion import issue_certificate
from .resource_types import RESOURCE_TYPES
from .review import GENESIS_HASH, State, event_hash

__all__ = [
    "COLLECTION_LEVELS",
    "NEXT_LEVEL",
    "PROGRAMME_LEVELS",
    "TIE_RULE",
    "Criterion",
    "ProgrammeSpec",
    "Ranked",
    "collect",
    "file_objection",
    "lock_programme",
    "nominate",
    "phase",
    "publish",
    "rank",
    "record_event",
    "resolve_objection",
    "score",
    "scores_by",
    "select_nominees",
    "take_in",
]

PROGRAMME_LEVELS = ("district", "city", "province")
NEXT_LEVEL = {"district": "city", "city": "national", "province": "national"}
_LEVEL_ORDER = {"school": 0, "district": 1, "city": 2, "province": 3, "national": 4}
COLLECTION_LEVELS = ("district", "city", "province", "national")
TIE_RULE = "higher mean panel total first; then the higher lowest single total (broader agreement); then the earlier nomination"
DEFAULT_RUBRIC = (("思想性", 20), ("科学性", 20), ("创新性", 20), ("规范性", 20), ("应用效果", 20))
_MAX_NOMINEES_LISTED = 100_000


# Events...


def _timestamp(moment: datetime) -> str:
    return moment.isoformat(timespec="microseconds").replace("+00:00", "Z")


def record_event(
    session: Session,
    programme: Programme,
    action: str,
    *,
    actor: str,
    nominee: Nominee | None = None,
    details: dict[str, Any] | None = None,
    now: datetime | None = None,
) -> ProgrammeEvent:
    """Append an event to the programme's history; one about a nominee goes on chain (the chain worker batches them)."""
    # The chain's tail is read once per transaction: every change holds the programme row locked, so no one else appends meanwhile.
    tails = session.info.setdefault("programme_tails", {})
    transaction = session.get_transaction()
    cached = tails.get(programme.id)
    if cached is not None and cached[0] is transaction:
        last: tuple[int, str] | None = cached[1]
    else:
        row = session.execute(
            select(ProgrammeEvent.seq, ProgrammeEvent.hash)
            .where(ProgrammeEvent.programme_id == programme.id)
            .order_by(ProgrammeEvent.seq.desc())
            .limit(1)
        ).first()
        last = (row[0], row[1]) if row else None
    event = ProgrammeEvent(
        programme_id=programme.id,
        seq=(last[0] + 1) if last else 1,
        action=action,
        nominee_id=nominee.id if nominee else None,
        actor=actor,
        details=details or {},
        created_at=now or utcnow(),
        prev_hash=last[1] if last else GENESIS_HASH,
    )
    event.hash = event_hash(
        {
            "programme": programme.chain_id,
            "seq": event.seq,
            "action": action,
            "nominee": event.nominee_id,
            "resource": nominee.resource_id if nominee else None,
            "actor": actor,
            "details": event.details,
            "at": _timestamp(event.created_at),
            "prev": event.prev_hash,
        }
    )
    session.add(event)  # flushed with the rest; the chain worker batches events about nominees into recordDecisions
    tails[programme.id] = (transaction, (event.seq, event.hash))
    return event


# Set-up...


@dataclass(frozen=True)
class Criterion:
    name: str
    max: int


@dataclass(frozen=True)
class ProgrammeSpec:
    name: str
    year: int
    level: str
    institution_id: str
    quota_total: int
    nomination_closes_at: datetime
    notice_days: int
    panel: Sequence[str]
    quota_per_school: int | None = None
    quota_per_teacher: int | None = None
    quota_per_node: int | None = None
    node_level: str = "volume"
    resource_types: Sequence[str] = ()
    catalogue_scope: Sequence[str] = ()
    rubric: Sequence[Criterion] = field(default_factory=lambda: [Criterion(n, m) for n, m in DEFAULT_RUBRIC])
    min_scores: int = 2
    blind_review: bool = True
    recommend_count: int = 0


def _check_spec(session: Session, spec: ProgrammeSpec, now: datetime) -> list[str]:
    """The checksummed panel; refuses an inconsistent programme with what to change."""
    if not spec.name.strip() or len(spec.name) > 200:
        raise InvalidRequestError("name must be 1–200 characters")
    if not 2000 <= spec.year <= 2100:
        raise InvalidRequestError(f"year {spec.year} is not a programme year (2000–2100)")
    if spec.level not in PROGRAMME_LEVELS:
        raise InvalidRequestError(f"level must be one of {', '.join(PROGRAMME_LEVELS)} (the national platform runs its own)")
    institution = session.get(Institution, spec.institution_id)
    if institution is None:
        raise ResourceNotFoundError(f"no institution {spec.institution_id}")
    if institution.kind != spec.level:
        raise InvalidRequestError(f"a {spec.level} programme is run by a {spec.level} bureau; {institution.name} is a {institution.kind}")
    for name, value in (
        ("quota_total", spec.quota_total),
        ("quota_per_school", spec.quota_per_school),
        ("quota_per_teacher", spec.quota_per_teacher),
        ("quota_per_node", spec.quota_per_node),
    ):
        if value is not None and not 1 <= value <= 1_000_000:
            raise InvalidRequestError(f"{name} must be between 1 and 1000000 (leave it out for no limit)")
    if spec.node_level not in CATALOGUE_LEVELS:
        raise InvalidRequestError(f"node_level must be one of {', '.join(CATALOGUE_LEVELS)}")
    if spec.nomination_closes_at.tzinfo is None:
        raise InvalidRequestError("nomination_closes_at needs a time zone (e.g. 2026-12-31T16:00:00Z)")
    if spec.nomination_closes_at <= now:
        raise InvalidRequestError("nomination_closes_at must be in the future")
    if not 1 <= spec.notice_days <= 30:
        raise InvalidRequestError("notice_days (the 公示 window) must be 1–30 days")
    unknown = [t for t in spec.resource_types if t not in RESOURCE_TYPES]
    if unknown:
        raise InvalidRequestError(f"unknown resource types: {', '.join(unknown)}; known: {', '.join(RESOURCE_TYPES)}")
    for node_id in spec.catalogue_scope:
        if session.get(CatalogueNode, node_id) is None:
            raise InvalidRequestError(f"catalogue_scope: no catalogue node {node_id!r}")
    panel = [checked_address(a) for a in spec.panel]
    if len(set(panel)) != len(panel):
        raise InvalidRequestError("the panel lists a reviewer twice")
    if not 1 <= spec.min_scores <= len(panel):
        raise InvalidRequestError(f"min_scores must be between 1 and the panel's size ({len(panel)})")
    names = [c.name for c in spec.rubric]
    if not 1 <= len(names) <= 12 or len(set(names)) != len(names) or not all(n.strip() and len(n) <= 40 for n in names):
        raise InvalidRequestError("the rubric needs 1–12 criteria with distinct names of 1–40 characters")
    if not all(1 <= c.max <= 100 for c in spec.rubric):
        raise InvalidRequestError("each rubric criterion's max must be 1–100")
    if not 0 <= spec.recommend_count <= spec.quota_total:
        raise InvalidRequestError("recommend_count must be between 0 and quota_total")
    return panel


def create_programme(session: Session, spec: ProgrammeSpec, *, actor: str, now: datetime) -> Programme:
    """An administrator sets up a programme (open for nominations until ``nomination_closes_at``)."""
    panel = _check_spec(session, spec, now)
    programme = Programme(
        chain_id="0x" + keccak(f"EduLedger.Programme:{uuid.uuid4()}".encode()).hex(),
        name=spec.name.strip(),
        year=spec.year,
        level=spec.level,
        institution_id=spec.institution_id,
        created_by=actor,
        resource_types=list(spec.resource_types),
        catalogue_scope=list(spec.catalogue_scope),
        quota_total=spec.quota_total,
        quota_per_school=spec.quota_per_school,
        quota_per_teacher=spec.quota_per_teacher,
        quota_per_node=spec.quota_per_node,
        node_level=spec.node_level,
        nomination_closes_at=spec.nomination_closes_at,
        notice_days=spec.notice_days,
        panel=panel,
        rubric=[{"criterion": c.name, "max": c.max} for c in spec.rubric],
        min_scores=spec.min_scores,
        blind_review=spec.blind_review,
        recommend_count=spec.recommend_count,
        state="open",
        created_at=now,
    )
    session.add(programme)
    session.flush()
    record_event(
        session,
        programme,
        "create",
        actor=actor,
        now=now,
        details={
            "name": programme.name,
            "year": programme.year,
            "level": programme.level,
            "institution": programme.institution_id,
            "quotas": _quotas(programme),
            "nominationClosesAt": _timestamp(spec.nomination_closes_at),
            "noticeDays": programme.notice_days,
            "panel": panel,
            "rubric": programme.rubric,
            "minScores": programme.min_scores,
            "blindReview": programme.blind_review,
            "recommendCount": programme.recommend_count,
            "resourceTypes": programme.resource_types,
            "scope": programme.catalogue_scope,
            "tieRule": TIE_RULE,
        },
    )
    return programme


def _quotas(programme: Programme) -> dict[str, Any]:
    return {
        "total": programme.quota_total,
        "perSchool": programme.quota_per_school,
        "perTeacher": programme.quota_per_teacher,
        "perNode": programme.quota_per_node,
        "nodeLevel": programme.node_level,
    }


def lock_programme(session: Session, programme_id: int) -> Programme:
    """Load a programme for a change: row-locked on PostgreSQL, and its optimistic lock bumped as the
    change commits, so of two changes made at once (SQLite) one fails whole (409) instead of both
    counting a quota from the same reading."""
    programme = session.scalar(select(Programme).where(Programme.id == programme_id).with_for_update())
    if programme is None:
        raise ResourceNotFoundError(f"no programme {programme_id}")
    flag_modified(programme, "panel")  # an UPDATE ... WHERE lock_version = the one read
    return programme


def phase(programme: Programme, now: datetime) -> str:
    """nominating, scoring, notice, notice_closed or selected."""
    if programme.state == "selected":
        return "selected"
    if programme.state == "notice":
        assert programme.notice_closes_at is not None
        return "notice" if now < programme.notice_closes_at else "notice_closed"
    return "nominating" if now < programme.nomination_closes_at else "scoring"


def _wrong_phase(programme: Programme, now: datetime, action: str, wanted: str) -> InvalidTransitionError:
    current = phase(programme, now)
    return InvalidTransitionError(
        f"cannot {action}: programme {programme.id} is in its {current} phase ({wanted})", state=current, code="wrong_phase"
    )


# Nomination...


def bucket_of(programme: Programme, node_id: str) -> str:
    """The catalogue node whose per-node quota ``node_id`` counts in (its ancestor at the programme's level)."""
    depth = CATALOGUE_LEVELS.index(programme.node_level) + 1
    return ".".join(node_id.split(".")[:depth])


def _eligible(programme: Programme, version: ResourceVersion) -> None:
    if version.state != State.ACCEPTED:
        hint = "it was withdrawn (出库)" if version.state == State.WITHDRAWN else f"it is {version.state}"
        raise ConflictError(
            f"only accepted (入库) resources may be nominated; version {version.number} of resource {version.resource_id}: {hint}",
            code="not_accepted",
            state=version.state,
        )
    if programme.resource_types and version.resource_type not in programme.resource_types:
        raise InvalidRequestError(
            f"programme {programme.id} takes {', '.join(programme.resource_types)}; "
            f"resource {version.resource_id} is a {version.resource_type}",
            code="not_eligible",
        )
    node = version.catalogue_node_id
    if programme.catalogue_scope and not any(node == s or node.startswith(s + ".") for s in programme.catalogue_scope):
        raise InvalidRequestError(
            f"resource {version.resource_id} ({node}) is outside the programme's catalogue scope ({', '.join(programme.catalogue_scope)})",
            code="not_eligible",
        )


def _quota_error(quota: str, limit: int, count: int, detail: str) -> ConflictError:
    return ConflictError(
        f"{quota} quota is full: {detail} has {count} of {limit}", code="quota_exceeded", quota=quota, limit=limit, count=count
    )


def _check_nomination_quotas(session: Session, programme: Programme, teacher: str, school: str | None) -> None:
    active = (Nominee.programme_id == programme.id, Nominee.status.not_in(["removed", "dropped"]))
    if programme.quota_per_teacher is not None:
        count = session.scalar(select(func.count()).select_from(Nominee).where(*active, Nominee.teacher == teacher)) or 0
        if count >= programme.quota_per_teacher:
            raise _quota_error("per-teacher", programme.quota_per_teacher, count, f"teacher {teacher}")
    if programme.quota_per_school is not None and school is not None:
        count = session.scalar(select(func.count()).select_from(Nominee).where(*active, Nominee.school_id == school)) or 0
        if count >= programme.quota_per_school:
            institution = session.get(Institution, school)
            raise _quota_error("per-school", programme.quota_per_school, count, institution.name if institution else school)


def _add_nominee(
    session: Session,
    programme: Programme,
    version: ResourceVersion,
    *,
    route: str,
    actor: str,
    now: datetime,
    details: dict[str, Any] | None = None,
) -> Nominee:
    _eligible(programme, version)
    if session.scalar(select(Nominee.id).where(Nominee.programme_id == programme.id, Nominee.resource_id == version.resource_id)):
        raise ConflictError(f"resource {version.resource_id} is already nominated to programme {programme.id}", code="duplicate_nomination")
    school = version.institution_id
    _check_nomination_quotas(session, programme, version.author, school)
    nominee = Nominee(
        programme_id=programme.id,
        resource_id=version.resource_id,
        version_id=version.id,
        teacher=version.author,
        school_id=school,
        bucket=bucket_of(programme, version.catalogue_node_id),
        route=route,
        nominated_by=actor,
        created_at=now,
    )
    session.add(nominee)
    session.flush()
    record_event(
        session,
        programme,
        "nominate",
        actor=actor,
        nominee=nominee,
        now=now,
        details={"route": route, "version": version.number, "contentHash": version.content_hash, **(details or {})},
    )
    return nominee


def nominate(
    session: Session,
    programme: Programme,
    version: ResourceVersion,
    *,
    actor: str,
    roles: frozenset[str],
    institution_id: str | None,
    route: str,
    now: datetime,
) -> Nominee:
    """A teacher applies with their own accepted resource (``self``), or a school nominates one of
    its teachers' (``school``: an administrator, or the school's issuer)."""
    if phase(programme, now) != "nominating":
        raise _wrong_phase(programme, now, "nominate", f"nominations closed at {_timestamp(programme.nomination_closes_at)}")
    if route == "self":
        if "teacher" not in roles or version.author != actor:
            raise PermissionDeniedError("a teacher applies only with a resource they signed as lead author")
    elif route == "school":
        if "admin" not in roles and not ("issuer" in roles and institution_id is not None and institution_id == version.institution_id):
            raise PermissionDeniedError("a school nominates its own teachers' resources (its issuer), or an administrator does")
    else:
        raise InvalidRequestError("route must be self or school")
    return _add_nominee(session, programme, version, route=route, actor=actor, now=now)


def take_in(session: Session, programme: Programme, source: Programme, *, actor: str, now: datetime) -> list[Nominee]:
    """The next level takes in the recommendations of a lower programme as nominees (all or none)."""
    if phase(programme, now) != "nominating":
        raise _wrong_phase(programme, now, "take in recommendations", "nominations are closed")
    if source.state != "selected":
        raise ConflictError(f"programme {source.id} has not selected yet: it has no recommendations", code="not_selected")
    if NEXT_LEVEL.get(source.level) != programme.level:
        raise InvalidRequestError(
            f"a {source.level} programme recommends to the {NEXT_LEVEL.get(source.level)} level, not to this {programme.level} programme"
        )
    waiting = list(
        session.scalars(
            select(Recommendation)
            .where(Recommendation.programme_id == source.id, Recommendation.taken_in_by.is_(None))
            .order_by(Recommendation.id)
        )
    )
    if not waiting:
        raise ConflictError(f"programme {source.id} has no recommendations left to take in", code="nothing_to_take_in")
    taken = []
    for recommendation in waiting:
        version = session.get_one(ResourceVersion, recommendation.version_id)
        if version.state != State.ACCEPTED:  # withdrawn (出库) since: its certificates are revoked; it goes no further
            record_event(
                session,
                programme,
                "skip_recommendation",
                actor=actor,
                now=now,
                details={"fromProgramme": source.chain_id, "recommendation": recommendation.id, "versionState": version.state},
            )
            continue
        nominee = _add_nominee(
            session,
            programme,
            version,
            route="recommendation",
            actor=actor,
            now=now,
            details={
                "fromProgramme": source.chain_id,
                "recommendation": recommendation.id,
                "decisionHash": recommendation.decision_hash,
            },
        )
        recommendation.taken_in_by = nominee.id
        taken.append(nominee)
    return taken


# Panel scoring...


def scores_by(session: Session, programme: Programme, reviewer: str) -> dict[int, dict[str, int]]:
    """The scores ``reviewer`` gave in ``programme``, by nominee id (a panel page shows what is done)."""
    rows = session.execute(
        select(PanelScore.nominee_id, PanelScore.scores).where(PanelScore.programme_id == programme.id, PanelScore.reviewer == reviewer)
    )
    return {nominee_id: dict(scores) for nominee_id, scores in rows}


def score(
    session: Session,
    programme: Programme,
    nominee: Nominee,
    *,
    reviewer: str,
    scores: dict[str, int],
    now: datetime,
) -> PanelScore:
    """A panel reviewer scores a nominee against the programme's rubric (once; never changed)."""
    if programme.state != "open":
        raise _wrong_phase(programme, now, "score", "scores are given before the list is published")
    if reviewer not in programme.panel:
        raise PermissionDeniedError(f"{reviewer} is not on programme {programme.id}'s panel")
    version = session.get_one(ResourceVersion, nominee.version_id)
    if any(a["address"] == reviewer for a in version.authors):
        raise ConflictError(f"conflict of interest: {reviewer} is an author of this nominee", code="conflict_of_interest")
    reviewer_user = session.get(User, reviewer)
    if reviewer_user is not None and reviewer_user.institution_id and reviewer_user.institution_id == nominee.school_id:
        raise ConflictError(f"conflict of interest: {reviewer} is from the nominee's school", code="conflict_of_interest")
    criteria = {c["criterion"]: int(c["max"]) for c in programme.rubric}
    if set(scores) != set(criteria):
        raise InvalidRequestError(f"score each of {', '.join(criteria)}; got {', '.join(scores) or 'none'}")
    for name, value in scores.items():
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= criteria[name]:
            raise InvalidRequestError(f"{name} is scored 0–{criteria[name]} (got {value!r})")
    if session.scalar(select(PanelScore.id).where(PanelScore.nominee_id == nominee.id, PanelScore.reviewer == reviewer)):
        raise ConflictError(f"{reviewer} already scored nominee {nominee.id}; scores are never changed", code="already_scored")
    entry = PanelScore(
        programme_id=programme.id, nominee_id=nominee.id, reviewer=reviewer, scores=scores, total=sum(scores.values()), created_at=now
    )
    session.add(entry)
    record_event(session, programme, "score", actor=reviewer, now=now, details={"nominee": nominee.id, "total": entry.total})
    return entry


# Ranking...


@dataclass(frozen=True)
class Ranked:
    nominee_id: int
    bucket: str
    mean: float
    lowest: int
    scores: int
    bucket_rank: int
    proposed: bool
    reason: str | None  # why not proposed


def _sort_key(mean: float, lowest: int, nominee_id: int) -> tuple[float, int, int]:
    return (-mean, -lowest, nominee_id)


def rank(session: Session, programme: Programme) -> list[Ranked]:
    """Rank the nominees still standing per bucket (:data:`TIE_RULE`) and mark the proposed list:
    the top ``quota_per_node`` of each bucket, then school, teacher and total quotas in overall order.
    Linear in the scores plus a sort: one query for nominees, one for score aggregates."""
    nominees = session.execute(
        select(Nominee.id, Nominee.bucket, Nominee.teacher, Nominee.school_id).where(
            Nominee.programme_id == programme.id, Nominee.status.in_(["nominated", "proposed"])
        )
    ).all()
    aggregates = {
        row[0]: (float(row[1]), int(row[2]), int(row[3]))
        for row in session.execute(
            select(PanelScore.nominee_id, func.avg(PanelScore.total), func.min(PanelScore.total), func.count())
            .where(PanelScore.programme_id == programme.id)
            .group_by(PanelScore.nominee_id)
        )
    }
    missing = [n.id for n in nominees if aggregates.get(n.id, (0.0, 0, 0))[2] < programme.min_scores]
    if missing:
        raise ConflictError(
            f"{len(missing)} nominees have fewer than {programme.min_scores} panel scores (first: {missing[:5]})",
            code="scores_missing",
            nominees=missing[:50],
        )
    per_bucket: dict[str, list[Any]] = defaultdict(list)
    for n in nominees:
        per_bucket[n.bucket].append(n)
    bucket_rank: dict[int, int] = {}
    for members in per_bucket.values():
        members.sort(key=lambda n: _sort_key(aggregates[n.id][0], aggregates[n.id][1], n.id))
        for position, n in enumerate(members, 1):
            bucket_rank[n.id] = position
    ordered = sorted(nominees, key=lambda n: _sort_key(aggregates[n.id][0], aggregates[n.id][1], n.id))
    schools: Counter[str] = Counter()
    teachers: Counter[str] = Counter()
    taken = 0
    result = []
    for n in ordered:
        reason = None
        if programme.quota_per_node is not None and bucket_rank[n.id] > programme.quota_per_node:
            reason = f"per-node quota: {programme.quota_per_node} in {n.bucket}"
        elif programme.quota_per_school is not None and n.school_id and schools[n.school_id] >= programme.quota_per_school:
            reason = f"per-school quota: {programme.quota_per_school}"
        elif programme.quota_per_teacher is not None and teachers[n.teacher] >= programme.quota_per_teacher:
            reason = f"per-teacher quota: {programme.quota_per_teacher}"
        elif taken >= programme.quota_total:
            reason = f"total quota: {programme.quota_total}"
        if reason is None:
            taken += 1
            schools[n.school_id or ""] += 1
            teachers[n.teacher] += 1
        mean, lowest, count = aggregates[n.id]
        result.append(Ranked(n.id, n.bucket, round(mean, 4), lowest, count, bucket_rank[n.id], reason is None, reason))
    return result


# Public notice (公示) and objections...


def publish(session: Session, programme: Programme, *, actor: str, now: datetime) -> list[Ranked]:
    """Publish the proposed list: the 公示 window opens for ``notice_days``."""
    if phase(programme, now) != "scoring":
        raise _wrong_phase(programme, now, "publish the list", "the list is published once nominations have closed, once")
    ranked = rank(session, programme)
    proposed = {r.nominee_id: r for r in ranked if r.proposed}
    if not proposed:
        raise ConflictError(f"programme {programme.id} has no nominees to propose", code="nothing_to_publish")
    # Every nominee's mean and bucket rank in one executemany; the proposed ones (bounded by the total quota) one by one.
    session.execute(update(Nominee), [{"id": r.nominee_id, "mean_score": r.mean, "rank": r.bucket_rank} for r in ranked])
    for nominee in session.scalars(select(Nominee).where(Nominee.id.in_(list(proposed))).order_by(Nominee.id)):
        entry = proposed[nominee.id]
        nominee.status = "proposed"
        record_event(
            session,
            programme,
            "propose",
            actor=actor,
            nominee=nominee,
            now=now,
            details={"mean": entry.mean, "bucketRank": entry.bucket_rank, "bucket": nominee.bucket},
        )
    programme.state = "notice"
    programme.notice_opens_at = now
    programme.notice_closes_at = now + timedelta(days=programme.notice_days)
    record_event(
        session,
        programme,
        "publish",
        actor=actor,
        now=now,
        details={
            "proposed": sorted(proposed),
            "noticeClosesAt": _timestamp(programme.notice_closes_at),
            "tieRule": TIE_RULE,
        },
    )
    return ranked


def file_objection(session: Session, programme: Programme, nominee: Nominee, *, actor: str, reason: str, now: datetime) -> Objection:
    """Anyone signed in objects to a proposed nominee while the 公示 window is open."""
    if phase(programme, now) != "notice":
        raise _wrong_phase(programme, now, "file an objection", "objections are filed while the 公示 window is open")
    if nominee.status != "proposed":
        raise ConflictError(f"nominee {nominee.id} is not on the proposed list ({nominee.status})", code="not_proposed")
    reason = reason.strip()
    if not 5 <= len(reason) <= 2000:
        raise InvalidRequestError("an objection states its reason in 5–2000 characters")
    objection = Objection(programme_id=programme.id, nominee_id=nominee.id, filed_by=actor, reason=reason, filed_at=now)
    session.add(objection)
    session.flush()
    record_event(session, programme, "object", actor=actor, nominee=nominee, now=now, details={"objection": objection.id, "reason": reason})
    return objection


def resolve_objection(
    session: Session,
    programme: Programme,
    objection: Objection,
    *,
    actor: str,
    decision: str,
    reason: str,
    now: datetime,
) -> Objection:
    """An administrator upholds (the nominee leaves the list) or rejects an objection, with a reason."""
    if decision not in ("uphold", "reject"):
        raise InvalidRequestError("decision must be uphold or reject")
    if objection.status != "open":
        raise ConflictError(f"objection {objection.id} was already decided ({objection.status})", code="already_decided")
    if programme.state != "notice":
        raise _wrong_phase(programme, now, "decide an objection", "objections are decided before selection")
    if not reason.strip():
        raise InvalidRequestError("a decision on an objection records its reason")
    nominee = session.get_one(Nominee, objection.nominee_id)
    objection.status = "upheld" if decision == "uphold" else "rejected"
    objection.decision_reason, objection.decided_by, objection.decided_at = reason.strip(), actor, now
    if decision == "uphold" and nominee.status == "proposed":
        nominee.status = "removed"
    record_event(
        session,
        programme,
        f"{decision}_objection",
        actor=actor,
        nominee=nominee,
        now=now,
        details={"objection": objection.id, "reason": objection.decision_reason},
    )
    return objection


# Selection and recommendation...


def _check_final_quotas(programme: Programme, final: Sequence[Nominee]) -> None:
    """The final list within every quota (refused whole, naming the quota, if not)."""
    if len(final) > programme.quota_total:
        raise _quota_error("total", programme.quota_total, len(final), f"programme {programme.id}'s list")
    for quota, limit, key in (
        ("per-node", programme.quota_per_node, "bucket"),
        ("per-school", programme.quota_per_school, "school_id"),
        ("per-teacher", programme.quota_per_teacher, "teacher"),
    ):
        if limit is None:
            continue
        counts = Counter(getattr(n, key) for n in final if getattr(n, key) is not None)
        for value, count in counts.items():
            if count > limit:
                raise _quota_error(quota, limit, count, str(value))


def select_nominees(session: Session, programme: Programme, *, actor: str, now: datetime) -> list[Nominee]:
    """Make the list final once the window has closed and every objection is decided: 入选
    certificates for the selected, 推荐 records and certificates for the top ``recommend_count``."""
    current = phase(programme, now)
    if current == "notice":
        assert programme.notice_closes_at is not None
        raise InvalidTransitionError(
            f"the 公示 window is open until {_timestamp(programme.notice_closes_at)}; select after it closes",
            state=current,
            code="notice_open",
        )
    if current != "notice_closed":
        raise _wrong_phase(programme, now, "select", "selection follows the closed 公示 window")
    open_objections = (
        session.scalar(
            select(func.count()).select_from(Objection).where(Objection.programme_id == programme.id, Objection.status == "open")
        )
        or 0
    )
    if open_objections:
        raise ConflictError(
            f"{open_objections} objections are still open; decide each before selection", code="objections_open", open=open_objections
        )
    final = []
    for nominee in session.scalars(
        select(Nominee).where(Nominee.programme_id == programme.id, Nominee.status == "proposed").order_by(Nominee.id)
    ):
        version = session.get_one(ResourceVersion, nominee.version_id)
        if version.state != State.ACCEPTED:  # withdrawn (出库) or superseded since it was proposed
            nominee.status = "dropped"
            record_event(session, programme, "drop", actor="system", nominee=nominee, now=now, details={"versionState": version.state})
            continue
        final.append(nominee)
    _check_final_quotas(programme, final)
    final.sort(key=lambda n: _sort_key(n.mean_score or 0.0, 0, n.id))
    for position, nominee in enumerate(final, 1):
        nominee.status = "selected"
        version = session.get_one(ResourceVersion, nominee.version_id)
        event = record_event(session, programme, "select", actor=actor, nominee=nominee, now=now, details={"position": position})
        issue_certificate(session, version, kind="selection", level=programme.level, programme_id=programme.id)
        if position <= programme.recommend_count:
            certificate = issue_certificate(session, version, kind="recommendation", level=programme.level, programme_id=programme.id)
            recommended = record_event(
                session,
                programme,
                "recommend",
                actor=actor,
                nominee=nominee,
                now=now,
                details={"toLevel": NEXT_LEVEL[programme.level], "selectedBy": event.hash},
            )
            session.add(
                Recommendation(
                    programme_id=programme.id,
                    nominee_id=nominee.id,
                    version_id=version.id,
                    to_level=NEXT_LEVEL[programme.level],
                    certificate_id=certificate.id,
                    decision_hash=recommended.hash,
                    created_at=now,
                )
            )
    programme.state = "selected"
    programme.selected_at = now
    record_event(session, programme, "finalise", actor=actor, now=now, details={"selected": [n.id for n in final]})
    session.flush()
    return final


# Collection (收藏)...


def collect(session: Session, version: ResourceVersion, *, actor: str, level: str, reason: str | None, now: datetime) -> Collection:
    """A platform or the national level collects an included resource: a 收藏 certificate is issued."""
    if level not in COLLECTION_LEVELS:
        raise InvalidRequestError(f"level must be one of {', '.join(COLLECTION_LEVELS)}")
    if version.state != State.ACCEPTED:
        raise ConflictError(
            f"only an included (入库) version is collected; version {version.number} of resource {version.resource_id} is {version.state}",
            code="not_accepted",
            state=version.state,
        )
    if session.scalar(select(Collection.id).where(Collection.version_id == version.id, Collection.level == level)):
        raise ConflictError(
            f"version {version.number} of resource {version.resource_id} is already collected at the {level} level",
            code="already_collected",
        )
    certificate = issue_certificate(session, version, kind="collection", level=level)
    collection = Collection(
        version_id=version.id, level=level, collected_by=actor, reason=reason, certificate_id=certificate.id, created_at=now
    )
    session.add(collection)
    session.flush()
    return collection


def certificates_of(session: Session, programme: Programme) -> list[Certificate]:
    return list(session.scalars(select(Certificate).where(Certificate.programme_id == programme.id).order_by(Certificate.id)))


def level_above(lower: str, upper: str) -> bool:
    return _LEVEL_ORDER[upper] > _LEVEL_ORDER[lower]


def nominees_of(session: Session, programme: Programme, statuses: Iterable[str] | None = None) -> list[Nominee]:
    query = select(Nominee).where(Nominee.programme_id == programme.id)
    if statuses is not None:
        query = query.where(Nominee.status.in_(list(statuses)))
    return list(session.scalars(query.order_by(Nominee.id).limit(_MAX_NOMINEES_LISTED)))
