from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from ..deps import MonitorDep

router = APIRouter(tags=["health"])

_STALE = 5.0  # seconds without a fresh observation: the monitor itself is stuck


class HealthPublic(BaseModel):
    status: str
    chain: str
    database: str
    block_number: int | None = None
    open_chain_jobs: int | None = Field(default=None, description="chain writes committed and waiting to be mined")
    observed_seconds_ago: float = Field(description="the chain and the database are checked every 0.2 s in the background")


@router.get("/health", response_model=HealthPublic, responses={503: {"model": HealthPublic}})
async def read_health(monitor: MonitorDep) -> HealthPublic | JSONResponse:
    """Whether the service, its chain node and its database answer (as checked a moment ago)."""
    latest = monitor.latest
    stale = latest.age > _STALE
    chain = "ok" if latest.chain_error is None else f"unavailable: {latest.chain_error}"
    database = "ok" if latest.database_error is None else f"unavailable: {latest.database_error}"
    if stale:
        chain = database = f"unknown: no check for {latest.age:.0f} s"
    health = HealthPublic(
        status="ok" if chain == database == "ok" else "degraded",
        chain=chain,
        database=database,
        block_number=latest.head,
        open_chain_jobs=latest.open_chain_jobs,
        observed_seconds_ago=round(latest.age, 3),
    )
    if health.status != "ok":
        return JSONResponse(status_code=503, content=health.model_dump())
    return health
