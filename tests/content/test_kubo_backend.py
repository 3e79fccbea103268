"""KuboContentStore speaks Kubo's RPC API with every import parameter pinned (against a FAKE Kubo)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ledger_service import ContentBackendError, ContentNotFoundError
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
            "cid-version": "0", "raw-leaves": "false", "chunker": "size-262144", "hash": "sha2-256",
            "pin": "true", "trickle": "false", "progress": "false",
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
