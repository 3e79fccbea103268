"""The pack layout (issue 16): one pack per add, indexed; damaged packs and indexes are read
errors, never wrong bytes; the garbage collector deletes, rewrites or keeps packs by its rule;
stores written one file per block stay readable; kill -9 during a collection loses nothing live."""

from __future__ import annotations

import errno
import fcntl
import hashlib
import io
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import tracemalloc
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest

from ledger_service import ContentCorruptedError, ContentTooLargeError, TruncatedContentError
from ledger_service.content import CID, ImportParams, LocalContentStore, import_stream
from ledger_service.content._staging import StagingSink, block_key, scan_pack
from tests.utils.reference_data import chacha

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalContentStore]:
    opened = LocalContentStore(tmp_path / "content")
    yield opened
    opened.close()


def packs(store: LocalContentStore) -> list[Path]:
    return sorted(store.packs_dir.iterdir())


def digest_of(store: LocalContentStore, cid: CID) -> str:
    digest = hashlib.sha256()
    for chunk in store.cat(cid):
        digest.update(chunk)
    return digest.hexdigest()


def leaves(store: LocalContentStore, root: CID) -> list[CID]:
    return [cid for cid, _ in store.walk(root)][1:]


# One pack per add...


def test_an_add_is_one_pack_that_names_its_own_blocks(store: LocalContentStore) -> None:
    data = chacha("one pack", 1_500_000)
    root = store.add([data], pin=True)
    (pack,) = packs(store)
    listed = list(scan_pack(pack))
    assert {cid.multihash for cid, _, _ in listed} == {cid.multihash for cid, _ in store.walk(root.cid)}
    for cid, offset, length in listed:
        where = store.locate(cid)
        assert where is not None and (where.path, where.offset, where.length) == (pack, offset, length)
    assert store.syncs == 3, "fdatasync of the pack, fsync of packs/, the index commit"


@pytest.mark.parametrize("direct", [True, False], ids=["o-direct", "page-cache"])
def test_a_staging_pack_reads_back_every_block_before_and_after_it_is_durable(tmp_path: Path, direct: bool) -> None:
    sink = StagingSink(tmp_path / "staging" / "one", direct=direct)
    if not direct:
        assert not sink.direct
    blocks: dict[CID, bytes] = {}
    reused = bytearray(300_000)
    for i in range(40):  # about 10.5 MiB in blocks of uneven sizes: several 4 MiB buffers, blocks across their edges
        block = chacha(f"block {i}", 262_144 + i * 1013)
        reused[: len(block)] = block
        cid = CID(1, 0x55, hashlib.sha256(block).digest())
        sink.put(cid, (block[:7], memoryview(reused)[7 : len(block)]))
        reused[:100] = bytes(100)  # the importer reuses its buffer: what was put must not change
        blocks[cid] = block
    sink.put(next(iter(blocks)), (b"written once",))
    for cid, block in blocks.items():
        assert sink.read(cid) == block
    sink.make_durable()
    assert sink.path.stat().st_size == sink.size, "the padding O_DIRECT needs is cut off"
    assert [(cid, offset, length) for cid, offset, length in scan_pack(sink.path)] == [
        (cid, *sink.entries[cid.multihash]) for cid in blocks
    ]
    for cid, block in blocks.items():
        assert sink.read(cid) == block
    sink.discard()
    assert not (tmp_path / "staging" / "one").exists()


