from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.utils.pyevm import PyEvmSuite, deploy_suite


@pytest.fixture(scope="session")
def _pyevm_deployed(tmp_path_factory: pytest.TempPathFactory) -> PyEvmSuite:
    return deploy_suite(tmp_path_factory.mktemp("pyevm"))


@pytest.fixture
def suite(_pyevm_deployed: PyEvmSuite) -> Iterator[PyEvmSuite]:
    """The deployed contracts on py-evm, reset to the freshly deployed state for every test."""
    snapshot = _pyevm_deployed.tester.take_snapshot()
    try:
        yield _pyevm_deployed
    finally:
        _pyevm_deployed.reset_senders()
        _pyevm_deployed.tester.revert_to_snapshot(snapshot)


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"
