"""Anything no handler takes becomes a JSON 500, and the connection stays usable (issue 10 item 5)."""

from __future__ import annotations

import http.client
import json
import logging
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from ledger_service.chain import Ledger
from registry.core.config import Settings
from registry.main import create_app
from tests.utils.live import live_server

pytestmark = pytest.mark.anvil  # the registry's module chain is an anvil


def _with_a_broken_route(app: FastAPI) -> FastAPI:
    def explode() -> None:
        raise ZeroDivisionError("a bug nobody foresaw")

    app.add_api_route("/test-only/explode", explode, methods=["GET", "POST"])
    return app


def test_an_unexpected_error_is_a_json_500(module_ledger: Ledger, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'r.sqlite3'}")
    with (
        caplog.at_level(logging.ERROR, logger="registry"),
        TestClient(_with_a_broken_route(create_app(settings, ledger=module_ledger))) as client,
    ):
        response = client.get("/test-only/explode")
        assert response.status_code == 500 and response.headers["content-type"] == "application/json"
        body = response.json()
        assert body["error"] == "internal_error" and "reference" in body["message"] and "ZeroDivision" not in body["message"]
        assert client.get("/health").status_code == 200
    reference = body["message"].split("reference ")[1].split(" ")[0]
    assert any(reference in record.getMessage() and record.exc_info for record in caplog.records), "the log keeps the traceback"


def test_through_uvicorn_the_connection_survives(module_ledger: Ledger, tmp_path: Path) -> None:
    settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'r.sqlite3'}")
    with live_server(_with_a_broken_route(create_app(settings, ledger=module_ledger))) as url:
        parts = urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=10)
        try:
            for _ in range(2):  # twice on the same keep-alive connection: it is not dropped
                connection.request("POST", "/test-only/explode", body=b"{}", headers={"content-type": "application/json"})
                answer = connection.getresponse()
                assert answer.status == 500 and json.loads(answer.read())["error"] == "internal_error"
                assert answer.getheader("connection") != "close"
            connection.request("GET", "/health")
            health = connection.getresponse()
            assert health.status == 200 and json.loads(health.read())["status"] == "ok"
        finally:
            connection.close()
