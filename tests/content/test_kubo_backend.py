"""KuboContentStore speaks Kubo's RPC API with every import parameter pinned (against a FAKE Kubo)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ledger_service import (
    ContentBackendError,
    ContentCorruptedError,
    ContentNotFoundError,
    ContentTooLargeError,
    TruncatedContentError,
)
from ledger_service.chain import free_port
from ledger_service.content import CID, ImportParams, KuboContentStore, import_stream, kubo_api_url
from tests.content.fake_kubo import fake_kubo
from tests.utils.reference_data import chacha


def test_multiaddrs_and_urls() -> None:
    assert kubo_api_url("/ip4/127.0.0.1/tcp/5001") == "http://127.0.0.1:5001/api/v0"
    assert kubo_api_url("/dns4/ipfs.internal/tcp/443/https") == "https://ipfs.internal:443/api/v0"
    assert kubo_api_url("/ip6/::1/tcp/5001") == "http://[::1]:5001/api/v0"
    assert kubo_api_url("http://node:5001/") == "http://node:5001/api/v0"
    with pytest.raises(ValueError, match="multiaddr"):
        kubo_api_url("127.0.0.1:5001")


def test_add_cat_pin_and_car_through_the_rpc_api(tmp_path: Path) -> None:
    data = chacha("kubo", 700_000)
    with fake_kubo(tmp_path / "kubo") as (address, node_store, calls):
        kubo = KuboContentStore(address)
        for params in (ImportParams(), ImportParams(cid_version=1)):
            root = kubo.add(io.BytesIO(data), params, pin=True)
            assert root.cid == import_stream([data], params).cid, "Kubo is told every parameter explicitly"
        add_query = next(q for path, q in calls if path.endswith("/add"))
        assert add_query == {
            "cid-version": "0",
            "raw-leaves": "false",
            "chunker": "size-262144",
            "hash": "sha2-256",
            "pin": "true",
            "trickle": "false",
            "progress": "false",
        }
        assert b"".join(kubo.cat(root.cid, 262_100, 100)) == data[262_100:262_200]
        assert kubo.has_block(root.cid) and kubo.get_block(root.cid) == node_store.get_block(root.cid)
        car = b"".join(kubo.export_car(root.cid))
        node_store.unpin(root.cid)
        node_store.gc()
        assert not kubo.has_block(root.cid)
        assert kubo.import_car(io.BytesIO(car)) == [root.cid]
        with pytest.raises(ContentNotFoundError):
            kubo.get_block(CID.parse("QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ"))
        kubo.close()


def test_an_unreachable_node_is_a_clear_error() -> None:
    kubo = KuboContentStore(f"/ip4/127.0.0.1/tcp/{free_port()}", timeout=2)
    with pytest.raises(ContentBackendError, match="does not answer"):
        kubo.add([b"x"])
    kubo.close()


def test_reads_are_verified_and_bundles_built_on_the_node(tmp_path: Path) -> None:
    with fake_kubo(tmp_path / "kubo") as (address, node_store, _):
        kubo = KuboContentStore(address, max_size=2_000_000)
        parts = {name: kubo.add([name.encode() * 3000]) for name in ["a.txt", "课件.txt"]}
        bundle = kubo.add_directory(parts, pin=True)
        assert kubo.stat(bundle.cid).kind == "directory" and bundle.cid in kubo.pins()
        assert b"".join(kubo.cat(parts["a.txt"].cid)) == b"a.txt" * 3000
        with pytest.raises(ContentTooLargeError):
            kubo.add([b"x" * 1_500_000, b"y" * 1_500_000])
        with pytest.raises(TruncatedContentError):
            kubo.add([b"short"], expected_size=10)
        kubo.gc(keep=[parts["a.txt"].cid])
        assert kubo.has_block(parts["a.txt"].cid)
        leaf_cid = parts["课件.txt"].cid
        where = node_store.locate(leaf_cid)
        assert where is not None
        damaged = bytearray(where.path.read_bytes())
        damaged[where.offset + where.length - 1] ^= 0xFF  # the node now holds a wrong block
        where.path.write_bytes(bytes(damaged))
        with pytest.raises(ContentCorruptedError, match=str(leaf_cid)):
            kubo.get_block(leaf_cid)
        kubo.close()
