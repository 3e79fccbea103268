"""A staging pack for the blocks of one add: appended without a sync each, made durable with one
``fdatasync``, invisible until the store commits it.

One pack file per add, not one file per block (a 1 GiB video is 4,096 blocks). Measured on this
machine (ext4, 256 KiB blocks): an ``fsync`` per block file 2.2-3.1 s per 100 MiB; block files
written plainly and one ``syncfs`` 0.6-1.1 s per 100 MiB (and ``syncfs`` also waits for whatever
else is dirty on the filesystem); one append-only pack and one ``fdatasync`` 0.25 s per 100 MiB.
Creating, naming and renaming 4,096 files costs more than hashing them: ``store_ratio`` of
``bench/content_ingest.py`` was 0.08-0.25 with files, see :mod:`._store` for the pack's figures.

A pack is ``PACK_MAGIC`` followed by CAR v1 sections, ``varint(len) ‖ CID bytes ‖ block``, so a
pack names its own blocks (it can be listed or re-indexed from itself); the store's index keeps
each block's offset and length. Blocks are written with ``os.writev`` straight from the importer's
buffers, and a block seen before in the same add is written once.
"""

from __future__ import annotations

import base64
import os
import queue
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from .._exceptions import ContentCorruptedError
from ._cid import CID, decode_varint, encode_varint

__all__ = ["PACK_MAGIC", "StagingSink", "block_key", "read_at", "scan_pack", "sync_folder"]

PACK_MAGIC = b"EDULEDGER-PACK/1\n"
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)


def block_key(cid: CID) -> str:
    """A block's file name in the one-file-per-block layout: its multihash in base32, as Kubo's flatfs names it."""
    return base64.b32encode(cid.multihash).decode().rstrip("=")


def sync_folder(path: Path) -> None:
    """Make ``path``'s entries (a file created or renamed into it) durable."""
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def write_all(descriptor: int, buffers: Sequence[bytes | memoryview]) -> int:
    """Append every buffer (``writev`` may write less than asked, e.g. near a full disk)."""
    total = sum(len(buffer) for buffer in buffers)
    written = os.writev(descriptor, buffers)
    if written < total:
        rest = b"".join(bytes(buffer) for buffer in buffers)[written:]
        while rest:
            rest = rest[os.write(descriptor, rest) :]
    return total


def read_at(descriptor: int, offset: int, length: int) -> bytes:
    """Exactly ``length`` bytes at ``offset``, or :class:`ContentCorruptedError` (a truncated pack)."""
    data = os.pread(descriptor, length, offset)
    while len(data) < length:
        more = os.pread(descriptor, length - len(data), offset + len(data))
        if not more:
            raise ContentCorruptedError(f"the pack ends at byte {offset + len(data)}, inside a block of {length} bytes at {offset}")
        data += more
    return data


def scan_pack(path: Path) -> Iterator[tuple[CID, int, int]]:
    """Every (CID, offset, length) a pack file holds, read from the pack itself (not verified)."""
    data = path.read_bytes()
    if not data.startswith(PACK_MAGIC):
        raise ContentCorruptedError(f"{path} is not a pack (no {PACK_MAGIC!r} header)")
    offset = len(PACK_MAGIC)
    while offset < len(data):
        try:
            size, start = decode_varint(data, offset)
            cid, _ = CID.from_bytes(data[start : start + min(size, 64)])
        except Exception as exc:  # noqa: BLE001 - any framing problem is a damaged pack
            raise ContentCorruptedError(f"{path} is damaged at byte {offset}: {exc}") from None
        header = len(cid.to_bytes())
        if start + size > len(data) or size < header:
            raise ContentCorruptedError(f"{path} ends inside the block at byte {offset}")
        yield cid, start + header, size - header
        offset = start + size


class StagingSink:
    """Appends an add's blocks to one pack file in its own staging folder (no sync each), and
    remembers where each is and their order.

    The writes run on a thread of the sink's own, so the disk copy of one block overlaps the
    hashing of the next (both release the GIL); at most ``_QUEUED`` blocks wait for it, so memory
    stays bounded. A write error is raised by the next ``put``, ``read`` or ``make_durable``."""

    _QUEUED = 16

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        self.path = folder / "pack"
        self._fd: int | None = os.open(self.path, _OPEN_FLAGS, 0o644)
        self.size = write_all(self._fd, (PACK_MAGIC,))
        self.order: list[CID] = []
        self.entries: dict[bytes, tuple[int, int]] = {}  # multihash → (offset, length) of the block
        self.bytes = 0
        self._queue: queue.Queue[tuple[bytes | memoryview, ...] | None] = queue.Queue(self._QUEUED)
        self._error: BaseException | None = None
        self._writer: threading.Thread | None = None

    def _descriptor(self) -> int:
        if self._fd is None:
            raise ValueError("the staging pack is closed")
        return self._fd

    def _write_queued(self, descriptor: int) -> None:
        while True:
            buffers = self._queue.get()
            try:
                if buffers is None:
                    return
                if self._error is None:
                    write_all(descriptor, buffers)
            except BaseException as exc:  # noqa: BLE001 - handed to the adding thread
                self._error = exc
            finally:
                self._queue.task_done()

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def put(self, cid: CID, parts: Sequence[bytes | memoryview]) -> None:
        self._check()
        multihash = cid.multihash
        if multihash in self.entries:
            return
        length = sum(len(part) for part in parts)
        raw = cid.to_bytes()
        head = encode_varint(len(raw) + length) + raw
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_queued, args=(self._descriptor(),), name="staging-pack", daemon=True)
            self._writer.start()
        # the importer reuses its buffers: what is queued must be a copy
        self._queue.put((head, *(part if isinstance(part, bytes) else bytes(part) for part in parts)))
        self.entries[multihash] = (self.size + len(head), length)
        self.size += len(head) + length
        self.bytes += length
        self.order.append(cid)

    def flush(self) -> None:
        """Wait until every queued block is written (not synced)."""
        if self._writer is not None:
            self._queue.join()
        self._check()

    def has(self, cid: CID) -> bool:
        return cid.multihash in self.entries

    def read(self, cid: CID) -> bytes:
        self.flush()
        offset, length = self.entries[cid.multihash]
        return read_at(self._descriptor(), offset, length)

    def make_durable(self) -> None:
        """Every staged block on disk: the one sync of the add's data."""
        self.flush()
        os.fdatasync(self._descriptor())

    def close(self) -> None:
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join()
            self._writer = None
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

    def discard(self) -> None:
        """Close and remove the staging folder (an abort, or after the pack was moved out)."""
        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)
