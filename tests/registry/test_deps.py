"""Routes take what the service holds (monitor, search, certificate checker, sessions) through typed
dependencies (``registry.api.deps``), never from ``request.app.state``: one place says where each
comes from, and a test or another host can supply its own."""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from registry.api import deps
from registry.chain.monitor import Observation

pytestmark = pytest.mark.anvil
ROUTES = Path(deps.__file__).parent / "routes"


def test_no_route_reads_the_app_state() -> None:
    readers = [
        f"{path.name}:{number}"
        for path in sorted(ROUTES.glob("*.py"))
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if re.search(r"\bapp\.state\b", line)
    ]
    assert readers == [], f"routes reading request.app.state: {readers}"


class _Monitor:
    def __init__(self) -> None:
        self.latest = Observation(
            head=4242, chain_error=None, database_error="database is locked", observed_at=time.monotonic(), open_chain_jobs=3
        )


def test_health_reads_the_monitor_it_is_given(client: TestClient) -> None:
    client.app.dependency_overrides[deps.get_monitor] = lambda: _Monitor()  # type: ignore[attr-defined]
    try:
        answer = client.get("/health")
    finally:
        client.app.dependency_overrides.clear()  # type: ignore[attr-defined]
    assert answer.status_code == 503 and answer.json()["block_number"] == 4242 and answer.json()["open_chain_jobs"] == 3
    assert answer.json()["database"].startswith("unavailable: database is locked")
