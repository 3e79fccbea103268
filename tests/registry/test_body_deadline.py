"""A request body shorter than its Content-Length does not hold a worker for ever: 408 JSON after
the body deadline, the connection closed, the service answering meanwhile (issue 10 item 12)."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import httpx
import pytest

from ledger_service.chain import Ledger
from registry.core.config import Settings
from registry.main import create_app
from tests.utils.live import live_server
from tests.utils.registry import as_teacher

pytestmark = pytest.mark.anvil  # the registry's module chain is an anvil

DEADLINE = 1.0


@pytest.fixture
def server(module_ledger: Ledger, tmp_path: Path) -> Iterator[str]:
    settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, BODY_TIMEOUT=DEADLINE)
    with live_server(create_app(settings, ledger=module_ledger)) as base:
        yield base


def half_a_body(base: str, path: str, content_type: str, body: bytes, token: str | None = None) -> tuple[float, bytes]:
    """Send the headers and half of ``body`` on a raw socket, then wait: (seconds until the answer, the answer)."""
    host, port = urlsplit(base).hostname, urlsplit(base).port
    with socket.create_connection((host, port), timeout=30) as sock:
        auth = f"Authorization: Bearer {token}\r\n" if token else ""
        head = (
            f"POST {path} HTTP/1.1\r\nHost: {host}\r\nContent-Type: {content_type}\r\n{auth}Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        sock.sendall(head + body[: len(body) // 2])
        started = time.monotonic()
        answer = b""
        while chunk := sock.recv(65536):  # the server closes the connection after the 408
            answer += chunk
        return time.monotonic() - started, answer


@pytest.mark.parametrize(
    ("path", "content_type"),
    [
        ("/auth/challenge", "application/json"),  # read by the strict JSON reader
        ("/verify", "application/json"),  # read by the route itself
        ("/ipfs", "application/octet-stream"),  # an upload, streamed into the content store
    ],
)
def test_half_a_body_is_a_408_after_the_deadline(server: str, path: str, content_type: str) -> None:
    token = None
    if path == "/ipfs":
        with httpx.Client(base_url=server) as http:
            token = as_teacher(http).token  # type: ignore[arg-type]
    body = json.dumps({"address": "0x" + "ab" * 20, "padding": "x" * 2000}).encode()
    waited, answer = half_a_body(server, path, content_type, body, token)
    status_line, _, rest = answer.partition(b"\r\n")
    assert status_line.startswith(b"HTTP/1.1 408"), answer[:300]
    headers, _, payload = rest.partition(b"\r\n\r\n")
    assert b"content-type: application/json" in headers.lower() and b"connection: close" in headers.lower()
    assert json.loads(payload)["error"] == "request_timeout"
    assert DEADLINE * 0.9 <= waited < DEADLINE + 5
    assert httpx.get(f"{server}/health", timeout=10).status_code == 200


def test_the_service_answers_while_a_body_hangs(server: str) -> None:
    """Several stalled bodies at once hold no worker the rest of the service needs."""
    host, port = urlsplit(server).hostname, urlsplit(server).port
    socks = [socket.create_connection((host, port), timeout=30) for _ in range(8)]
    try:
        for sock in socks:
            sock.sendall(b'POST /auth/challenge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{"a')
        started = time.monotonic()
        assert httpx.get(f"{server}/health", timeout=10).status_code == 200
        assert time.monotonic() - started < DEADLINE
    finally:
        for sock in socks:
            sock.close()


def test_a_slow_body_that_keeps_moving_is_read(server: str) -> None:
    """The deadline is for the next piece, not the whole body: an upload that keeps arriving goes on."""
    host, port = urlsplit(server).hostname, urlsplit(server).port
    body = json.dumps({"address": "0x" + "cd" * 20}).encode()
    with socket.create_connection((host, port), timeout=30) as sock:
        sock.sendall(
            f"POST /auth/challenge HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: {len(body)}\r\n"
            "Connection: close\r\n\r\n".encode()
        )
        for start in range(0, len(body), len(body) // 4 + 1):
            time.sleep(DEADLINE * 0.6)
            sock.sendall(body[start : start + len(body) // 4 + 1])
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
