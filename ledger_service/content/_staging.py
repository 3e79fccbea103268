"""A staging pack for the blocks of one add: appended without a sync each, made durable with one
``fdatasync``, invisible until the store commits it (:mod:`._store` says how and why packs).

A pack is ``PACK_MAGIC`` followed by CAR v1 sections, ``varint(len) ‖ CID bytes ‖ block``, so a
pack names its own blocks (:func:`scan_pack` lists them; an index could be rebuilt from the packs);
the store's index keeps each block's offset and length. A block seen before in the same add is
written once.

How the bytes reach the disk, chosen by interleaved A/B runs of 256 MiB adds on this machine
(ext4 on a virtio disk, load average 5-11 on 2 cores from other sessions; sha256 over the same
bytes took a median 0.25-0.44 s):

- one ``writev`` per block through the page cache, in the adding thread: median 0.61-0.77 s,
  0.29 s of CPU; copying 256 MiB into the page cache costs about half of what hashing it does;
- the same with a writer thread (so the copy overlaps the hashing): no faster under load
  (0.73-0.92 s) and 20 % more CPU; with ``sync_file_range`` every 16 MiB so the last
  ``fdatasync`` finds less to do: no change (0.60 s against 0.61 s);
- 4 MiB page-aligned buffers written with ``O_DIRECT`` (the disk reads them, no page-cache copy)
  by a writer thread while the adding thread hashes the next blocks: median 0.46 s, 0.26 s of CPU;
  the same buffers through the page cache 0.82 s. Kept: waiting for the disk costs no CPU, so this
  overlap survives a loaded machine. The one extra copy (into the buffer) is cheaper than the page
  cache's, and buffering is what makes ``O_DIRECT``'s alignment possible for blocks of any size.

An add from a file object does not even make that copy (issue 16, second pass): :meth:`StagingSink.slot`
gives out room in the current buffer right after the space a full chunk's framing takes, the
chunk is read into it with ``readinto`` and hashed there, and :meth:`StagingSink.put_slot` writes
the framing in front of it (a short last chunk, whose framing is smaller, is copied once). A buffer
is handed over when the next slot does not fit: its whole 4 KiB blocks go to the writer, the rest
starts the next buffer. Measured on 256 MiB (load average 1-3, sha256 0.16 s): the copy into the
buffers was 32-90 ms of a 0.22-0.33 s add; without it the add takes 0.20-0.25 s against 0.18 s for
the CID alone. What is left over the CID: the ``readinto`` lands in 8 MiB of buffers that are not in
the CPU's cache (the CID-only import reuses one 256 KiB buffer), the writer thread's ``O_DIRECT``
page pinning (12-15 ms of CPU), waits for the writer when the disk or the scheduler is slow (2-50 ms),
the index transaction (3-10 ms) and the syncs (under 1 ms each here). 1 MiB buffers (3 or 4) or
4-16 buffers of 4 MiB measured the same within the noise: two 4 MiB buffers are kept.
"""

from __future__ import annotations

import base64
import errno
import mmap
import os
import queue
import shutil
import threading
from collections.abc import Iterator, Sequence
from pathlib import Path

from .._exceptions import ContentCorruptedError
from ._cid import CID, decode_varint, encode_varint

__all__ = ["PACK_MAGIC", "SLOT_MAX", "StagingSink", "block_key", "read_at", "scan_pack", "sync_folder"]

