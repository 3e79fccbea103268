from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_service.chain import EmbeddedNode
from tests.utils.pyevm import PyEvmSuite, deploy_suite

# Markers that tell the truth, set here rather than by hand in each module: a test that uses one of
# these fixtures starts an anvil node (`-m "not anvil"` leaves it out), and a test run against the
# PostgreSQL parameter of `database_url` needs the server. A test that starts anvil any other way
# carries the marker itself; one that does not fails (see _anvil_only_when_marked).
ANVIL_FIXTURES = frozenset(
    {
        "module_ledger",  # tests/registry: the registry's module chain
        "ledger",  # tests/integration, tests/credentials/test_bundle.py, tests/cli/test_wallet_verify.py
        "embedded_config",
        "external_node",
        "registry",  # tests/cli/test_wallet_registry.py
        "world",  # tests/web
    }
)


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if ANVIL_FIXTURES & set(getattr(item, "fixturenames", ())):
            item.add_marker(pytest.mark.anvil)
        callspec = getattr(item, "callspec", None)
        if callspec is not None and callspec.params.get("database_url") == "postgresql":
            item.add_marker(pytest.mark.postgres)


_running: list[pytest.Item] = []


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _running[:] = [item]  # before its fixtures are set up: module- and session-wide ones included


@pytest.fixture(scope="session", autouse=True)
def _anvil_only_when_marked() -> Iterator[None]:
    """An embedded anvil started for a test not marked ``anvil`` fails that test: the fast subset
    (`-m "not anvil and not postgres"`) stays fast, and the marker stays true."""
    start = EmbeddedNode.start

    def guarded(self: EmbeddedNode) -> None:
        if _running and _running[0].get_closest_marker("anvil") is None:
            raise AssertionError(
                f"{_running[0].nodeid} starts anvil but is not marked anvil: use a fixture in tests/conftest.py ANVIL_FIXTURES, or mark it"
            )
        start(self)

    EmbeddedNode.start = guarded  # type: ignore[method-assign]
    try:
        yield
    finally:
        EmbeddedNode.start = start  # type: ignore[method-assign]


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
