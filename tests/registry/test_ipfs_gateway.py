"""``/ipfs``: uploads, files with ranges, raw blocks and CARs as the trustless gateway spec has them."""

from __future__ import annotations

import asyncio
import hashlib
import io
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ledger_service.chain import Ledger
from ledger_service.content import CID, LocalContentStore, import_stream, read_car
from registry.core.config import Settings
from registry.main import create_app
from tests.utils.reference_data import chacha
from tests.utils.registry import as_teacher

LIMIT = 3_000_000


@pytest.fixture
def gateway(module_ledger: Ledger, tmp_path: Path) -> Iterator[TestClient]:
    settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, MAX_UPLOAD_SIZE=LIMIT)
    with TestClient(create_app(settings, ledger=module_ledger)) as client:
        as_teacher(client)  # uploads are for teachers
        yield client


def upload(client: TestClient, data: bytes, **params: int) -> str:
    response = client.post("/ipfs", content=data, params=params, headers={"content-type": "application/octet-stream"})
    assert response.status_code == 201, response.text
    return str(response.json()["cid"])


def test_upload_then_fetch_the_file(gateway: TestClient) -> None:
    data = chacha("gateway", 1_000_000)
    cid = upload(gateway, data)
    assert cid == str(import_stream([data]).cid)
    response = gateway.get(f"/ipfs/{cid}")
    assert response.status_code == 200 and response.content == data
    assert response.headers["etag"] == f'"{cid}"'
    assert response.headers["content-type"] == "application/octet-stream"
    assert "immutable" in response.headers["cache-control"]
    assert gateway.get(f"/ipfs/{cid}", headers={"if-none-match": f'"{cid}"'}).status_code == 304
    v1 = upload(gateway, data, cid_version=1)
    assert v1.startswith("bafybei") and gateway.get(f"/ipfs/{v1}").content == data


def test_range_requests(gateway: TestClient) -> None:
    data = chacha("range", 600_000)
    cid = upload(gateway, data)
    part = gateway.get(f"/ipfs/{cid}", headers={"range": "bytes=262140-262149"})
    assert part.status_code == 206 and part.content == data[262140:262150]
    assert part.headers["content-range"] == "bytes 262140-262149/600000"
    tail = gateway.get(f"/ipfs/{cid}", headers={"range": "bytes=-10"})
    assert tail.content == data[-10:]
    beyond = gateway.get(f"/ipfs/{cid}", headers={"range": "bytes=700000-"})
    assert beyond.status_code == 416 and beyond.headers["content-range"] == "bytes */600000"
    assert gateway.get(f"/ipfs/{cid}", headers={"range": "lines=1-2"}).status_code == 400


def test_content_types_by_magic_bytes_or_filename(gateway: TestClient) -> None:
    png = upload(gateway, b"\x89PNG\r\n\x1a\n" + b"\0" * 100)
    assert gateway.get(f"/ipfs/{png}").headers["content-type"] == "image/png"
    text = upload(gateway, "认识分数".encode())
    assert gateway.get(f"/ipfs/{text}").headers["content-type"].startswith("text/plain")
    named = gateway.get(f"/ipfs/{text}", params={"filename": "教学设计.pdf"})
    assert named.headers["content-type"] == "application/pdf" and "filename*=UTF-8''" in named.headers["content-disposition"]


def test_raw_blocks_verify_against_their_cid(gateway: TestClient) -> None:
    data = chacha("raw", 300_000)
    cid = CID.parse(upload(gateway, data))
    block = gateway.get(f"/ipfs/{cid}", params={"format": "raw"})
    assert block.headers["content-type"] == "application/vnd.ipld.raw"
    assert hashlib.sha256(block.content).digest() == cid.digest
    by_accept = gateway.get(f"/ipfs/{cid}", headers={"accept": "application/vnd.ipld.raw"})
    assert by_accept.content == block.content


def test_car_holds_the_whole_dag_and_imports_elsewhere(gateway: TestClient, tmp_path: Path) -> None:
    data = chacha("car-gw", 900_000)
    cid = CID.parse(upload(gateway, data))
    car = gateway.get(f"/ipfs/{cid}", params={"format": "car"})
    assert car.status_code == 200 and car.headers["content-type"].startswith("application/vnd.ipld.car")
    roots, _ = read_car(io.BytesIO(car.content))
    assert roots == [cid]
    elsewhere = LocalContentStore(tmp_path / "elsewhere")
    elsewhere.import_car(io.BytesIO(car.content))
    assert b"".join(elsewhere.cat(cid)) == data


