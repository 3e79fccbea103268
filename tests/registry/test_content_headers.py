"""User content never runs on the registry's origin, and the registry's own pages carry security
headers (issue 10 item 9: a teacher's ``lesson.html`` was served inline as text/html, without CSP)."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from ledger_service.chain import Ledger
from registry.core.config import Settings
from registry.main import create_app
from tests.utils.registry import as_teacher, pdf_document

pytestmark = pytest.mark.anvil  # the registry's module chain is an anvil

SCRIPT = (
    b"<!doctype html><html><body><h1>\xe8\xaf\x81\xe4\xb9\xa6\xe6\xa0\xb8\xe9\xaa\x8c</h1><script>fetch('/users/me')</script></body></html>"
)
SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'


@pytest.fixture
def gateway(module_ledger: Ledger, tmp_path: Path) -> Iterator[TestClient]:
    with TestClient(create_app(Settings(ENVIRONMENT="test", DATA_DIR=tmp_path), ledger=module_ledger)) as client:
        as_teacher(client)
        yield client


def upload(client: TestClient, data: bytes) -> str:
    response = client.post("/ipfs", content=data, headers={"content-type": "application/octet-stream"})
    assert response.status_code == 201, response.text
    return str(response.json()["cid"])


def png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buffer, "PNG")
    return buffer.getvalue()


def assert_sandboxed(response: object) -> None:
    headers = response.headers  # type: ignore[attr-defined]
    assert headers["x-content-type-options"] == "nosniff"
    assert re.match(r"^sandbox(;|$)", headers["content-security-policy"]), headers["content-security-policy"]


@pytest.mark.parametrize(
    ("data", "filename", "media_type"),
    [
        (SCRIPT, "lesson.html", "text/html"),
        (SCRIPT, "lesson.htm", "text/html"),
        (SVG, "diagram.svg", "image/svg+xml"),
        (b"alert(document.cookie)", "app.js", "text/javascript"),
        (b"<?xml version='1.0'?><x:script xmlns:x='http://www.w3.org/1999/xhtml'>alert(1)</x:script>", "feed.xml", "application/xml"),
        (b"<?xml version='1.0'?><html xmlns='http://www.w3.org/1999/xhtml'/>", "page.xhtml", "application/xhtml+xml"),
        (SCRIPT, None, None),
    ],
)
def test_active_content_is_an_attachment_in_a_sandbox(
    gateway: TestClient, data: bytes, filename: str | None, media_type: str | None
) -> None:
    cid = upload(gateway, data)
    response = gateway.get(f"/ipfs/{cid}", params={"filename": filename} if filename else None)
    assert response.status_code == 200 and response.content == data
    if media_type:
        assert response.headers["content-type"].split(";")[0] == media_type
    assert response.headers["content-disposition"].startswith("attachment"), response.headers.get("content-disposition")
    assert_sandboxed(response)
    ranged = gateway.get(f"/ipfs/{cid}", params={"filename": filename} if filename else None, headers={"Range": "bytes=0-9"})
    assert ranged.status_code == 206 and ranged.headers["content-disposition"].startswith("attachment")
    assert_sandboxed(ranged)


@pytest.mark.parametrize(("kind", "filename"), [("png", "板书.png"), ("pdf", "学习任务单.pdf"), ("png", None)])
def test_images_and_pdfs_are_shown_inline_still_sandboxed(gateway: TestClient, kind: str, filename: str | None) -> None:
    data = png() if kind == "png" else pdf_document("task sheet")
    cid = upload(gateway, data)
    response = gateway.get(f"/ipfs/{cid}", params={"filename": filename} if filename else None)
    assert response.headers["content-type"] == {"png": "image/png", "pdf": "application/pdf"}[kind]
    assert response.headers["content-disposition"].startswith("inline")
    assert_sandboxed(response)


@pytest.mark.parametrize(
    "filename",
    [
        "report\u202egpj.exe",
        "a\u2066b\u2069c.pdf",
        'x"; filename="evil.html',
        "..\\..\\boot.ini",
        "../../etc/passwd.pdf",
        "line\r\nSet-Cookie: a=b.pdf",
        "nul\x00byte.pdf",
        "教学设计（终稿）.pdf",
    ],
)
def test_file_names_are_cleaned_in_content_disposition(gateway: TestClient, filename: str) -> None:
    cid = upload(gateway, pdf_document("named"))
    response = gateway.get(f"/ipfs/{cid}", params={"filename": filename})
    assert response.status_code == 200
    disposition = response.headers["content-disposition"]
    assert "set-cookie" not in {k.lower() for k in response.headers}
    ascii_part = re.fullmatch(
        r'(inline|attachment); filename="([^"]*)"; filename\*=UTF-8\'\'([A-Za-z0-9%._~!$&\'()*+,;=:@-]+)', disposition
    )
    assert ascii_part, disposition
    name = ascii_part.group(2)
    assert not re.search(r"[\x00-\x1f/\\\"]", name) and not name.startswith(".")
    from urllib.parse import unquote

    decoded = unquote(ascii_part.group(3))
    assert not re.search('[\x00-\x1f\u202a-\u202e\u2066-\u2069/\\\\"]', decoded), decoded
    if filename == "教学设计（终稿）.pdf":
        assert decoded == filename


def test_raw_blocks_cars_and_listings_are_sandboxed_too(gateway: TestClient) -> None:
    cid = upload(gateway, SCRIPT)
    for params in ({"format": "raw"}, {"format": "car"}):
        response = gateway.get(f"/ipfs/{cid}", params=params)
        assert response.status_code == 200
        assert_sandboxed(response)
    assert gateway.get(f"/ipfs/{cid}", params={"format": "car"}).headers["content-disposition"] == "attachment"


@pytest.mark.parametrize(
    "path", ["/app/", "/app/login", "/docs", "/redoc", "/health", "/openapi.json", "/no-such-endpoint", "/resources/0"]
)
def test_the_registry_s_own_answers_carry_security_headers(gateway: TestClient, path: str) -> None:
    response = gateway.get(path)
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["referrer-policy"] == "no-referrer"
    policy = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in policy and "script-src 'self'" in policy and "'unsafe-eval'" not in policy
    assert "unsafe-inline" not in policy.split("script-src", 1)[1].split(";", 1)[0]
