from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_service.chain import ChainConfig, EmbeddedNode, Ledger


@pytest.fixture
def embedded_config(tmp_path: Path) -> ChainConfig:
    # Automine: a block per transaction keeps single-transaction tests fast.
    return ChainConfig(data_dir=tmp_path / "data", anvil_port=0, snapshot_interval=0, block_time=None)


@pytest.fixture
def ledger(embedded_config: ChainConfig) -> Iterator[Ledger]:
    with Ledger.open(embedded_config) as opened:
        yield opened


@pytest.fixture
def external_node(tmp_path: Path) -> Iterator[EmbeddedNode]:
    """An anvil that plays an external chain (reached by URL, standard JSON-RPC only)."""
    with EmbeddedNode(tmp_path / "external", port=0, snapshot_interval=0, block_time=None) as node:
        yield node