def test_bundle_parts_by_path_and_directory_listing(gateway: TestClient) -> None:
    store: LocalContentStore = gateway.app.state.content  # type: ignore[attr-defined]
    parts = {"教学设计.txt": store.add([b"design" * 100]), "作业练习.txt": store.add([b"exercise" * 100])}
    bundle = store.add_directory(parts)
    listing = gateway.get(f"/ipfs/{bundle.cid}").json()
    assert {e["name"] for e in listing["entries"]} == set(parts)
    part = gateway.get(f"/ipfs/{bundle.cid}/作业练习.txt")
    assert part.content == b"exercise" * 100
    assert gateway.get(f"/ipfs/{bundle.cid}/nope.txt").status_code == 404


@pytest.mark.parametrize(
    ("cid", "status", "code"),
    [
        ("not-a-cid", 400, "invalid_cid"),
        ("bafyreihykld7uyxzogax6vgyvag42y7464eywpf55gxi5qpoisibh3c5wa", 400, "invalid_cid"),
        ("QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ", 404, "content_not_found"),
    ],
)
def test_bad_and_unknown_cids(gateway: TestClient, cid: str, status: int, code: str) -> None:
    response = gateway.get(f"/ipfs/{cid}")
    assert response.status_code == status and response.json()["error"] == code
    assert response.json()["message"]
    assert gateway.get(f"/ipfs/{cid}", params={"format": "car"}).status_code == status


def test_uploads_are_for_signed_in_teachers(gateway: TestClient) -> None:
    anonymous = gateway.post("/ipfs", content=b"x", headers={"Authorization": ""})
    assert anonymous.status_code == 401 and anonymous.json()["error"] == "unauthenticated"


def test_oversize_uploads_are_413_and_leave_nothing(gateway: TestClient) -> None:
    store: LocalContentStore = gateway.app.state.content  # type: ignore[attr-defined]
    response = gateway.post("/ipfs", content=b"x" * (LIMIT + 1))
    assert response.status_code == 413 and response.json()["error"] == "payload_too_large"

    def chunked() -> Iterator[bytes]:  # no Content-Length: the limit is enforced while streaming
        for _ in range(4):
            yield b"y" * 1_000_000

    streamed = gateway.post("/ipfs", content=chunked())
    assert streamed.status_code == 413
    assert store.block_keys() == []


def test_a_truncated_upload_is_400_and_leaves_nothing(gateway: TestClient) -> None:
    app = gateway.app
    store: LocalContentStore = app.state.content  # type: ignore[attr-defined]
    messages = iter(
        [
            {"type": "http.request", "body": b"a" * 1000, "more_body": True},
            {"type": "http.disconnect"},
        ]
    )
    sent: list[dict] = []  # type: ignore[type-arg]

    async def receive() -> dict:  # type: ignore[type-arg]
        return next(messages)

    async def send(message: dict) -> None:  # type: ignore[type-arg]
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/ipfs",
        "raw_path": b"/ipfs",
        "query_string": b"",
        "root_path": "",
        "headers": [(b"content-length", b"5000"), (b"host", b"testserver"), (b"authorization", gateway.headers["Authorization"].encode())],
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    asyncio.run(app(scope, receive, send))  # type: ignore[arg-type]
    start = next(m for m in sent if m["type"] == "http.response.start")
    assert start["status"] == 400
    assert b"truncated_upload" in b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    assert store.block_keys() == []


def test_the_gateway_over_a_kubo_node(module_ledger: Ledger, tmp_path: Path) -> None:
    from tests.content.fake_kubo import fake_kubo

    with fake_kubo(tmp_path / "kubo") as (address, node_store, _):
        settings = Settings(ENVIRONMENT="test", DATA_DIR=tmp_path, IPFS_API=address)
        with TestClient(create_app(settings, ledger=module_ledger)) as client:
            as_teacher(client)
            data = chacha("via-kubo", 700_000)
            cid = upload(client, data)
            assert node_store.has(CID.parse(cid)), "the bytes went to the IPFS node"
            assert client.get(f"/ipfs/{cid}").content == data
            assert client.get(f"/ipfs/{cid}", headers={"range": "bytes=10-19"}).content == data[10:20]
        assert not (tmp_path / "content").exists() or not list((tmp_path / "content").glob("blocks/*/*"))


def test_a_malformed_ipfs_api_setting_is_refused() -> None:
    with pytest.raises(ValueError, match="multiaddr"):
        Settings(IPFS_API="localhost:5001")
