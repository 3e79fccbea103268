"""The 数据驾驶舱's numbers, computed by the database: GROUP BY over resource versions, their first
decision, certificates and issued credentials; the turnaround's median and 90th percentile in SQL
(PostgreSQL's ``percentile_cont``; on SQLite, which has none, the same linear interpolation between
the closest ranks, read from window functions). No row is loaded into Python: each query answers
one line per group.

An event counts in the month it happened (Beijing time): a submission in the month it was
submitted, a decision in the month it was taken, a certificate in the month it was issued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement, Float, Integer, Select, and_, case, cast, func, literal_column, select, true
from sqlalchemy.orm import Session

from ..models import (
    CatalogueNode,
    Certificate,
    ChainJob,
    CredentialBatch,
    Institution,
    IssuedCredential,
    ResourceVersion,
    WorkflowEvent,
)

__all__ = [
    "CHINA_TIME_ZONE",
    "DECISIONS",
    "DIMENSIONS",
    "ChainCounts",
    "CredentialStats",
    "GroupStats",
    "Period",
    "chain_counts",
    "credential_stats",
    "group_stats",
]

# China Standard Time: months and days as the bureaus count them.
CHINA_TIME_ZONE = "Asia/Shanghai"
_CHINA_OFFSET = "+8 hours"  # SQLite's modifier for the same zone (no daylight saving since 1991)
DECISIONS = ("accept", "decline", "request_revisions")
DIMENSIONS = ("total", "stage", "subject", "school", "month")
PERCENTILES = (0.5, 0.9)
_ISSUED = ("issued", "revoked")  # a revoked certificate was issued first


def _constant(value: str) -> ColumnElement[str]:
    """A string written into the SQL, not bound: PostgreSQL must see the same expression in SELECT
    and GROUP BY, and two bound parameters are two expressions to it."""
    return literal_column("'" + value.replace("'", "''") + "'")


_EMPTY = _constant("")


@dataclass(frozen=True)
class Period:
    """[start, end) in UTC; either end open."""

    start: datetime | None = None
    end: datetime | None = None

    def holds(self, column: Any) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = [true()]
        if self.start is not None:
            clauses.append(column >= self.start)
        if self.end is not None:
            clauses.append(column < self.end)
        return and_(*clauses)


@dataclass
class GroupStats:
    key: str
    label: str
    submissions: int = 0
    decisions: int = 0
    accepted: int = 0
    turnaround_median_s: float | None = None
    turnaround_p90_s: float | None = None
    certificates_issued: int = 0
    certificates_revoked: int = 0

    @property
    def acceptance_rate(self) -> float | None:
        return self.accepted / self.decisions if self.decisions else None


@dataclass
class CredentialStats:
    key: str
    label: str
    issued: int = 0
    anchored: int = 0
    revoked: int = 0
    suspended: int = 0


@dataclass
class ChainCounts:
    jobs: dict[str, int] = field(default_factory=dict)
    oldest_open_job: datetime | None = None
    registrations: dict[str, int] = field(default_factory=dict)


def _dialect(session: Session) -> str:
    return session.get_bind().dialect.name


def _month(session: Session, column: Any) -> ColumnElement[str]:
    if _dialect(session) == "postgresql":
        return func.to_char(func.timezone(_constant(CHINA_TIME_ZONE), column), _constant("YYYY-MM"))
    return func.strftime(_constant("%Y-%m"), column, _constant(_CHINA_OFFSET))


def _seconds_between(session: Session, start: Any, end: Any) -> ColumnElement[float]:
    if _dialect(session) == "postgresql":
        return cast(func.extract("epoch", end - start), Float)
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _first_decisions() -> Any:
    """Each version's first decision (accept, decline or request revisions) and when it was taken."""
    ranked = (
        select(WorkflowEvent.version_id, WorkflowEvent.action, WorkflowEvent.created_at.label("decided_at"),
               func.row_number().over(partition_by=WorkflowEvent.version_id, order_by=WorkflowEvent.seq).label("rank"))
        .where(WorkflowEvent.action.in_(DECISIONS))
        .subquery("ranked_decisions")
    )
    return select(ranked.c.version_id, ranked.c.action, ranked.c.decided_at).where(ranked.c.rank == 1).subquery("first_decisions")


