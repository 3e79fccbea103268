from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel, Field

from ledger_service import ChainError

from ..deps import LedgerDep

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
