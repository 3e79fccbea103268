"""The 数据驾驶舱's numbers, computed by the database: GROUP BY over resource versions, their first
decision, certificates and issued credentials; the turnaround's median and 90th percentile in SQL
(PostgreSQL's ``percentile_cont``; on SQLite, which has none, the same linear interpolation between
the closest ranks, each group's two values read in order from an index). No row is loaded into
Python: each query answers one line per group (or, on SQLite, the two values around a percentile).
The facts read (学段, 学科, months, first decision, turnaround) are stored on each version by the
submission and the review workflow, so these are GROUP BYs over one table's indexes, no join; on
PostgreSQL every dimension comes from one scan (GROUPING SETS).

An event counts in the month it happened (Beijing time): a submission in the month it was
submitted, a decision in the month it was taken, a certificate in the month it was issued.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, literal_column, select, true, tuple_, union_all
from sqlalchemy.orm import Session

from ..models import (
    Certificate,
    ChainJob,
    CredentialBatch,
    Institution,
    IssuedCredential,
    ResourceVersion,
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
    "china_month",
    "credential_stats",
    "group_stats",
]

# China Standard Time: months and days as the bureaus count them.
CHINA_TIME_ZONE = "Asia/Shanghai"
_CHINA_OFFSET = "+8 hours"  # SQLite's modifier for the same zone (no daylight saving since 1991)
_CHINA_DELTA = timedelta(hours=8)
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


def china_month(moment: datetime) -> str:
    """The month (YYYY-MM) of ``moment`` in China Standard Time, as the version's stored months hold it."""
    return (moment.astimezone(UTC) + _CHINA_DELTA).strftime("%Y-%m")


def _key(dimension: str) -> ColumnElement[Any]:
    """A version's group in ``dimension`` (not month: submissions and decisions have their own)."""
    if dimension == "total":
        return _EMPTY
    column = {"stage": ResourceVersion.stage, "subject": ResourceVersion.subject, "school": ResourceVersion.institution_id}[dimension]
    return func.coalesce(column, _EMPTY)


