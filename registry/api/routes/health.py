from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from sqlalchemy.exc import SQLAlchemyError

from ledger_service import ChainError

from ...core.db import ping
from ..deps import EngineDep, LedgerDep

router = APIRouter(tags=["health"])


class HealthPublic(BaseModel):
    status: str
    chain: str
    database: str
    block_number: int | None = None


@router.get("/health", response_model=HealthPublic, responses={503: {"model": HealthPublic}})
def read_health(ledger: LedgerDep, engine: EngineDep) -> HealthPublic | JSONResponse:
    """Whether the service, its chain node and its database answer."""
    block_number: int | None = None
    chain, database = "ok", "ok"
    try:
        block_number = int(ledger.rpc.request("eth_blockNumber"), 16)
    except ChainError as exc:
        chain = f"unavailable: {exc}"
    try:
        ping(engine)
    except SQLAlchemyError as exc:
        database = f"unavailable: {type(exc).__name__}"
    health = HealthPublic(
        status="ok" if chain == database == "ok" else "degraded",
        chain=chain,
        database=database,
        block_number=block_number,
    )
    if health.status != "ok":
        return JSONResponse(status_code=503, content=health.model_dump())
    return health