def test_failed_and_aborted_adds_leave_no_pack_no_staging_and_no_thread(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content", max_size=6_000_000)
    threads = threading.active_count()
    with pytest.raises(ContentTooLargeError):
        store.add(chacha("too large", 1_000_000) for _ in range(7))  # past the first 4 MiB buffer: its writer had started
    with pytest.raises(TruncatedContentError):
        store.add([chacha("short", 5_000_000)], expected_size=5_000_001)
    adder = store.adder()
    adder.feed(chacha("aborted", 5_000_000))
    adder.abort()
    assert packs(store) == [] and list(store.staging_dir.iterdir()) == [] and store.block_keys() == []
    assert threading.active_count() == threads
    store.close()


def test_a_pack_falls_back_to_the_page_cache_when_o_direct_writes_are_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = LocalContentStore(tmp_path / "content")
    real_pwrite, refused = os.pwrite, []

    def pwrite(descriptor: int, data: bytes | memoryview, offset: int) -> int:
        if fcntl.fcntl(descriptor, fcntl.F_GETFL) & getattr(os, "O_DIRECT", 0):
            refused.append(offset)
            raise OSError(errno.EINVAL, "Invalid argument")
        return real_pwrite(descriptor, data, offset)

    monkeypatch.setattr(os, "pwrite", pwrite)
    data = chacha("refused", 9_000_000)
    root = store.add([data], pin=True)
    assert b"".join(store.cat(root.cid)) == data
    assert refused == [0] or not hasattr(os, "O_DIRECT"), "one refusal, then the page cache"
    store.close()


def test_a_car_larger_than_the_staging_buffers_imports_whole(tmp_path: Path) -> None:
    source, target = LocalContentStore(tmp_path / "a"), LocalContentStore(tmp_path / "b")
    data = chacha("big car", 9_000_000)
    root = source.add([data], ImportParams(cid_version=1)).cid
    assert target.import_car(io.BytesIO(b"".join(source.export_car(root)))) == [root]
    assert b"".join(target.cat(root)) == data and target.pins() == [root]
    source.close()
    target.close()


def test_adding_stored_content_again_leaves_no_second_pack(store: LocalContentStore) -> None:
    data = chacha("again", 700_000)
    first = store.add([data])
    second = store.add([data], pin=True)
    assert first == second and len(packs(store)) == 1
    assert b"".join(store.cat(second.cid)) == data and store.pins() == [second.cid]


def test_reading_a_large_file_streams_in_bounded_memory(store: LocalContentStore) -> None:
    piece = chacha("stream", 1 << 20)
    root = store.add(piece for _ in range(64))
    tracemalloc.start()
    digest = hashlib.sha256()
    for chunk in store.cat(root.cid):
        digest.update(chunk)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert digest.hexdigest() == hashlib.sha256(piece * 64).hexdigest()
    assert peak < 8 << 20, f"peak {peak / 2**20:.1f} MiB reading a 64 MiB file"


def test_a_second_open_of_a_store_in_use_does_not_sweep_its_staging(tmp_path: Path) -> None:
    first = LocalContentStore(tmp_path / "content")
    adder = first.adder()
    adder.feed(chacha("in use", 600_000))
    second = LocalContentStore(tmp_path / "content")
    root = adder.commit()
    assert b"".join(second.cat(root.cid)) == chacha("in use", 600_000)
    second.close()
    first.close()


def test_a_pack_no_index_row_names_is_removed_at_open(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content")
    kept = store.add([chacha("kept", 300_000)])
    store.close()
    stray = tmp_path / "content" / "packs" / "0123abcd.pack"
    stray.write_bytes(b"EDULEDGER-PACK/1\n" + b"x" * 100)
    store = LocalContentStore(tmp_path / "content")
    assert not stray.exists() and len(packs(store)) == 1
    assert b"".join(store.cat(kept.cid)) == chacha("kept", 300_000)
    store.close()


# Damaged packs and indexes...


def test_a_truncated_pack_is_a_read_error_naming_the_block(store: LocalContentStore) -> None:
    data = chacha("truncated", 1_000_000)
    root = store.add([data])
    last = leaves(store, root.cid)[-1]
    where = store.locate(last)
    assert where is not None
    with open(where.path, "r+b") as handle:
        handle.truncate(where.offset + where.length // 2)
    with pytest.raises(ContentCorruptedError, match=str(last)):
        store.get_block(last)
    with pytest.raises(ContentCorruptedError):
        b"".join(store.cat(root.cid))
    with pytest.raises(ContentCorruptedError):
        store.has(root.cid)
    with pytest.raises(ContentCorruptedError):
        list(store.export_car(root.cid))


def test_a_wrong_offset_in_the_index_is_a_read_error_not_other_bytes(store: LocalContentStore) -> None:
    data = chacha("misindexed", 1_000_000)
    root = store.add([data])
    first, second = leaves(store, root.cid)[:2]
    where = store.locate(second)
    assert where is not None
    index = sqlite3.connect(store.root / "pins.sqlite3")
    with index:  # point the first leaf at the second leaf's bytes (a damaged index)
        index.execute("UPDATE blocks SET offset = ?, length = ? WHERE multihash = ?", (where.offset, where.length, first.multihash))
    index.close()
    with pytest.raises(ContentCorruptedError, match=str(first)):
        store.get_block(first)
    with pytest.raises(ContentCorruptedError):
        b"".join(store.cat(root.cid))


def test_a_missing_pack_is_a_read_error(store: LocalContentStore) -> None:
    root = store.add([chacha("missing pack", 400_000)])
    (pack,) = packs(store)
    pack.unlink()
    with pytest.raises(ContentCorruptedError, match="missing"):
        store.get_block(root.cid)


def test_a_flipped_byte_in_a_pack_is_caught_by_the_hash(store: LocalContentStore) -> None:
    root = store.add([chacha("flipped", 400_000)], ImportParams(cid_version=1))
    leaf = leaves(store, root.cid)[0]
    where = store.locate(leaf)
    assert where is not None
    damaged = bytearray(where.path.read_bytes())
    damaged[where.offset] ^= 0x01
    where.path.write_bytes(bytes(damaged))
    with pytest.raises(ContentCorruptedError, match=str(leaf)):
        store.get_block(leaf)


# The garbage collector's rule...


def bundle(store: LocalContentStore, parts: dict[str, bytes]) -> dict[str, CID]:
    """One pack holding several files and their directory; returns each part's CID and the root's."""
    with store.bundle_adder() as adder:
        for name, data in parts.items():
            writer = adder.part(name)
            writer.feed(data)
            writer.finish()
        root = adder.commit()
    return {**{name: ref.cid for name, ref in adder.parts.items()}, "/": root.cid}


def test_gc_deletes_a_dead_pack_and_rewrites_a_mostly_dead_one(store: LocalContentStore) -> None:
    small, big = chacha("small", 300_000), chacha("big", 2_000_000)
    cids = bundle(store, {"small.txt": small, "big.mp4": big})
    loose = store.add([chacha("loose", 500_000)]).cid
    before = {path.name: path.stat().st_size for path in packs(store)}
    store.unpin(cids["/"])
    report = store.gc(keep=[cids["small.txt"]])
    after = packs(store)
    assert len(after) == 1 and after[0].name not in before, "the dead pack deleted, the other rewritten"
    assert after[0].stat().st_size < 400_000
    assert report.freed_bytes == sum(before.values()) - after[0].stat().st_size
    assert b"".join(store.cat(cids["small.txt"])) == small
    assert not store.has_block(cids["big.mp4"]) and not store.has_block(cids["/"]) and not store.has_block(loose)


def test_gc_keeps_a_mostly_live_pack_and_stops_serving_its_dead_blocks(store: LocalContentStore) -> None:
    small, big = chacha("small", 300_000), chacha("big", 2_000_000)
    cids = bundle(store, {"small.txt": small, "big.mp4": big})
    (pack,) = packs(store)
    size = pack.stat().st_size
    store.unpin(cids["/"])
    report = store.gc(keep=[cids["big.mp4"]])
    assert packs(store) == [pack] and pack.stat().st_size == size, "kept as it is"
    assert report.removed_blocks == 4 and report.freed_bytes == 0  # small.txt's two leaves and node, the directory
    assert not store.has_block(cids["small.txt"]) and not store.has_block(cids["/"])
    assert b"".join(store.cat(cids["big.mp4"])) == big
    report = store.gc()  # nothing live now: the pack goes
    assert packs(store) == [] and report.freed_bytes == size


# Stores written one file per block...


class FlatfsSink:
    """Writes blocks as the store did before packs: one file per block, flatfs names."""

    def __init__(self, blocks: Path) -> None:
        self.blocks = blocks

    def put(self, cid: CID, parts: Sequence[bytes | memoryview]) -> None:
        key = block_key(cid)
        folder = self.blocks / key[-3:-1]
        folder.mkdir(parents=True, exist_ok=True)
        (folder / key).write_bytes(b"".join(bytes(part) for part in parts))


def test_a_store_written_one_file_per_block_stays_readable_and_collectable(tmp_path: Path) -> None:
    root_dir = tmp_path / "content"
    pinned_data, loose_data = chacha("old pinned", 900_000), chacha("old loose", 600_000)
    pinned = import_stream([pinned_data], sink=FlatfsSink(root_dir / "blocks")).cid
    loose = import_stream([loose_data], sink=FlatfsSink(root_dir / "blocks")).cid
    old_pins = sqlite3.connect(root_dir / "pins.sqlite3")  # the former schema: pins only
    with old_pins:
        old_pins.execute("CREATE TABLE pins (cid TEXT PRIMARY KEY, pinned_at REAL NOT NULL)")
        old_pins.execute("INSERT INTO pins VALUES (?, 0)", (str(pinned),))
    old_pins.close()
    files = sorted(path.name for path in (root_dir / "blocks").glob("*/*"))

    store = LocalContentStore(root_dir)
    assert store.block_keys() == files and store.pins() == [pinned]
    assert b"".join(store.cat(pinned, 100, 1000)) == pinned_data[100:1100]
    assert store.has(pinned) and store.has(loose)
    car = b"".join(store.export_car(pinned))
    fresh = LocalContentStore(tmp_path / "other")
    assert fresh.import_car(io.BytesIO(car)) == [pinned] and b"".join(fresh.cat(pinned)) == pinned_data
    fresh.close()
    new = store.add([chacha("new", 400_000)], pin=True).cid
    store.gc()
    assert b"".join(store.cat(pinned)) == pinned_data and not store.has_block(loose)
    assert b"".join(store.cat(new)) == chacha("new", 400_000)
    store.close()
    store = LocalContentStore(root_dir)  # and again after reopening
    assert b"".join(store.cat(pinned)) == pinned_data
    store.close()


def test_a_damaged_block_file_of_the_former_layout_is_not_served(tmp_path: Path) -> None:
    root_dir = tmp_path / "content"
    root = import_stream([chacha("old", 600_000)], sink=FlatfsSink(root_dir / "blocks")).cid
    store = LocalContentStore(root_dir)
    leaf = leaves(store, root)[0]
    where = store.locate(leaf)
    assert where is not None and where.path.parent.parent == root_dir / "blocks"
    where.path.write_bytes(where.path.read_bytes()[:-1])
    with pytest.raises(ContentCorruptedError, match=str(leaf)):
        b"".join(store.cat(root))
    store.close()


# kill -9 during a collection...


def named_in(store: LocalContentStore, cid: CID, path: Path) -> bool:
    where = store.locate(cid)
    return where is not None and where.path == path


GC_CHILD = r"""
import os, pathlib, signal, sys
from pathlib import Path
from ledger_service.content import CID, LocalContentStore

store_dir, point, keep = sys.argv[1], sys.argv[2], CID.parse(sys.argv[3])

def die():
    print(point, flush=True)  # the point was reached
    os.kill(os.getpid(), signal.SIGKILL)

real_replace, real_unlink = os.replace, pathlib.Path.unlink
unlinks = []

def replace(source, target):
    real_replace(source, target)
    if point == "rewrite-renamed":
        die()

def unlink(self, missing_ok=False):
    if self.suffix == ".pack":
        unlinks.append(self)
        if (point == "rewrite-committed" and len(unlinks) == 1) or (point == "dropped" and len(unlinks) == 2):
            die()
    real_unlink(self, missing_ok=missing_ok)

os.replace = replace
pathlib.Path.unlink = unlink
store = LocalContentStore(Path(store_dir))
store.gc(keep=[keep])
die()
"""


@pytest.mark.parametrize("point", ["rewrite-renamed", "rewrite-committed", "dropped", "finished"])
def test_kill_9_during_a_collection_loses_nothing_live(tmp_path: Path, point: str) -> None:
    store_dir = tmp_path / "content"
    store = LocalContentStore(store_dir)
    pinned_data, small = chacha("pinned", 800_000), chacha("small", 300_000)
    pinned = store.add([pinned_data], pin=True).cid
    cids = bundle(store, {"small.txt": small, "big.mp4": chacha("big", 2_000_000)})
    store.unpin(cids["/"])
    loose = store.add([chacha("loose", 500_000)]).cid
    store.close()
    arguments = [sys.executable, "-c", GC_CHILD, str(store_dir), point, str(cids["small.txt"])]
    child = subprocess.run(arguments, capture_output=True, text=True, cwd=REPO, timeout=120)
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    assert child.stdout.split() == [point]
    store = LocalContentStore(store_dir)
    try:
        assert list(store.staging_dir.iterdir()) == []
        for path in packs(store):  # every pack left is one the index names (no orphan survives the open)
            assert any(named_in(store, cid, path) for cid, _, _ in scan_pack(path)), path
        assert digest_of(store, pinned) == hashlib.sha256(pinned_data).hexdigest()
        assert b"".join(store.cat(cids["small.txt"])) == small
        store.gc(keep=[cids["small.txt"]])  # a collection after the crash finishes the work
        assert len(packs(store)) == 2 and not store.has_block(loose) and not store.has_block(cids["big.mp4"])
        assert digest_of(store, pinned) == hashlib.sha256(pinned_data).hexdigest()
        assert b"".join(store.cat(cids["small.txt"])) == small
    finally:
        store.close()
