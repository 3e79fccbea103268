"""CAR v1 export and import; import verifies every block and the DAG's completeness first."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from ledger_service import InvalidCarError
from ledger_service.content import CID, LocalContentStore, car_header, car_section, read_car
from tests.utils.reference_data import chacha


def stores(tmp_path: Path) -> tuple[LocalContentStore, LocalContentStore]:
    return LocalContentStore(tmp_path / "a"), LocalContentStore(tmp_path / "b")


def test_round_trip_between_stores(tmp_path: Path) -> None:
    source, target = stores(tmp_path)
    root = source.add([chacha("car", 1_000_000)])
    car = b"".join(source.export_car(root.cid))
    roots, sections = read_car(io.BytesIO(car))
    assert roots == [root.cid]
    assert [cid for cid, _ in sections][0] == root.cid, "root first (depth-first order)"
    assert target.import_car(io.BytesIO(car)) == [root.cid]
    assert b"".join(target.cat(root.cid)) == chacha("car", 1_000_000)
    assert root.cid in target.pins()


def test_a_wrong_block_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    source, target = stores(tmp_path)
    root = source.add([chacha("wrong", 600_000)])
    blocks = list(source.walk(root.cid))
    leaf_cid, leaf = blocks[1]
    tampered = car_header([root.cid]) + b"".join(car_section(cid, block if cid != leaf_cid else leaf[:-1] + b"!") for cid, block in blocks)
    with pytest.raises(InvalidCarError, match=f"{leaf_cid} in the CAR does not match"):
        target.import_car(io.BytesIO(tampered))
    assert target.block_keys() == []


def test_a_missing_block_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    source, target = stores(tmp_path)
    root = source.add([chacha("missing", 600_000)])
    blocks = list(source.walk(root.cid))
    partial = car_header([root.cid]) + b"".join(car_section(cid, block) for cid, block in blocks[:-1])
    with pytest.raises(InvalidCarError, match=f"lacks block {blocks[-1][0]}"):
        target.import_car(io.BytesIO(partial))
    assert target.block_keys() == []


@pytest.mark.parametrize(
    "data",
    [b"", b"\x05abc", b"\x02\xa1\x01", car_header([CID.parse("QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ")]) + b"\x50\x01"],
    ids=["empty", "short-header", "bad-header", "truncated-section"],
)
def test_malformed_cars_are_clear_errors(tmp_path: Path, data: bytes) -> None:
    _, target = stores(tmp_path)
    with pytest.raises(InvalidCarError):
        target.import_car(io.BytesIO(data))
