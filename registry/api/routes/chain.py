from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from ..deps import LedgerDep

router = APIRouter(prefix="/chain", tags=["chain"])


class ChainPublic(BaseModel):
    chain_id: int
    block_number: int
    embedded: bool
    relayer: str
    contracts: dict[str, str]


@router.get("", response_model=ChainPublic)
def read_chain(ledger: LedgerDep) -> ChainPublic:
    """Chain id, block height and the addresses of the deployed contracts."""
    return ChainPublic(**ledger.status())
