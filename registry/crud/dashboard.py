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

from sqlalchemy import ColumnElement, Float, Integer, and_, case, cast, func, literal_column, null, select, true, union_all
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
DECISIONS = ("accept", "decline", "request_revisions")  # the review's decisions (workflows.review.ACTIONS; a test holds them equal)
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
        select(
            WorkflowEvent.version_id,
            WorkflowEvent.action,
            WorkflowEvent.created_at.label("decided_at"),
            func.row_number().over(partition_by=WorkflowEvent.version_id, order_by=WorkflowEvent.seq).label("rank"),
        )
        .where(WorkflowEvent.action.in_(DECISIONS))
        .subquery("ranked_decisions")
    )
    return select(ranked.c.version_id, ranked.c.action, ranked.c.decided_at).where(ranked.c.rank == 1).subquery("first_decisions")


def _facts(session: Session) -> Any:
    """One row per version: when it was submitted, its 学段, 学科 and school, its first decision and
    how long that took. A CTE: the database computes it once for all the breakdowns that read it."""
    decisions = _first_decisions()
    return (
        select(
            ResourceVersion.id.label("version_id"),
            ResourceVersion.created_at.label("submitted_at"),
            func.coalesce(CatalogueNode.stage, _EMPTY).label("stage"),
            func.coalesce(CatalogueNode.subject, _EMPTY).label("subject"),
            func.coalesce(ResourceVersion.institution_id, _EMPTY).label("school"),
            decisions.c.action,
            decisions.c.decided_at,
            _seconds_between(session, ResourceVersion.created_at, decisions.c.decided_at).label("seconds"),
        )
        .select_from(ResourceVersion)
        .join(CatalogueNode, CatalogueNode.id == ResourceVersion.catalogue_node_id)
        .outerjoin(decisions, decisions.c.version_id == ResourceVersion.id)
        .cte("facts")
        .prefix_with("MATERIALIZED")  # (SQLite ≥ 3.35, PostgreSQL ≥ 12) once, not once per reader
    )


def _per_dimension(
    session: Session,
    dimensions: tuple[str, ...],
    source: Any,
    when: Any,
    measures: list[ColumnElement[Any]],
    condition: ColumnElement[bool],
    *,
    grouped: bool = True,
) -> Any:
    """``measures`` of ``source`` grouped by each dimension (months of ``when``), as one UNION ALL:
    columns dim, key, then the measures (per row of ``source`` when not ``grouped``)."""
    parts = []
    for dimension in dimensions:
        key: ColumnElement[Any] = (
            _month(session, when) if dimension == "month" else (_EMPTY if dimension == "total" else source.c[dimension])
        )
        labelled = [measure.label(f"m{i}") for i, measure in enumerate(measures)]
        query = select(_constant(dimension).label("dim"), key.label("key"), *labelled).select_from(source).where(condition)
        parts.append(query if dimension == "total" or not grouped else query.group_by(key))  # (PostgreSQL refuses GROUP BY '')
    return union_all(*parts)


def _percentile_rows(session: Session, samples: Any) -> Any:
    """Median and 90th percentile of ``samples`` (dim, key, m0: seconds) per (dim, key)."""
    if _dialect(session) == "postgresql":
        return select(
            samples.c.dim,
            samples.c.key,
            *(func.percentile_cont(p).within_group(samples.c.m0).label(f"p{round(p * 100)}") for p in PERCENTILES),
        ).group_by(samples.c.dim, samples.c.key)
    # SQLite: rank the samples of each group (0-based) and interpolate between the two closest
    # ranks, as percentile_cont does: position p·(n−1), value x[lo] + (p·(n−1) − lo)·(x[lo+1] − x[lo]).
    group = (samples.c.dim, samples.c.key)
    ranked = select(
        samples.c.dim,
        samples.c.key,
        samples.c.m0,
        (func.row_number().over(partition_by=group, order_by=samples.c.m0) - 1).label("i"),
        func.count().over(partition_by=group).label("n"),  # (not framed over row_number's order: SQLite recounts each frame)
    ).subquery("ranked_samples")
    columns: list[ColumnElement[Any]] = []
    for p in PERCENTILES:
        position = p * (ranked.c.n - 1)
        low = cast(position, Integer)
        fraction = position - low
        columns.append(
            func.sum(
                case(
                    (ranked.c.i == low, ranked.c.m0 * (1 - fraction)),
                    (ranked.c.i == low + 1, ranked.c.m0 * fraction),
                    else_=0.0,
                )
            ).label(f"p{round(p * 100)}")
        )
    return select(ranked.c.dim, ranked.c.key, *columns).group_by(ranked.c.dim, ranked.c.key)


