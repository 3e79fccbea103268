from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ...chain.monitor import ServiceMonitor
from ..deps import MonitorDep, SettingsDep

router = APIRouter(tags=["health"])

_STALE = 5.0  # seconds without a fresh observation: the monitor itself is stuck


class HealthPublic(BaseModel):
    status: str
    chain: str
    database: str
    block_number: int | None = None
    open_chain_jobs: int | None = Field(default=None, description="chain writes committed and waiting to be mined")
    oldest_open_job_seconds: float | None = Field(
        default=None,
        description="how long the oldest chain write not yet mined has waited; past EDULEDGER_CHAIN_STALL_SECONDS the service is degraded",
    )
    chain_writes: str = Field(
        default="ok",
        description="ok; stalled: chain writes wait longer than they should; or failed: an institution's chain writes failed "
        "(its key revoked on chain, say) and are not retried",
    )
    failed_chain_jobs: int = Field(default=0, description="institutions' chain writes that failed, none of theirs done since")
    observed_seconds_ago: float = Field(description="the chain and the database are checked every 0.2 s in the background")


def health_of(monitor: ServiceMonitor, stall_seconds: float) -> HealthPublic:
    """The service's health as last observed (the dashboard shows the same)."""
    latest = monitor.latest
    stale = latest.age > _STALE
    chain = "ok" if latest.chain_error is None else f"unavailable: {latest.chain_error}"
    database = "ok" if latest.database_error is None else f"unavailable: {latest.database_error}"
    if stale:
        chain = database = f"unknown: no check for {latest.age:.0f} s"
    oldest = latest.oldest_open_write
    writes = "ok" if oldest is None or oldest <= stall_seconds else f"stalled: the oldest chain write has waited {oldest:.0f} s"
    if latest.failed_writes:
        failed = f"failed: {latest.failed_writes} chain write(s) of institutions failed and are not retried (latest {latest.failed_write})"
        writes = failed if writes == "ok" else f"{writes}; {failed}"
    return HealthPublic(
        status="ok" if chain == database == writes == "ok" else "degraded",
        chain_writes=writes,
        failed_chain_jobs=latest.failed_writes,
        oldest_open_job_seconds=None if oldest is None else round(oldest, 1),
        chain=chain,
        database=database,
        block_number=latest.head,
        open_chain_jobs=latest.open_chain_jobs,
        observed_seconds_ago=round(latest.age, 3),
    )


@router.get("/health", response_model=HealthPublic, responses={503: {"model": HealthPublic}})
async def read_health(monitor: MonitorDep, settings: SettingsDep) -> HealthPublic | JSONResponse:
    """Whether the service, its chain node and its database answer (as checked a moment ago)."""
    health = health_of(monitor, settings.CHAIN_STALL_SECONDS)
    if health.status != "ok":
        return JSONResponse(status_code=503, content=health.model_dump())
    return health
