from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger_service.chain import ChainConfig, Ledger
from registry.core.config import Settings
from registry.main import create_app
from tests.utils.postgres import fresh_database


@pytest.fixture(scope="module")
def module_ledger(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Ledger]:
    data_dir = tmp_path_factory.mktemp("registry-chain")
    with Ledger.open(ChainConfig(data_dir=data_dir, anvil_port=0, snapshot_interval=0, block_time=None)) as ledger:
        yield ledger


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite3'}"
    else:
        with fresh_database() as url:
            yield url


@pytest.fixture
def client(module_ledger: Ledger, database_url: str, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, DATABASE_URL=database_url)
    with TestClient(create_app(settings, ledger=module_ledger)) as test_client:
        yield test_client
