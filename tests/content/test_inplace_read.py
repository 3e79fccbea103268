"""An add from a file object reads each chunk straight into the staging pack's buffer (issue 16):
the same CIDs and bytes as importing the same data piece by piece, whatever the file's size, the
stream's short reads, repeated chunks, the CID version or where the 4 MiB buffers end; the pack
names its own blocks where the index says; size limits still refuse before anything is stored."""

from __future__ import annotations

import io
from collections.abc import Iterator
from pathlib import Path

import pytest

from ledger_service import ContentTooLargeError, TruncatedContentError
from ledger_service.content import CID, ImportParams, LocalContentStore, import_stream
from ledger_service.content._staging import StagingSink, scan_pack
from tests.utils.reference_data import chacha

CHUNK = 262_144


@pytest.fixture
def store(tmp_path: Path) -> Iterator[LocalContentStore]:
    opened = LocalContentStore(tmp_path / "content")
    yield opened
    opened.close()


class Trickle(io.RawIOBase):
    """A stream that returns at most ``step`` bytes a read (a pipe, a socket)."""

    def __init__(self, data: bytes, step: int) -> None:
        self.data, self.at, self.step = data, 0, step

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[no-untyped-def,override]
        count = min(self.step, len(buffer), len(self.data) - self.at)
        buffer[:count] = self.data[self.at : self.at + count]
        self.at += count
        return count


def stored_bytes(store: LocalContentStore, root) -> bytes:  # type: ignore[no-untyped-def]
    return b"".join(store.cat(root))


def check_pack(store: LocalContentStore) -> None:
    """Every block the pack frames is where the index says, and hashes to its CID."""
    for pack in store.packs_dir.iterdir():
        for cid, offset, length in scan_pack(pack):
            location = store.locate(cid)
            assert location is not None and (location.offset, location.length) == (offset, length)
            store.get_block(cid)


@pytest.mark.parametrize(
    "size", [0, 1, CHUNK - 1, CHUNK, CHUNK + 1, 15 * CHUNK + 77, 16 * CHUNK, 40 * CHUNK + 5]
)  # 16 chunks and their framing do not fit one 4 MiB buffer: slots move to the next buffer
@pytest.mark.parametrize("params", [ImportParams(), ImportParams(cid_version=1)], ids=["v0", "v1-raw"])
def test_an_add_from_a_file_matches_the_piecewise_import(store: LocalContentStore, size: int, params: ImportParams) -> None:
    data = chacha(f"inplace {size}", size)
    root = store.add(io.BytesIO(data), params, pin=True)
    assert root.cid == import_stream([data[i : i + 1000] for i in range(0, len(data), 1000)], params).cid
    assert stored_bytes(store, root.cid) == data
    check_pack(store)


def test_short_reads_fill_each_chunk_before_it_is_hashed(store: LocalContentStore) -> None:
    data = chacha("trickle", 3 * CHUNK + 1234)
    root = store.add(Trickle(data, 70_001))
    assert root.cid == import_stream(io.BytesIO(data)).cid
    assert stored_bytes(store, root.cid) == data
    check_pack(store)


def test_repeated_chunks_are_stored_once_and_read_back_whole(store: LocalContentStore) -> None:
    piece = chacha("repeat", CHUNK)
    data = piece * 20 + chacha("other", CHUNK) + piece * 3 + b"tail"
    root = store.add(io.BytesIO(data))
    assert root.cid == import_stream(io.BytesIO(data)).cid
    assert stored_bytes(store, root.cid) == data
    (pack,) = list(store.packs_dir.iterdir())
    framed = [cid for cid, _, _ in scan_pack(pack)]
    assert len(framed) == len(set(framed)) == 3 + 1  # 3 distinct leaves, the root
    check_pack(store)


def test_a_file_over_the_limit_is_refused_and_nothing_is_kept(tmp_path: Path) -> None:
    store = LocalContentStore(tmp_path / "content", max_size=5 * CHUNK)
    try:
        with pytest.raises(ContentTooLargeError):
            store.add(io.BytesIO(chacha("big", 5 * CHUNK + 1)))
        with pytest.raises(TruncatedContentError):
            store.add(io.BytesIO(chacha("more", 2 * CHUNK)), expected_size=CHUNK + 5)
        with pytest.raises(TruncatedContentError):
            store.add(io.BytesIO(chacha("less", CHUNK)), expected_size=CHUNK + 5)
        assert list(store.packs_dir.iterdir()) == [] and list(store.staging_dir.iterdir()) == []
        assert store.block_keys() == []
    finally:
        store.close()


def test_a_chunk_size_too_big_for_a_slot_is_read_the_usual_way(store: LocalContentStore) -> None:
    params = ImportParams(chunk_size=5 << 20)
    data = chacha("huge chunks", (5 << 20) * 2 + 3)
    root = store.add(io.BytesIO(data), params)
    assert root.cid == import_stream([data], params).cid
    assert stored_bytes(store, root.cid) == data


def test_a_slot_is_void_once_anything_else_is_appended(tmp_path: Path) -> None:
    sink = StagingSink(tmp_path / "staging")
    try:
        with pytest.raises(ValueError, match="no slot"):
            sink.put_slot(CID.v0(bytes(32)), b"", 0, b"")
        with sink.slot(40, 10) as view:
            view[:] = b"0123456789"
        sink.put(CID.v0(b"\x01" * 32), (b"other",))  # may overwrite the slot's room
        with pytest.raises(ValueError, match="no slot"):
            sink.put_slot(CID.v0(b"\x02" * 32), b"", 10, b"")
        with pytest.raises(ValueError, match="at most"):
            sink.slot(0, 4 << 20)
    finally:
        sink.discard()
