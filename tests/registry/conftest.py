from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import ExitStack
from pathlib import Path
from typing import Any

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


ClientFactory = Callable[..., TestClient]


@pytest.fixture
def make_client(module_ledger: Ledger, database_url: str, tmp_path: Path) -> Iterator[ClientFactory]:
    """Open the app with extra settings (on the module's chain and the test's database)."""
    with ExitStack() as stack:

        def make(**overrides: Any) -> TestClient:
            settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, DATABASE_URL=database_url, **overrides)
            return stack.enter_context(TestClient(create_app(settings, ledger=module_ledger)))

        yield make


@pytest.fixture
def client(make_client: ClientFactory) -> TestClient:
    return make_client()