def group_stats(session: Session, period: Period = Period(), dimensions: tuple[str, ...] = DIMENSIONS) -> dict[str, list[GroupStats]]:
    """Submissions, first decisions (accepted among them), turnaround and certificates, per group of
    each of ``dimensions`` (total, stage, subject, school, month): three statements in all."""
    for dimension in dimensions:
        if dimension not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dimension!r}")
    groups: dict[tuple[str, str], GroupStats] = {}

    def group(dimension: str, key: str) -> GroupStats:
        found = groups.get((dimension, key))
        if found is None:
            found = groups[(dimension, key)] = GroupStats(key=key, label=key)
        return found

    facts = _facts(session)
    submitted = _per_dimension(
        session, dimensions, facts, facts.c.submitted_at, [func.count(), literal_column("0")], period.holds(facts.c.submitted_at)
    )
    decided = _per_dimension(
        session,
        dimensions,
        facts,
        facts.c.decided_at,
        [func.count(), func.sum(case((facts.c.action == "accept", 1), else_=0))],
        and_(facts.c.decided_at.is_not(None), period.holds(facts.c.decided_at)),
    )
    samples = _per_dimension(
        session,
        dimensions,
        facts,
        facts.c.decided_at,
        [facts.c.seconds],
        and_(facts.c.decided_at.is_not(None), period.holds(facts.c.decided_at)),
        grouped=False,
    )
    turnaround = _percentile_rows(session, samples.subquery("samples")).subquery("t")
    no_count, no_seconds = cast(null(), Integer), cast(null(), Float)  # typed: PostgreSQL matches the UNION's columns by type
    # One statement, so the facts are materialised once for the counts and the percentiles.
    counts = union_all(
        select(_constant("submitted").label("what"), submitted.subquery("s"), no_seconds, no_seconds),
        select(_constant("decided").label("what"), decided.subquery("d"), no_seconds, no_seconds),
        select(
            _constant("turnaround").label("what"),
            turnaround.c.dim,
            turnaround.c.key,
            no_count,
            no_count,
            turnaround.c.p50,
            turnaround.c.p90,
        ),
    )
    percentiles = []
    for what, dimension, key, number, accepted, median, p90 in session.execute(counts):
        if what == "turnaround":
            percentiles.append((dimension, key, median, p90))
        elif number:
            stats = group(dimension, key)
            if what == "submitted":
                stats.submissions = int(number)
            else:
                stats.decisions, stats.accepted = int(number), int(accepted or 0)
    for dimension, key, median, p90 in percentiles:
        if (dimension, key) in groups:
            stats = groups[(dimension, key)]
            stats.turnaround_median_s = None if median is None else float(median)
            stats.turnaround_p90_s = None if p90 is None else float(p90)

    certified = (
        select(
            Certificate.created_at.label("issued_at"),
            Certificate.status,
            func.coalesce(CatalogueNode.stage, _EMPTY).label("stage"),
            func.coalesce(CatalogueNode.subject, _EMPTY).label("subject"),
            func.coalesce(ResourceVersion.institution_id, _EMPTY).label("school"),
        )
        .select_from(Certificate)
        .join(ResourceVersion, ResourceVersion.id == Certificate.version_id)
        .join(CatalogueNode, CatalogueNode.id == ResourceVersion.catalogue_node_id)
        .where(Certificate.status.in_(_ISSUED), period.holds(Certificate.created_at))
        .subquery("certified")
    )
    issued = _per_dimension(
        session,
        dimensions,
        certified,
        certified.c.issued_at,
        [func.count(), func.sum(case((certified.c.status == "revoked", 1), else_=0))],
        true(),
    )
    for dimension, key, number, revoked in session.execute(issued):
        if number:
            stats = group(dimension, key)
            stats.certificates_issued, stats.certificates_revoked = int(number), int(revoked or 0)

    names = _institution_names(session, [key for (dimension, key) in groups if dimension == "school" and key])
    result: dict[str, list[GroupStats]] = {dimension: [] for dimension in dimensions}
    for (dimension, key), stats in groups.items():
        if dimension == "school":
            stats.label = names.get(key, "")
        result[dimension].append(stats)
    if "total" in result and not result["total"]:
        result["total"] = [GroupStats(key="", label="")]
    return {dimension: sorted(rows, key=lambda g: g.key) for dimension, rows in result.items()}


def _institution_names(session: Session, ids: list[str]) -> dict[str, str]:
    if not ids:
        return {}
    return {str(i): str(name) for i, name in session.execute(select(Institution.id, Institution.name).where(Institution.id.in_(ids)))}


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
    query = (
        select(
            key.label("key"),
            label.label("label"),
            func.count(),
            func.sum(case((CredentialBatch.tx_hash.is_not(None), 1), else_=0)),
            func.sum(case((IssuedCredential.status == "revoked", 1), else_=0)),
            func.sum(case((IssuedCredential.status == "suspended", 1), else_=0)),
        )
        .select_from(IssuedCredential)
        .join(CredentialBatch, CredentialBatch.id == IssuedCredential.batch_id)
    )
    if dimension == "institution":
        query = query.outerjoin(Institution, Institution.id == IssuedCredential.institution_id)
    query = query.where(period.holds(IssuedCredential.issued_at))
    if dimension != "total":
        query = query.group_by(key)
    found = [
        CredentialStats(
            key=row[0], label=row[1], issued=int(row[2]), anchored=int(row[3] or 0), revoked=int(row[4] or 0), suspended=int(row[5] or 0)
        )
        for row in session.execute(query)
        if row[2]
    ]
    if dimension == "total" and not found:
        found = [CredentialStats(key="", label="")]
    return sorted(found, key=lambda c: c.key)


def chain_counts(session: Session) -> ChainCounts:
    """Chain jobs by status, the oldest still open, and resource registrations by chain status."""
    jobs = {str(status): int(count) for status, count in session.execute(select(ChainJob.status, func.count()).group_by(ChainJob.status))}
    oldest = session.scalar(select(func.min(ChainJob.created_at)).where(ChainJob.status.in_(("pending", "sent"))))
    registrations = {
        str(status): int(count)
        for status, count in session.execute(select(ResourceVersion.chain_status, func.count()).group_by(ResourceVersion.chain_status))
    }
    return ChainCounts(jobs=jobs, oldest_open_job=_aware(oldest), registrations=registrations)


def _aware(moment: Any) -> datetime | None:
    # func.min over a UtcDateTime column is not typed as one: SQLite answers a string, PostgreSQL an aware datetime.
    if moment is None:
        return None
    parsed: datetime = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
