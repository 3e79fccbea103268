"""The local content store: a blockstore under the data directory, IPFS-compatible.

Blocks are files named by their multihash (base32), sharded by the two characters before the
last, like Kubo's flatfs. An add writes its blocks into a staging folder of its own without a
sync each; a complete add is made durable with one filesystem sync, its blocks renamed into
place, the renames synced, and its root renamed last (at most three syncs per add, whatever its
size; :mod:`._staging` says why syncfs). A failed or crashed add leaves nothing visible (a root is
never in place before every block under it is durable), and leftover staging folders are removed
on open. Every block read is hashed again: a corrupted block is reported with its CID and never
served.
"""

from __future__ import annotations

import asyncio
import hashlib
import os
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from .._exceptions import (
    ContentCorruptedError,
    ContentNotFoundError,
    ContentTooLargeError,
    InvalidCarError,
    TruncatedContentError,
)
from .._sqlite import open_durable
from ._bundle_add import BundleAdder
from ._car import read_car
from ._cid import CID, RAW
from ._dagpb import decode_pbnode
from ._dagread import DagReader
from ._importer import FileBuilder, ImportParams, NodeRef, build_directory
from ._staging import StagingSink, block_key, sync_filesystem, sync_folder

__all__ = ["DEFAULT_MAX_SIZE", "Adder", "GcReport", "LocalContentStore"]

DEFAULT_MAX_SIZE = 2 * 1024**3
_ASYNC_BATCH = 1024 * 1024  # hand uploads to the disk thread a mebibyte at a time


@dataclass(frozen=True, slots=True)
class GcReport:
    removed_blocks: int
    freed_bytes: int


class Adder:
    """One streaming add: ``feed`` pieces, then ``commit`` (or ``abort``). Size limits enforced."""

    def __init__(self, store: LocalContentStore, params: ImportParams, *, expected_size: int | None, pin: bool) -> None:
        self.store = store
        self.expected_size = expected_size
        self.pin = pin
        limit = store.max_size
        if expected_size is not None and expected_size > limit:
            raise ContentTooLargeError(f"{expected_size} bytes is over the limit of {limit} bytes")
        self._sink = StagingSink(store.root / "staging" / uuid.uuid4().hex)
        self._builder = FileBuilder(params, self._sink)
        self._done = False

    @property
    def size(self) -> int:
        return self._builder.size

    def feed(self, data: bytes | memoryview) -> None:
        if self._builder.size + len(data) > self.store.max_size:
            self.abort()
            raise ContentTooLargeError(f"the content is over the limit of {self.store.max_size} bytes")
        if self.expected_size is not None and self._builder.size + len(data) > self.expected_size:
            self.abort()
            raise TruncatedContentError(f"more bytes arrived than the declared {self.expected_size}")
        self._builder.feed(data)

    def commit(self) -> NodeRef:
        if self.expected_size is not None and self._builder.size != self.expected_size:
            self.abort()
            raise TruncatedContentError(f"the upload ended after {self._builder.size} of {self.expected_size} bytes; nothing was stored")
        try:
            root = self._builder.finish()
        except BaseException:
            self.abort()
            raise
        self.store._commit(self._sink, root.cid, pin=self.pin)
        self._done = True
        return root

    def abort(self) -> None:
        if not self._done:
            shutil.rmtree(self._sink.folder, ignore_errors=True)
            self._done = True

    def __enter__(self) -> Adder:
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if exc_type is not None:
            self.abort()


