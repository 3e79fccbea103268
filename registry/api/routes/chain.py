from __future__ import annotations

from datetime import datetime

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ledger_service import ChainError

from ...core.errors import ResourceNotFoundError
from ...models import ChainJob, JobStatus, utcnow
from ..deps import LedgerDep, SessionDep
from ..params import JobId

router = APIRouter(prefix="/chain", tags=["chain"])


class CheckpointPublic(BaseModel):
    blockNumber: int
    blockHash: str


class ChainPublic(BaseModel):
    chain_id: int
    block_number: int
    embedded: bool
    relayer: str
    contracts: dict[str, str]
    checkpoint: CheckpointPublic | None = Field(
        default=None,
        description="A recent block as deep as the service's confirmations: a checkpoint for offline verification "
        "(`edu-wallet bundle --at-block`). An offline verifier should take its trust anchor from a node it trusts "
        "(`edu-wallet trust export`), not from this answer alone.",
    )


@router.get("", response_model=ChainPublic)
def read_chain(ledger: LedgerDep) -> ChainPublic:
    """Chain id, block height, the addresses of the deployed contracts and a recent checkpoint."""
    status = ledger.status()
    checkpoint = None
    try:
        number = max(0, int(status["block_number"]) - (ledger.sender.confirmations - 1))
        block = ledger.rpc.request("eth_getBlockByNumber", [hex(number), False])
        if block:
            checkpoint = CheckpointPublic(blockNumber=number, blockHash=str(block["hash"]))
    except ChainError:
        checkpoint = None
    return ChainPublic(**status, checkpoint=checkpoint)


class ChainJobPublic(BaseModel):
    id: int
    kind: str
    sender: str | None = Field(
        default=None,
        description="the issuer key that sends it (batch anchors, status lists): an institution's own, "
        "or the bureau's (the relayer's, for its certificates and contribution statements); none: the relayer",
    )
    status: str = Field(description="pending (committed), sent (journaled and sent, waiting to be mined), done or failed")
    tx_hash: str | None
    block_number: int | None = Field(description="the block the transaction's receipt names (updated if it had to be sent again)")
    error: str | None
    created_at: datetime
    waited_seconds: float | None = Field(description="for an open job: how long it has waited since it was committed")


@router.get("/jobs/{job_id}", response_model=ChainJobPublic)
def read_chain_job(job_id: JobId, db: SessionDep) -> ChainJobPublic:
    """A chain write the registry committed: where it stands (the status URL of a request that could not wait for it)."""
    job = db.get(ChainJob, job_id)
    if job is None:
        raise ResourceNotFoundError(f"no chain job {job_id}")
    waiting = job.status in (JobStatus.PENDING, JobStatus.SENT)
    return ChainJobPublic(
        id=job.id,
        kind=job.kind,
        sender=job.sender,
        status=job.status,
        tx_hash=job.tx_hash,
        block_number=job.block_number,
        error=job.error,
        created_at=job.created_at,
        waited_seconds=round((utcnow() - job.created_at).total_seconds(), 1) if waiting else None,
    )
