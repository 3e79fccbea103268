"""The local blockstore: add/cat/stat/has, pins and gc, atomic adds, corruption, limits, bounded memory."""

from __future__ import annotations

import io
import os
import tracemalloc
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_service import ContentCorruptedError, ContentNotFoundError, ContentTooLargeError, TruncatedContentError
from ledger_service.content import CID, ImportParams, LocalContentStore, import_stream
from tests.utils.reference_data import chacha


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalContentStore]:
    opened = LocalContentStore(tmp_path / "content")
    yield opened
    opened.close()


def blocks_on_disk(store: LocalContentStore) -> list[str]:
    return store.block_keys()


@pytest.mark.parametrize("params", [ImportParams(), ImportParams(cid_version=1)], ids=["v0", "v1"])
def test_add_then_cat_returns_the_bytes_and_the_same_cid_as_hashing_only(store: LocalContentStore, params: ImportParams) -> None:
    data = chacha("store", 1_500_000)
    root = store.add(io.BytesIO(data), params)
    assert root.cid == import_stream([data], params).cid
    assert b"".join(store.cat(root.cid)) == data
    stat = store.stat(root.cid)
    assert (stat.kind, stat.size) == ("file", len(data))
    assert store.has(root.cid)


@pytest.mark.parametrize(("offset", "length"), [(0, 10), (262_140, 10), (262_144, 262_144), (1_499_990, 100), (5, None)])
def test_byte_ranges_cross_block_boundaries(store: LocalContentStore, offset: int, length: int | None) -> None:
    data = chacha("ranges", 1_500_000)
    root = store.add([data])
    end = None if length is None else offset + length
    assert b"".join(store.cat(root.cid, offset, length)) == data[offset:end]


def test_a_bundle_is_one_directory_whose_parts_keep_their_cids(store: LocalContentStore) -> None:
    parts = {name: store.add([name.encode() * 5000]) for name in ["微课视频.mp4", "教学设计.docx", "作业练习.pdf"]}
    bundle = store.add_directory(parts, pin=True)
    assert store.stat(bundle.cid).kind == "directory"
    assert {cid for cid, _ in store.walk(bundle.cid)} >= {p.cid for p in parts.values()}
    with pytest.raises(ContentNotFoundError, match="directory"):
        list(store.cat(bundle.cid))
    with pytest.raises(ContentNotFoundError):
        store.add_directory({"x": import_stream([b"never stored"])})


def test_gc_keeps_pinned_and_kept_content_only(store: LocalContentStore) -> None:
    pinned = store.add([b"pinned" * 100_000], pin=True)
    kept = store.add([b"registered" * 100_000])
    loose = store.add([b"loose" * 100_000])
    report = store.gc(keep=[kept.cid])
    assert report.removed_blocks >= 1 and report.freed_bytes > 0
    assert store.has(pinned.cid) and store.has(kept.cid) and not store.has(loose.cid)
    store.unpin(pinned.cid)
    store.gc()
    assert not store.has(pinned.cid)


def test_a_corrupted_block_is_reported_with_its_cid_and_never_served(store: LocalContentStore) -> None:
    root = store.add([chacha("corrupt", 600_000)])
    leaf = [cid for cid, _ in store.walk(root.cid)][1]
    where = store.locate(leaf)
    assert where is not None
    damaged = bytearray(where.path.read_bytes())
    damaged[where.offset + 100] ^= 0xFF
    where.path.write_bytes(bytes(damaged))
    with pytest.raises(ContentCorruptedError, match=str(leaf)):
        b"".join(store.cat(root.cid))
    with pytest.raises(ContentCorruptedError):
        store.get_block(leaf)


def test_an_aborted_add_leaves_nothing_visible(store: LocalContentStore) -> None:
    adder = store.adder()
    adder.feed(chacha("aborted", 1_000_000))
    adder.abort()
    assert blocks_on_disk(store) == []
    assert list((store.root / "staging").iterdir()) == []


def test_a_crash_mid_add_leaves_nothing_after_reopening(tmp_path: Path) -> None:
    first = LocalContentStore(tmp_path / "content")
    adder = first.adder()
    adder.feed(chacha("crash", 1_000_000))  # blocks sit in staging; the process "dies" here
    first.close()
    assert any((tmp_path / "content" / "staging").iterdir())
    reopened = LocalContentStore(tmp_path / "content")
    assert blocks_on_disk(reopened) == [] and list((tmp_path / "content" / "staging").iterdir()) == []
    reopened.close()


def test_size_limits_and_truncation(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content", max_size=1000)
    with pytest.raises(ContentTooLargeError):
        store.add([b"x" * 600, b"y" * 600])
    with pytest.raises(ContentTooLargeError):
        store.adder(expected_size=5000)
    with pytest.raises(TruncatedContentError, match="ended after 10 of 20"):
        store.add([b"0123456789"], expected_size=20)
    with pytest.raises(TruncatedContentError):
        store.add([b"0123456789" * 3], expected_size=20)
    assert blocks_on_disk(store) == []
    store.close()


def test_memory_stays_bounded_whatever_the_file_size(store: LocalContentStore) -> None:
    piece = os.urandom(1 << 20)

    def pieces() -> Iterator[bytes]:
        for _ in range(64):  # 64 MiB, never held whole
            yield piece

    tracemalloc.start()
    root = store.add(pieces())
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert store.stat(root.cid).size == 64 << 20
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB for a 64 MiB add"


def test_missing_content(store: LocalContentStore) -> None:
    absent = CID.parse("QmYyLxtzZyW22zpoVAtKANLRHpDjZtNeDjQdJrcQNWoRkJ")
    assert not store.has(absent)
    with pytest.raises(ContentNotFoundError, match=str(absent)):
        store.stat(absent)