def _key(session: Session, dimension: str, when: Any) -> tuple[ColumnElement[Any], ColumnElement[Any]]:
    """The group key and its label for ``dimension``; ``when``: the event's time (for months)."""
    if dimension == "total":
        return _EMPTY, _EMPTY
    if dimension == "stage":
        return func.coalesce(CatalogueNode.stage, _EMPTY), func.coalesce(CatalogueNode.stage, _EMPTY)
    if dimension == "subject":
        return func.coalesce(CatalogueNode.subject, _EMPTY), func.coalesce(CatalogueNode.subject, _EMPTY)
    if dimension == "school":
        return func.coalesce(ResourceVersion.institution_id, _EMPTY), func.coalesce(func.max(Institution.name), _EMPTY)
    if dimension == "month":
        month = _month(session, when)
        return month, month
    raise ValueError(f"unknown dimension {dimension!r}")


def _joined(query: Select[Any], dimension: str) -> Select[Any]:
    if dimension in ("stage", "subject"):
        query = query.join(CatalogueNode, CatalogueNode.id == ResourceVersion.catalogue_node_id)
    if dimension == "school":
        query = query.outerjoin(Institution, Institution.id == ResourceVersion.institution_id)
    return query


def _grouped(query: Select[Any], dimension: str, key: ColumnElement[Any]) -> Select[Any]:
    return query if dimension == "total" else query.group_by(key)


def _percentiles(session: Session, dimension: str, period: Period) -> dict[str, tuple[float | None, ...]]:
    """Median and 90th percentile of the time from submission to first decision, per group."""
    decisions = _first_decisions()
    seconds = _seconds_between(session, ResourceVersion.created_at, decisions.c.decided_at)
    key, _ = _key(session, dimension, decisions.c.decided_at)
    base = select(key.label("key"), seconds.label("seconds")).select_from(decisions).join(
        ResourceVersion, ResourceVersion.id == decisions.c.version_id)
    base = _joined(base, dimension).where(period.holds(decisions.c.decided_at))
    if _dialect(session) == "postgresql":
        samples = base.subquery("samples")
        query = select(samples.c.key, *(func.percentile_cont(p).within_group(samples.c.seconds) for p in PERCENTILES)).group_by(samples.c.key)
        return {row[0]: tuple(None if v is None else float(v) for v in row[1:]) for row in session.execute(query)}
    # SQLite: rank the samples of each group (0-based) and interpolate between the two closest
    # ranks, as percentile_cont does: position p·(n−1), value x[lo] + (p·(n−1) − lo)·(x[lo+1] − x[lo]).
    samples = base.subquery("samples")
    ranked = select(
        samples.c.key, samples.c.seconds,
        (func.row_number().over(partition_by=samples.c.key, order_by=samples.c.seconds) - 1).label("i"),
        func.count().over(partition_by=samples.c.key).label("n"),
    ).subquery("ranked_samples")
    columns = []
    for p in PERCENTILES:
        position = p * (ranked.c.n - 1)
        low = cast(position, Integer)
        fraction = position - low
        columns.append(func.sum(case(
            (ranked.c.i == low, ranked.c.seconds * (1 - fraction)),
            (ranked.c.i == low + 1, ranked.c.seconds * fraction),
            else_=0.0,
        )))
    query = select(ranked.c.key, *columns).group_by(ranked.c.key)
    return {row[0]: tuple(None if v is None else float(v) for v in row[1:]) for row in session.execute(query)}


