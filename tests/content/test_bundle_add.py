"""Bundles added as one unit: all parts and the directory appear together, or nothing does."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger_service import ContentTooLargeError
from ledger_service.content import CID, ImportParams, KuboContentStore, LocalContentStore, bundle_root
from tests.content.fake_kubo import fake_kubo
from tests.utils.reference_data import chacha

PARAMS = ImportParams(cid_version=1)
PARTS = {"教学设计.txt": "第一课 认识分数\n".encode() * 50, "微课视频.mp4": chacha("video", 700_000)}


def stream(adder, name: str, data: bytes, piece: int = 65_536) -> None:  # type: ignore[no-untyped-def]
    writer = adder.part(name)
    for start in range(0, len(data), piece):
        writer.feed(data[start : start + piece])
    writer.finish()


def blocks(store: LocalContentStore) -> set[str]:
    return set(store.block_keys())


def test_a_committed_bundle_is_the_directory_ipfs_add_r_makes_and_is_pinned(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content")
    with store.bundle_adder(PARAMS) as adder:
        for name, data in PARTS.items():
            stream(adder, name, data)
        staged_root = adder.root()
        assert not blocks(store), "nothing is visible before the commit"
        root = adder.commit()
    assert root == staged_root
    assert root.cid == bundle_root(PARTS, PARAMS).cid
    assert store.stat(root.cid).kind == "directory"
    assert store.pins() == [root.cid]
    for name, data in PARTS.items():
        assert b"".join(store.cat(_entry(store, root.cid, name))) == data
    assert not any((store.root / "staging").iterdir()), "the staging area is cleared"
    store.close()


def _entry(store: LocalContentStore, root: CID, name: str) -> CID:
    from ledger_service.content import decode_pbnode

    return next(link.cid for link in decode_pbnode(store.get_block(root), cid=root).links if link.name == name)


def test_one_part_is_its_own_root(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content")
    data = PARTS["教学设计.txt"]
    with store.bundle_adder(PARAMS) as adder:
        stream(adder, "教学设计.txt", data)
        root = adder.commit()
    assert root.cid == bundle_root({"x": data}, PARAMS).cid
    assert b"".join(store.cat(root.cid)) == data
    store.close()


def test_an_aborted_or_oversize_bundle_leaves_nothing(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content", max_size=800_000)
    with store.bundle_adder(PARAMS) as adder:
        stream(adder, "a.txt", PARTS["教学设计.txt"])
        # leaving the block without a commit aborts
    with pytest.raises(ContentTooLargeError, match="limit of 800000"):
        with store.bundle_adder(PARAMS) as adder:
            stream(adder, "a.txt", chacha("a", 300_000))
            stream(adder, "b.bin", chacha("b", 600_000))  # each part fits; together they do not
    assert not blocks(store) and not store.pins()
    assert not any((store.root / "staging").iterdir())
    store.close()


def test_part_names_are_checked(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content")
    with store.bundle_adder(PARAMS) as adder:
        for bad in ("", "a/b", "..", "x" * 300):
            with pytest.raises(ValueError, match="not a valid part name"):
                adder.part(bad)
        stream(adder, "a.txt", b"a")
        with pytest.raises(ValueError, match="already has a part"):
            adder.part("a.txt")
    store.close()


def test_kubo_receives_nothing_before_the_commit(tmp_path: Path) -> None:
    with fake_kubo(tmp_path / "kubo") as (address, node_store, calls):
        kubo = KuboContentStore(address)
        with kubo.bundle_adder(PARAMS) as adder:
            for name, data in PARTS.items():
                stream(adder, name, data)
            adder.root()
            assert calls == [], "staged locally until the commit"
            root = adder.commit()
        assert root.cid == bundle_root(PARTS, PARAMS).cid
        assert node_store.has(root.cid) and root.cid in node_store.pins()
        assert b"".join(kubo.cat(_entry(node_store, root.cid, "微课视频.mp4"))) == PARTS["微课视频.mp4"]
        kubo.close()