PACK_MAGIC = b"EDULEDGER-PACK/1\n"
_CLOEXEC = getattr(os, "O_CLOEXEC", 0)
_OPEN_FLAGS = os.O_RDWR | os.O_CREAT | os.O_EXCL | _CLOEXEC
_BUFFER = 4 << 20  # what is written at once
_BUFFERS = 2  # how many: one filled while the others are written
_ALIGN = 4096  # O_DIRECT offsets and lengths: a multiple of the device's block size (512 or 4096)
SLOT_MAX = _BUFFER - _ALIGN  # the largest slot (:meth:`StagingSink.slot`): after a hand-over, one always fits


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

    Blocks are gathered into 4 MiB page-aligned buffers; a full buffer is written with
    ``O_DIRECT`` (no copy into the page cache) by a thread of the sink's own while the next fills,
    so the adding thread hashes while the disk writes. The last buffer is padded to the alignment
    ``O_DIRECT`` asks, written, the file cut back to its true size and synced. Where ``O_DIRECT``
    is refused (tmpfs, or ``direct=False``) the same buffers are written through the page cache."""

    slot_max = SLOT_MAX

    def __init__(self, folder: Path, *, direct: bool = True) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        self.path = folder / "pack"
        self._fd: int | None = os.open(self.path, _OPEN_FLAGS, 0o644)
        self._direct_fd: int | None = None
        if direct and hasattr(os, "O_DIRECT"):
            try:
                self._direct_fd = os.open(self.path, os.O_WRONLY | os.O_DIRECT | _CLOEXEC)
            except OSError:
                pass  # the filesystem does not do O_DIRECT: buffered writes
        self._buffers = [mmap.mmap(-1, _BUFFER) for _ in range(_BUFFERS)]
        self._free: queue.Queue[mmap.mmap] = queue.Queue()
        for buffer in self._buffers[1:]:
            self._free.put(buffer)
        self._work: queue.Queue[tuple[mmap.mmap, int, int] | None] = queue.Queue()
        self._writer: threading.Thread | None = None
        self._error: BaseException | None = None
        self._buffer = self._buffers[0]
        self._filled = 0  # bytes in the current buffer
        self._written = 0  # the file offset the current buffer starts at
        self._sealed = False
        self._slot: tuple[int, int] | None = None  # (start in the current buffer, size) of the room last given out
        self.order: list[CID] = []
        self.entries: dict[bytes, tuple[int, int]] = {}  # multihash → (offset, length) of the block
        self.bytes = 0
        self.size = 0
        self._append(PACK_MAGIC)

    @property
    def direct(self) -> bool:
        """Whether the pack is written with O_DIRECT."""
        return self._direct_fd is not None

    def _descriptor(self) -> int:
        if self._fd is None:
            raise ValueError("the staging pack is closed")
        return self._fd

    def _check(self) -> None:
        if self._error is not None:
            raise self._error

    def _append(self, data: bytes | memoryview) -> None:
        view = memoryview(data)
        self.size += len(view)
        while len(view):
            count = min(_BUFFER - self._filled, len(view))
            self._buffer[self._filled : self._filled + count] = view[:count]
            self._filled += count
            view = view[count:]
            if self._filled == _BUFFER:
                self._hand_over()

    def _hand_over(self) -> None:
        """The buffer's whole aligned blocks to the writer thread; the rest (less than ``_ALIGN``
        bytes, when a slot did not fit) carried to the start of the next buffer, once that is free."""
        self._check()
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="staging-pack", daemon=True)
            self._writer.start()
        full, carried = self._buffer, self._filled % _ALIGN
        length = self._filled - carried
        self._buffer = self._free.get()
        self._buffer[:carried] = full[length : self._filled]
        self._work.put((full, length, self._written))
        self._written += length
        self._filled = carried

    def _write(self, buffer: mmap.mmap, length: int, offset: int) -> None:
        with memoryview(buffer) as whole:
            done = 0
            while done < length:
                direct = self._direct_fd
                try:
                    done += os.pwrite(self._descriptor() if direct is None else direct, whole[done:length], offset + done)
                except OSError as exc:
                    if direct is None or exc.errno != errno.EINVAL:
                        raise
                    self._direct_fd = None  # O_DIRECT opened but refused (an alignment this device does not take)
                    os.close(direct)

    def _write_loop(self) -> None:
        while (item := self._work.get()) is not None:
            buffer, length, offset = item
            try:
                if self._error is None:
                    self._write(buffer, length, offset)
            except BaseException as exc:  # noqa: BLE001 - raised in the adding thread
                self._error = exc
            finally:
                self._free.put(buffer)
                self._work.task_done()
        self._work.task_done()

    def _drain(self) -> None:
        """Wait until every handed-over buffer is written."""
        if self._writer is not None:
            self._work.join()
        self._check()

    def put(self, cid: CID, parts: Sequence[bytes | memoryview]) -> None:
        if self._sealed:
            raise ValueError("the staging pack was made durable; nothing more is added to it")
        self._slot = None  # a slot given out before is no longer reserved
        multihash = cid.multihash
        if multihash in self.entries:
            return
        length = sum(len(part) for part in parts)
        raw = cid.to_bytes()
        head = encode_varint(len(raw) + length) + raw
        self._append(head)
        self.entries[multihash] = (self.size, length)
        for part in parts:
            self._append(part)
        self.bytes += length
        self.order.append(cid)

    def slot(self, before: int, size: int) -> memoryview:
        """Writable room for ``size`` bytes, ``before`` bytes past the pack's end, in one buffer:
        read a block's data into it, hash it there, then :meth:`put_slot` appends it without a copy
        (``before`` is the room its framing, :meth:`framing`, takes). Valid until the next call."""
        if self._sealed:
            raise ValueError("the staging pack was made durable; nothing more is added to it")
        if before + size > SLOT_MAX:
            raise ValueError(f"a slot holds at most {SLOT_MAX} bytes")
        if self._filled + before + size > _BUFFER:
            self._hand_over()
        start = self._filled + before
        self._slot = (start, size)
        return memoryview(self._buffer)[start : start + size]

    @staticmethod
    def framing(cid_length: int, length: int) -> int:
        """The bytes a block of ``length`` bytes under a CID of ``cid_length`` bytes takes before its data."""
        return len(encode_varint(cid_length + length)) + cid_length

    def put_slot(self, cid: CID, prefix: bytes, length: int, suffix: bytes) -> None:
        """Append the block ``prefix ‖ the slot's first length bytes ‖ suffix``. Where the slot sits
        right after the block's framing (``before`` was right), its bytes stay where they were read."""
        if self._slot is None:
            raise ValueError("no slot was given out")
        start, size = self._slot
        self._slot = None
        if length > size:
            raise ValueError(f"the slot holds {size} bytes, not {length}")
        multihash = cid.multihash
        if multihash in self.entries:
            return
        raw = cid.to_bytes()
        block = len(prefix) + length + len(suffix)
        head = encode_varint(len(raw) + block) + raw + prefix
        if self._filled + len(head) != start:  # the framing is not what the slot left room for (a short last chunk)
            data = bytes(self._buffer[start : start + length])
            self.put(cid, (prefix, data, suffix))
            return
        self._buffer[self._filled : start] = head
        self.entries[multihash] = (self.size + len(head) - len(prefix), block)
        self.size += len(head) + length
        self._filled = start + length
        if self._filled + len(suffix) <= _BUFFER:
            self._buffer[self._filled : self._filled + len(suffix)] = suffix
            self._filled += len(suffix)
            self.size += len(suffix)
        else:
            self._append(suffix)
        self.bytes += block
        self.order.append(cid)

    def has(self, cid: CID) -> bool:
        return cid.multihash in self.entries

    def read(self, cid: CID) -> bytes:
        """A staged block (from the file, or the buffer not yet written)."""
        offset, length = self.entries[cid.multihash]
        end = offset + length
        self._drain()
        data = read_at(self._descriptor(), offset, min(end, self._written) - offset) if offset < self._written else b""
        if end > self._written:
            data += self._buffer[max(offset, self._written) - self._written : end - self._written]
        return data

    def make_durable(self) -> None:
        """Every staged block on disk: the one sync of the add's data."""
        self._slot = None  # nothing more is appended
        if not self._sealed:
            self._drain()
            length = self._filled
            if self.direct:  # O_DIRECT writes whole aligned blocks: pad, then cut the file back
                padded = -(-length // _ALIGN) * _ALIGN
                self._buffer[length:padded] = bytes(padded - length)
                length = padded
            if length:
                self._write(self._buffer, length, self._written)
            self._written += self._filled
            self._filled = 0
            self._sealed = True
            os.ftruncate(self._descriptor(), self.size)
        os.fdatasync(self._descriptor())

    def close(self) -> None:
        if self._writer is not None:
            self._work.put(None)
            self._writer.join()
            self._writer = None
        for descriptor in (self._direct_fd, self._fd):
            if descriptor is not None:
                os.close(descriptor)
        self._fd = self._direct_fd = None
        for buffer in self._buffers:
            try:
                buffer.close()
            except BufferError:
                pass  # a slot's view is still referenced (an exception's traceback): freed with it

    def discard(self) -> None:
        """Close and remove the staging folder (an abort, or after the pack was moved out)."""
        self.close()
        shutil.rmtree(self.folder, ignore_errors=True)
