"""The 数据驾驶舱 (dashboard): submissions, acceptance, review turnaround, certificates, credentials
and chain health, by 学段, 学科, school and month — for administrators, and a public summary
without schools or institutions (nothing that narrows a number down to a person)."""

from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter, Query
from pydantic import BaseModel, Field

from ...crud import dashboard as dashboard_crud
from ...models import utcnow
from ...workflows.dashboard import period_of_months
from ..deps import AdminUser, MonitorDep, SessionDep, SettingsDep, SummaryCacheDep
from .health import health_of

router = APIRouter(prefix="/dashboard", tags=["dashboard"])

_MONTH = r"^\d{4}-(0[1-9]|1[0-2])$"


class GroupRow(BaseModel):
    key: str = Field(description="the 学段 or 学科 name, the school's id, the month (YYYY-MM, Beijing time); empty for the total")
    label: str = Field(description="what people read: the name (the school's name for a school)")
    submissions: int = Field(description="versions submitted (in the period)")
    decisions: int = Field(description="first decisions taken (accept, decline, request revisions)")
    accepted: int = Field(description="first decisions that accepted (同意收录)")
    acceptance_rate: float | None = Field(description="accepted / decisions; null without decisions")
    turnaround_median_s: float | None = Field(description="seconds from submission to first decision: median")
    turnaround_p90_s: float | None = Field(description="…: 90th percentile (linear interpolation, as percentile_cont)")
    certificates_issued: int = Field(description="certificates on chain (a revoked one counts: it was issued)")
    certificates_revoked: int


class CredentialRow(BaseModel):
    key: str = Field(description="the month (YYYY-MM) or the institution's id; empty for the total")
    label: str
    issued: int
    anchored: int = Field(description="their batch's Merkle root is on chain")
    revoked: int = Field(description="revoked now")
    suspended: int = Field(description="suspended now")


class ChainHealthPublic(BaseModel):
    status: str = Field(description="ok or degraded (as GET /health says)")
    block_number: int | None
    observed_seconds_ago: float


class ChainHealthDetail(ChainHealthPublic):
    chain: str = Field(description="ok, or why the node is unavailable")
    database: str
    jobs: dict[str, int] = Field(description="chain jobs by status: pending, sent, done, failed")
    open_jobs: int = Field(description="pending + sent: committed and not yet mined")
    oldest_open_job_s: float | None = Field(description="seconds the oldest open job has waited")
    registrations: dict[str, int] = Field(description="resource versions by chain status")


class DashboardSummary(BaseModel):
    generated_at: datetime
    from_month: str | None
    to_month: str | None
    total: GroupRow
    by_stage: list[GroupRow]
    by_subject: list[GroupRow]
    by_month: list[GroupRow]
    credentials: CredentialRow
    credentials_by_month: list[CredentialRow]
    chain: ChainHealthPublic


class Dashboard(DashboardSummary):
    by_school: list[GroupRow]
    credentials_by_institution: list[CredentialRow]
    chain: ChainHealthDetail


def _group_rows(groups: list[dashboard_crud.GroupStats]) -> list[GroupRow]:
    return [
        GroupRow(
            key=g.key,
            label=g.label,
            submissions=g.submissions,
            decisions=g.decisions,
            accepted=g.accepted,
            acceptance_rate=g.acceptance_rate,
            turnaround_median_s=g.turnaround_median_s,
            turnaround_p90_s=g.turnaround_p90_s,
            certificates_issued=g.certificates_issued,
            certificates_revoked=g.certificates_revoked,
        )
        for g in groups
    ]


def _credential_rows(db: SessionDep, dimension: str, period: dashboard_crud.Period) -> list[CredentialRow]:
    return [
        CredentialRow(key=c.key, label=c.label, issued=c.issued, anchored=c.anchored, revoked=c.revoked, suspended=c.suspended)
        for c in dashboard_crud.credential_stats(db, dimension, period)
    ]


def _summary_fields(
    db: SessionDep,
    period: dashboard_crud.Period,
    groups: dict[str, list[dashboard_crud.GroupStats]],
    from_month: str | None,
    to_month: str | None,
) -> dict[str, object]:
    return {
        "generated_at": utcnow(),
        "from_month": from_month,
        "to_month": to_month,
        "total": _group_rows(groups["total"])[0],
        "by_stage": _group_rows(groups["stage"]),
        "by_subject": _group_rows(groups["subject"]),
        "by_month": _group_rows(groups["month"]),
        "credentials": _credential_rows(db, "total", period)[0],
        "credentials_by_month": _credential_rows(db, "month", period),
    }


FromMonth = Query(default=None, pattern=_MONTH, description="first month counted (YYYY-MM, Beijing time); default: from the start")
ToMonth = Query(default=None, pattern=_MONTH, description="last month counted (YYYY-MM, inclusive); default: up to now")


@router.get("/summary", response_model=DashboardSummary)
def read_dashboard_summary(
    monitor: MonitorDep,
    settings: SettingsDep,
    db: SessionDep,
    summaries: SummaryCacheDep,
    from_month: str | None = FromMonth,
    to_month: str | None = ToMonth,
) -> DashboardSummary:
    """The public summary: totals, by 学段, 学科 and month, credentials by month, chain health. No
    schools, institutions, people or addresses. Computed at most every 30 s per period (see generated_at)."""
    period = period_of_months(from_month, to_month)

    def compute() -> DashboardSummary:
        groups = dashboard_crud.group_stats(db, period, ("total", "stage", "subject", "month"))
        health = health_of(monitor, settings.CHAIN_STALL_SECONDS)
        return DashboardSummary(
            **_summary_fields(db, period, groups, from_month, to_month),  # type: ignore[arg-type]
            chain=ChainHealthPublic(
                status=health.status, block_number=health.block_number, observed_seconds_ago=health.observed_seconds_ago
            ),
        )

    return summaries.get((from_month, to_month), compute)


@router.get("", response_model=Dashboard)
def read_dashboard(
    admin: AdminUser,
    monitor: MonitorDep,
    settings: SettingsDep,
    db: SessionDep,
    from_month: str | None = FromMonth,
    to_month: str | None = ToMonth,
) -> Dashboard:
    """The administrators' dashboard: the summary, and by school, credentials by institution, chain jobs."""
    period = period_of_months(from_month, to_month)
    groups = dashboard_crud.group_stats(db, period)
    health = health_of(monitor, settings.CHAIN_STALL_SECONDS)
    counts = dashboard_crud.chain_counts(db)
    oldest = (utcnow() - counts.oldest_open_job).total_seconds() if counts.oldest_open_job else None
    return Dashboard(
        **_summary_fields(db, period, groups, from_month, to_month),  # type: ignore[arg-type]
        by_school=_group_rows(groups["school"]),
        credentials_by_institution=_credential_rows(db, "institution", period),
        chain=ChainHealthDetail(
            status=health.status,
            block_number=health.block_number,
            observed_seconds_ago=health.observed_seconds_ago,
            chain=health.chain,
            database=health.database,
            jobs=counts.jobs,
            open_jobs=counts.jobs.get("pending", 0) + counts.jobs.get("sent", 0),
            oldest_open_job_s=round(oldest, 1) if oldest is not None else None,
            registrations=counts.registrations,
        ),
    )