def _counted(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    return func.sum(case((condition, 1), else_=0))


def _grouped(query: Any, key: ColumnElement[Any], dimension: str) -> Any:
    return query if dimension == "total" else query.group_by(key)  # (PostgreSQL refuses GROUP BY '')


_PERCENTILE_COLUMNS = {
    "total": None,
    "stage": ResourceVersion.stage,
    "subject": ResourceVersion.subject,
    "school": ResourceVersion.institution_id,
    "month": ResourceVersion.decided_month,
}


def _percentiles(
    session: Session, dimension: str, decided: dict[str, int], condition: ColumnElement[bool]
) -> dict[str, tuple[float | None, ...]]:
    """The turnaround's median and 90th percentile per group of ``dimension`` (``decided``: each
    group's number of decisions), among the versions decided (``condition``)."""
    column = _PERCENTILE_COLUMNS[dimension]
    if _dialect(session) == "postgresql":
        key = _EMPTY if column is None else func.coalesce(column, _EMPTY)
        query = select(key, *(func.percentile_cont(p).within_group(ResourceVersion.turnaround_s) for p in PERCENTILES)).where(condition)
        return {str(row[0]): tuple(row[1:]) for row in session.execute(_grouped(query, key, dimension))}
    # SQLite has no percentile_cont: the same linear interpolation between the two closest ranks,
    # position p·(n−1), value x[lo] + (p·(n−1) − lo)·(x[lo+1] − x[lo]); the two values are read by
    # walking the group's (key, turnaround_s, decided_at) index in order, so no group is sorted.
    parts = []
    for group, n in decided.items():
        where = [condition]
        if column is not None:
            where.append(column.is_(None) if group == "" else column == group)
        for i, p in enumerate(PERCENTILES):
            around = (
                select(ResourceVersion.turnaround_s.label("value"))
                .where(*where)
                .order_by(ResourceVersion.turnaround_s)
                .limit(2)
                .offset(int(p * (n - 1)))
                .subquery()
            )
            parts.append(select(literal(group).label("key"), literal(i).label("p"), around.c.value))
    values: dict[tuple[str, int], list[float]] = {}
    for start in range(0, len(parts), 200):  # (SQLite allows 500 terms in a compound SELECT)
        for group, i, value in session.execute(union_all(*parts[start : start + 200])):
            values.setdefault((group, i), []).append(float(value))
    found: dict[str, tuple[float | None, ...]] = {}
    for group, n in decided.items():
        found[group] = tuple(_interpolated(values.get((group, i), []), p * (n - 1)) for i, p in enumerate(PERCENTILES))
    return found


def _interpolated(pair: list[float], position: float) -> float | None:
    """The value at ``position`` between ranks lo and lo + 1, given the values at those ranks (sorted)."""
    if not pair:
        return None
    pair.sort()
    return pair[0] if len(pair) == 1 else pair[0] + (position - int(position)) * (pair[1] - pair[0])


_SETS = {"total": None, "stage": ResourceVersion.stage, "subject": ResourceVersion.subject, "school": ResourceVersion.institution_id}


def _postgres_sets(
    session: Session, dimensions: tuple[str, ...], submitted_in: ColumnElement[bool], decided_in: ColumnElement[bool]
) -> list[tuple[str, str, Any, Any, Any, Any, Any]]:
    """PostgreSQL: every dimension in one scan, GROUP BY GROUPING SETS (the month twice: submissions
    by the month of submission, decisions by the month of decision); each row (dimension, key,
    submissions, decisions, accepted, median, p90), None where the row does not tell. percentile_cont
    skips NULLs: the turnaround of a version not decided in the period is NULL here."""
    version = ResourceVersion
    sets: dict[str, ColumnElement[Any]] = {
        name: func.coalesce(column, _EMPTY) for name, column in _SETS.items() if column is not None and name in dimensions
    }
    if "month" in dimensions:
        sets |= {"submitted_month": version.submitted_month.expression, "decided_month": version.decided_month.expression}
    counted_turnaround = case((decided_in, version.turnaround_s))
    measures = [
        _counted(submitted_in),
        _counted(decided_in),
        _counted(and_(decided_in, version.first_decision == "accept")),
        *(func.percentile_cont(p).within_group(counted_turnaround) for p in PERCENTILES),
    ]
    if not sets:  # the total alone
        return [("total", "", *row) for row in session.execute(select(*measures))] if "total" in dimensions else []
    grouping = [tuple_(column) for column in sets.values()] + ([tuple_()] if "total" in dimensions else [])
    query = select(func.grouping(*sets.values()), *sets.values(), *measures).group_by(func.grouping_sets(*grouping))
    names = list(sets)
    rows = []
    for bits, *values in session.execute(query):
        grouped = [name for i, name in enumerate(names) if not bits & (1 << (len(names) - 1 - i))]  # GROUPING: 0 = grouped by it
        name = grouped[0] if grouped else "total"
        key = values[names.index(name)] if grouped else ""
        submissions, decisions, accepted, median, p90 = values[len(names) :]
        if name == "submitted_month":
            rows.append(("month", key or "", submissions, None, None, None, None))
        elif name == "decided_month":
            if key is not None:  # (not the versions undecided)
                rows.append(("month", key, None, decisions, accepted, median, p90))
        else:
            rows.append((name, str(key), submissions, decisions, accepted, median, p90))
    return rows


def _sqlite_sets(
    session: Session, dimensions: tuple[str, ...], submitted_in: ColumnElement[bool], decided_in: ColumnElement[bool], accepted: Any
) -> dict[str, list[tuple[str, Any, Any, Any]]]:
    """SQLite (no GROUPING SETS): every dimension but the month from one scan of the dashboard's index,
    into cells by (学段, 学科, school) — in the index's order, so no sorting — materialised once; each
    dimension's groups are sums over the cells. Per dimension: (key, submissions, decisions, accepted)."""
    wanted = [dimension for dimension in _SETS if dimension in dimensions]
    if not wanted:
        return {}
    version = ResourceVersion
    cells = (
        select(
            version.stage.label("stage"),
            version.subject.label("subject"),
            version.institution_id.label("school"),
            _counted(submitted_in).label("submitted"),
            _counted(decided_in).label("decided"),
            accepted.label("accepted"),
        )
        .group_by(version.stage, version.subject, version.institution_id)
        .cte("version_cells")
        .prefix_with("MATERIALIZED")
    )
    parts = []
    for dimension in wanted:
        key = _EMPTY if dimension == "total" else func.coalesce(cells.c[dimension], _EMPTY)
        sums = (func.sum(cells.c.submitted), func.sum(cells.c.decided), func.sum(cells.c.accepted))
        parts.append(_grouped(select(_constant(dimension).label("dim"), key.label("key"), *sums), key, dimension))
    found: dict[str, list[tuple[str, Any, Any, Any]]] = {}
    for dimension, key, number, decided, yes in session.execute(union_all(*parts)):
        found.setdefault(dimension, []).append((key, number, decided, yes))
    return found


def group_stats(session: Session, period: Period = Period(), dimensions: tuple[str, ...] = DIMENSIONS) -> dict[str, list[GroupStats]]:
    """Submissions, first decisions (accepted among them), turnaround and certificates, per group of
    each of ``dimensions`` (total, stage, subject, school, month): GROUP BYs over the facts the
    submission and the review workflow stored on each version, read from its indexes."""
    for dimension in dimensions:
        if dimension not in DIMENSIONS:
            raise ValueError(f"unknown dimension {dimension!r}")
    groups: dict[tuple[str, str], GroupStats] = {}

    def group(dimension: str, key: str) -> GroupStats:
        found = groups.get((dimension, key))
        if found is None:
            found = groups[(dimension, key)] = GroupStats(key=key, label=key)
        return found

    version = ResourceVersion
    submitted_in = period.holds(version.created_at)
    decided_in = and_(version.decided_at.is_not(None), period.holds(version.decided_at))
    accepted = _counted(and_(decided_in, version.first_decision == "accept"))
    postgres = _dialect(session) == "postgresql"
    if postgres:  # one pass for every dimension (GROUPING SETS), percentiles and all
        for dimension, set_key, number, decisions_number, yes, median, p90 in _postgres_sets(session, dimensions, submitted_in, decided_in):
            if not number and not decisions_number:
                continue
            stats = group(dimension, set_key)
            if number is not None:
                stats.submissions = int(number)
            if decisions_number is not None:
                stats.decisions, stats.accepted = int(decisions_number), int(yes or 0)
                stats.turnaround_median_s = None if median is None else float(median)
                stats.turnaround_p90_s = None if p90 is None else float(p90)
    counted = {} if postgres else _sqlite_sets(session, dimensions, submitted_in, decided_in, accepted)
    for dimension in () if postgres else dimensions:  # SQLite: the months, then the percentiles of each dimension
        decided: dict[str, int] = {}
        if dimension == "month":
            submissions = select(version.submitted_month, func.count()).where(submitted_in).group_by(version.submitted_month)
            for key, number in session.execute(submissions):
                if number:
                    group(dimension, key or "").submissions = int(number)
            decisions = select(version.decided_month, func.count(), accepted).where(decided_in).group_by(version.decided_month)
            for key, number, yes in session.execute(decisions):
                if number:
                    stats = group(dimension, key or "")
                    stats.decisions, stats.accepted = int(number), int(yes or 0)
                    decided[key or ""] = int(number)
        else:
            for key, number, decisions_number, yes in counted.get(dimension, []):
                if number or decisions_number:
                    stats = group(dimension, key)
                    stats.submissions, stats.decisions, stats.accepted = int(number or 0), int(decisions_number or 0), int(yes or 0)
                    if decisions_number:
                        decided[key] = int(decisions_number)
        for key, (median, p90) in _percentiles(session, dimension, decided, decided_in).items():
            if (dimension, key) in groups:
                groups[(dimension, key)].turnaround_median_s = None if median is None else float(median)
                groups[(dimension, key)].turnaround_p90_s = None if p90 is None else float(p90)

    # Certificates: one pass joining each to its version, into cells (学段, 学科, school, month of
    # issue), materialised once; each dimension's groups are sums over the cells.
    month = _month(session, Certificate.created_at)
    cells = (
        select(
            func.coalesce(ResourceVersion.stage, _EMPTY).label("stage"),
            func.coalesce(ResourceVersion.subject, _EMPTY).label("subject"),
            func.coalesce(ResourceVersion.institution_id, _EMPTY).label("school"),
            month.label("month"),
            func.count().label("issued"),
            _counted(Certificate.status == "revoked").label("revoked"),
        )
        .select_from(Certificate)
        .join(ResourceVersion, ResourceVersion.id == Certificate.version_id)
        .where(Certificate.status.in_(_ISSUED), period.holds(Certificate.created_at))
        .group_by(ResourceVersion.stage, ResourceVersion.subject, ResourceVersion.institution_id, month)
        .cte("certificate_cells")
        .prefix_with("MATERIALIZED")  # (SQLite ≥ 3.35, PostgreSQL ≥ 12) once, not once per reader
    )
    per_dimension = []
    for dimension in dimensions:
        key_column = _EMPTY if dimension == "total" else cells.c[dimension]
        per_dimension.append(
            _grouped(
                select(_constant(dimension).label("dim"), key_column.label("key"), func.sum(cells.c.issued), func.sum(cells.c.revoked)),
                key_column,
                dimension,
            )
        )
    for dimension, key, number, revoked in session.execute(union_all(*per_dimension)):
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