class LocalContentStore(DagReader):
    """Content-addressed storage under ``root`` (``DATA_DIR/content``)."""

    def __init__(self, root: Path, *, max_size: int = DEFAULT_MAX_SIZE, params: ImportParams | None = None) -> None:
        self.root = Path(root)
        self.max_size = max_size
        self.params = params or ImportParams()
        self.blocks_dir = self.root / "blocks"
        self.blocks_dir.mkdir(parents=True, exist_ok=True)
        shutil.rmtree(self.root / "staging", ignore_errors=True)  # what crashed adds left behind
        (self.root / "staging").mkdir()
        self._lock = threading.RLock()
        self.syncs = 0  # durable syncs made by adds (a benchmark reads it: per add, not per block)
        self._pins = open_durable(
            self.root / "pins.sqlite3", "CREATE TABLE IF NOT EXISTS pins (cid TEXT PRIMARY KEY, pinned_at REAL NOT NULL);"
        )

    def close(self) -> None:
        self._pins.close()

    # Blocks...

    def _path(self, cid: CID) -> Path:
        key = block_key(cid)
        return self.blocks_dir / key[-3:-1] / key

    def has_block(self, cid: CID) -> bool:
        return self._path(cid).is_file()

    def get_block(self, cid: CID) -> bytes:
        """The block's bytes, verified against its CID."""
        path = self._path(cid)
        try:
            block = path.read_bytes()
        except FileNotFoundError:
            raise ContentNotFoundError(f"block {cid} is not in the store") from None
        if hashlib.sha256(block).digest() != cid.digest:
            raise ContentCorruptedError(f"block {cid} is corrupted on disk ({path}); it is not served")
        return block

    def _commit(self, sink: StagingSink, root: CID, *, pin: bool) -> None:
        """Make a finished add durable (one sync), move its blocks into place and sync the renames,
        then move the root last: a crash at any point leaves no root without its blocks."""
        sink.make_durable()
        with self._lock:
            syncs = 1
            others = [cid for cid in sink.order if cid != root]
            root_folder = self._path(root).parent
            new_folder = not root_folder.is_dir()
            root_folder.mkdir(exist_ok=True)  # its name is synced with the others, before the root moves in
            for cid in others:
                self._move_into_place(sink, cid)
            if others or new_folder:
                sync_filesystem(self.blocks_dir)
                syncs += 1
            folder = self._move_into_place(sink, root)
            if folder is not None:
                sync_folder(folder)
                syncs += 1
            self.syncs += syncs
            if pin:
                self.pin(root)
        shutil.rmtree(sink.folder, ignore_errors=True)

    def _move_into_place(self, sink: StagingSink, cid: CID) -> Path | None:
        staged = sink.folder / block_key(cid)
        if not staged.exists():
            return None  # the root may have been staged under the same key as a leaf
        target = self._path(cid)
        target.parent.mkdir(exist_ok=True)
        os.replace(staged, target)
        return target.parent

    def _commit_block(self, cid: CID, block: bytes) -> None:
        """Store one verified block (through staging, like an add)."""
        if hashlib.sha256(block).digest() != cid.digest:
            raise ContentCorruptedError(f"refusing block that does not match {cid}")
        sink = StagingSink(self.root / "staging" / uuid.uuid4().hex)
        sink.put(cid, (block,))
        self._commit(sink, cid, pin=False)

    # Adding...

    def adder(self, params: ImportParams | None = None, *, expected_size: int | None = None, pin: bool = False) -> Adder:
        return Adder(self, params or self.params, expected_size=expected_size, pin=pin)

    def add(
        self,
        stream: BinaryIO | Iterable[bytes],
        params: ImportParams | None = None,
        *,
        expected_size: int | None = None,
        pin: bool = False,
    ) -> NodeRef:
        """Store a file from a binary stream or byte pieces; returns its root (CID, size, DAG size)."""
        with self.adder(params, expected_size=expected_size, pin=pin) as adder:
            if hasattr(stream, "readinto"):
                buffer = memoryview(bytearray(adder._builder.params.chunk_size))
                while count := stream.readinto(buffer):
                    adder.feed(buffer[:count])
            else:
                for piece in stream:
                    adder.feed(piece)
            return adder.commit()

    async def add_async(
        self,
        pieces: AsyncIterator[bytes],
        params: ImportParams | None = None,
        *,
        expected_size: int | None = None,
        pin: bool = False,
    ) -> NodeRef:
        """Like :meth:`add` for an async byte stream (an HTTP upload); disk work runs off the event loop."""
        with self.adder(params, expected_size=expected_size, pin=pin) as adder:
            pending = bytearray()
            async for piece in pieces:
                pending += piece
                if len(pending) >= _ASYNC_BATCH:
                    await asyncio.to_thread(adder.feed, bytes(pending))
                    pending.clear()
            if pending:
                await asyncio.to_thread(adder.feed, bytes(pending))
            return await asyncio.to_thread(adder.commit)

    def add_directory(self, entries: Mapping[str, NodeRef], params: ImportParams | None = None, *, pin: bool = False) -> NodeRef:
        """A directory over already-stored entries (a resource bundle): one CID, each part its own."""
        for name, ref in entries.items():
            if not self.has_block(ref.cid):
                raise ContentNotFoundError(f"entry {name!r} ({ref.cid}) is not in the store")
        sink = StagingSink(self.root / "staging" / uuid.uuid4().hex)
        try:
            root = build_directory(entries, params or self.params, sink)
        except BaseException:
            shutil.rmtree(sink.folder, ignore_errors=True)
            raise
        self._commit(sink, root.cid, pin=pin)
        return root

    def bundle_adder(self, params: ImportParams | None = None) -> BundleAdder:
        """Stage a bundle's parts; its commit stores them and pins the root, all at once."""
        sink = StagingSink(self.root / "staging" / uuid.uuid4().hex)
        return BundleAdder(
            sink,
            params or self.params,
            max_size=self.max_size,
            commit=lambda staged, root: self._commit(staged, root.cid, pin=True),
        )

    # Pins and garbage collection...

    def pin(self, cid: CID) -> None:
        with self._lock:
            self._pins.execute("INSERT OR IGNORE INTO pins (cid, pinned_at) VALUES (?, ?)", (str(cid), time.time()))

    def unpin(self, cid: CID) -> None:
        with self._lock:
            self._pins.execute("DELETE FROM pins WHERE cid = ?", (str(cid),))

    def pins(self) -> list[CID]:
        with self._lock:
            return [CID.parse(row[0]) for row in self._pins.execute("SELECT cid FROM pins ORDER BY cid")]

    def gc(self, keep: Iterable[CID] = ()) -> GcReport:
        """Remove every block not reachable from a pin or from ``keep`` (e.g. registered resources)."""
        with self._lock:
            live: set[str] = set()
            for root in [*self.pins(), *keep]:
                try:
                    live.update(block_key(cid) for cid, _ in self.walk(root))
                except ContentNotFoundError:
                    continue
            removed = freed = 0
            for path in self.blocks_dir.glob("*/*"):
                if path.name not in live:
                    freed += path.stat().st_size
                    path.unlink()
                    removed += 1
            return GcReport(removed, freed)

    # CAR...

    def import_car(self, stream: BinaryIO, *, pin: bool = True) -> list[CID]:
        """Import a CAR; every block is verified and every root's DAG must be complete, or nothing is kept."""
        sink = StagingSink(self.root / "staging" / uuid.uuid4().hex)
        try:
            roots, sections = read_car(stream)
            staged: dict[str, CID] = {}
            for cid, block in sections:
                if hashlib.sha256(block).digest() != cid.digest:
                    raise InvalidCarError(f"block {cid} in the CAR does not match its CID")
                sink.put(cid, (block,))
                staged[block_key(cid)] = cid
            for root in roots:
                self._check_complete(root, sink.folder)
        except BaseException:
            shutil.rmtree(sink.folder, ignore_errors=True)
            raise
        for index, root in enumerate(roots):
            if index == len(roots) - 1:
                self._commit(sink, root, pin=pin)
            elif pin:
                self.pin(root)
        return roots

    def _check_complete(self, root: CID, staging: Path) -> None:
        stack, seen = [root], set()
        while stack:
            cid = stack.pop()
            key = block_key(cid)
            if key in seen:
                continue
            seen.add(key)
            staged = staging / key
            if staged.exists():
                block = staged.read_bytes()
            elif self.has_block(cid):
                block = self.get_block(cid)
            else:
                raise InvalidCarError(f"the CAR lacks block {cid} (reachable from root {root})")
            if cid.codec != RAW:
                try:
                    stack.extend(link.cid for link in decode_pbnode(block, cid=cid).links)
                except ContentCorruptedError as exc:
                    raise InvalidCarError(str(exc)) from None
