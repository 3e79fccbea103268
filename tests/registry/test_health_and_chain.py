"""``GET /health`` and ``GET /chain`` on SQLite and PostgreSQL; errors are JSON with a code and a message."""

from __future__ import annotations

import time

from fastapi.testclient import TestClient

from ledger_service.chain import CONTRACT_NAMES, Ledger
from registry.core.config import Settings
from registry.main import create_app


def test_health_reports_chain_and_database(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok" and body["chain"] == "ok" and body["database"] == "ok"
    assert 0 <= body["observed_seconds_ago"] < 2
    assert body["block_number"] >= 5  # the deployment's transactions


def test_chain_lists_the_deployment(client: TestClient, module_ledger: Ledger) -> None:
    body = client.get("/chain").json()
    assert body["chain_id"] == 31337
    assert set(body["contracts"]) == set(CONTRACT_NAMES)
    assert body["contracts"] == module_ledger.deployment.contracts
    assert body["block_number"] == int(module_ledger.rpc.request("eth_blockNumber"), 16)
    assert body["embedded"] is True


def test_unknown_paths_and_methods_answer_json_errors(client: TestClient) -> None:
    missing = client.get("/no-such-page")
    assert missing.status_code == 404 and missing.json() == {"error": "not_found", "message": "Not Found"}
    wrong = client.post("/health")
    assert wrong.status_code == 405 and wrong.json()["error"] == "method_not_allowed"


def test_openapi_has_stable_operation_ids(client: TestClient) -> None:
    operations = {op["operationId"] for path in client.get("/openapi.json").json()["paths"].values() for op in path.values()}
    assert {"health-read_health", "chain-read_chain"} <= operations


def test_health_is_503_when_the_database_is_gone(module_ledger: Ledger, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'db.sqlite3'}")
    app = create_app(settings, ledger=module_ledger)
    with TestClient(app) as client:
        app.state.engine.dispose()
        (tmp_path / "db.sqlite3").unlink()
        (tmp_path / "db.sqlite3").mkdir()  # a directory where the database file was: unusable
        deadline = time.monotonic() + 5  # the monitor checks every 0.2 s
        while (response := client.get("/health")).status_code == 200 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert response.status_code == 503
    assert response.json()["database"].startswith("unavailable")
    assert response.json()["chain"] == "ok"