def group_stats(session: Session, dimension: str, period: Period = Period()) -> list[GroupStats]:
    """Submissions, first decisions (accepted among them), turnaround and certificates per group of ``dimension``."""
    groups: dict[str, GroupStats] = {}

    def group(key: str, label: str) -> GroupStats:
        found = groups.get(key)
        if found is None:
            found = groups[key] = GroupStats(key=key, label=label)
        return found

    key, label = _key(session, dimension, ResourceVersion.created_at)
    submitted = _joined(select(key.label("key"), label.label("label"), func.count()).select_from(ResourceVersion), dimension).where(period.holds(ResourceVersion.created_at))
    for row in session.execute(_grouped(submitted, dimension, key)):
        if row[2]:
            group(row[0], row[1]).submissions = int(row[2])

    decisions = _first_decisions()
    key, label = _key(session, dimension, decisions.c.decided_at)
    decided = select(key.label("key"), label.label("label"), func.count(), func.sum(case((decisions.c.action == "accept", 1), else_=0))).select_from(decisions).join(
        ResourceVersion, ResourceVersion.id == decisions.c.version_id)
    decided = _joined(decided, dimension).where(period.holds(decisions.c.decided_at))
    for row in session.execute(_grouped(decided, dimension, key)):
        if row[2]:
            stats = group(row[0], row[1])
            stats.decisions, stats.accepted = int(row[2]), int(row[3] or 0)
    for group_key, (median, p90) in _percentiles(session, dimension, period).items():
        if group_key in groups:
            groups[group_key].turnaround_median_s, groups[group_key].turnaround_p90_s = median, p90

    key, label = _key(session, dimension, Certificate.created_at)
    certified = select(key.label("key"), label.label("label"), func.count(), func.sum(case((Certificate.status == "revoked", 1), else_=0))).select_from(Certificate).join(
        ResourceVersion, ResourceVersion.id == Certificate.version_id)
    certified = _joined(certified, dimension).where(Certificate.status.in_(_ISSUED), period.holds(Certificate.created_at))
    for row in session.execute(_grouped(certified, dimension, key)):
        if row[2]:
            stats = group(row[0], row[1])
            stats.certificates_issued, stats.certificates_revoked = int(row[2]), int(row[3] or 0)

    if dimension == "total" and not groups:
        groups[""] = GroupStats(key="", label="")
    return sorted(groups.values(), key=lambda g: g.key)


def credential_stats(session: Session, dimension: str, period: Period = Period()) -> list[CredentialStats]:
    """Credentials issued by institutions (growth and professional-development records): issued,
    anchored on chain (their batch's root mined), revoked and suspended now; per ``dimension``
    (total, month of issue, or institution)."""
    if dimension == "total":
        key: ColumnElement[Any] = _EMPTY
        label: ColumnElement[Any] = _EMPTY
    elif dimension == "month":
        key = label = _month(session, IssuedCredential.issued_at)
    elif dimension == "institution":
        key, label = IssuedCredential.institution_id.expression, func.coalesce(func.max(Institution.name), _EMPTY)
    else:
        raise ValueError(f"unknown dimension {dimension!r}")
    query = select(
        key.label("key"), label.label("label"), func.count(),
        func.sum(case((CredentialBatch.tx_hash.is_not(None), 1), else_=0)),
        func.sum(case((IssuedCredential.status == "revoked", 1), else_=0)),
        func.sum(case((IssuedCredential.status == "suspended", 1), else_=0)),
    ).select_from(IssuedCredential).join(CredentialBatch, CredentialBatch.id == IssuedCredential.batch_id)
    if dimension == "institution":
        query = query.outerjoin(Institution, Institution.id == IssuedCredential.institution_id)
    query = query.where(period.holds(IssuedCredential.issued_at))
    if dimension != "total":
        query = query.group_by(key)
    found = [
        CredentialStats(key=row[0], label=row[1], issued=int(row[2]), anchored=int(row[3] or 0), revoked=int(row[4] or 0),
                        suspended=int(row[5] or 0))
        for row in session.execute(query) if row[2]
    ]
    if dimension == "total" and not found:
        found = [CredentialStats(key="", label="")]
    return sorted(found, key=lambda c: c.key)


def chain_counts(session: Session) -> ChainCounts:
    """Chain jobs by status, the oldest still open, and resource registrations by chain status."""
    jobs = {str(status): int(count) for status, count in session.execute(select(ChainJob.status, func.count()).group_by(ChainJob.status))}
    oldest = session.scalar(select(func.min(ChainJob.created_at)).where(ChainJob.status.in_(("pending", "sent"))))
    registrations = {str(status): int(count) for status, count in session.execute(
        select(ResourceVersion.chain_status, func.count()).group_by(ResourceVersion.chain_status))}
    return ChainCounts(jobs=jobs, oldest_open_job=_aware(oldest), registrations=registrations)


def _aware(moment: Any) -> datetime | None:
    # func.min over a UtcDateTime column is not typed as one: SQLite answers a string, PostgreSQL an aware datetime.
    if moment is None:
        return None
    parsed: datetime = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)

