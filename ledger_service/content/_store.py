"""The local content store: append-only pack files and an index, IPFS-compatible content.

Layout under the store's root (``DATA_DIR/content``):

- ``packs/<id>.pack``: one pack per add (:mod:`._staging` gives the format): every block of the
  add, appended, each framed like a CAR section;
- ``pins.sqlite3``: the index, ``blocks`` (multihash → pack, offset, length), ``packs`` (the
  committed packs and their sizes) and ``pins``, in one SQLite database so that an add's blocks
  and its pin are committed in one transaction;
- ``blocks/``: the former one-file-per-block layout (Kubo's flatfs names, sharded by the two
  characters before the last). A store written before packs is read as it is: a block is looked
  up in the index first, then there. Nothing is migrated at open (a large store would take
  minutes, and a migration is one more thing a crash could interrupt); new adds go to packs, and
  the garbage collector removes unreferenced block files as before.

An add, whatever its size, makes three syncs: the pack is written without syncing into its own
staging folder and made durable with one ``fdatasync``; it is renamed into ``packs/`` and the
folder synced; then its index rows (and its pin) are committed in one SQLite transaction (WAL,
``synchronous=FULL``; SQLite's occasional WAL checkpoint syncs too, not counted): that commit is the
commit point. A crash before it leaves either a
staging folder or a pack no row names; both are removed when the store is next opened (staging
first, then unnamed packs). A committed add is therefore whole (its bytes were durable before any
row named them), and nothing partial is ever visible. Every block read is hashed again: a block
whose pack is truncated, damaged or misindexed is reported with its CID and never served.

Why packs, measured (``bench/content_ingest.py``, 256 MiB of random data, ext4 on this machine,
load average 5-25 on 2 cores from other sessions): one file per block with one ``syncfs`` per add
reached ``store_ratio`` (sha256's time over the same bytes / the add's) 0.08-0.25; creating,
renaming and syncing 1,024 files cost more than hashing them. A pack per add written with
``O_DIRECT`` reached about 0.6, and 0.75-0.8 at load average 1 once each chunk was read straight
into the pack's buffers (:mod:`._staging` has the A/B runs that chose how it is written and where
the rest of the time goes); the index transaction is 3-20 ms of it. The index is SQLite rather than a sorted file per pack
because a read must find a block among all adds without opening every pack's index, and an add's
pin commits with its blocks.

The garbage collector keeps what a pin or ``keep`` reaches. A pack none of whose indexed blocks
is live is deleted. A partly live pack is rewritten (its live blocks copied into a new pack,
synced, renamed in, the index switched over in one transaction, then the old pack deleted) when
its live blocks fill less than half of it; otherwise it is kept as it is and only the index rows
of its dead blocks are removed (those blocks are no longer served; their bytes go when a later
collection rewrites or deletes the pack). A crash during a collection leaves at most an unnamed
pack, removed at the next open. Within a process, adds and collections take turns (the store's
lock); a shared lock on ``lock`` keeps a second process that opens the store from sweeping the
first one's staging and fresh packs, and collections only delete index rows of the packs they
looked at, but a collection in one process is not coordinated with an add in another that reuses
a block the collection finds dead: run collections where the adds are (the registry has one).
"""

from __future__ import annotations

import asyncio
import base64
import fcntl
import hashlib
import os
import shutil
import threading
import time
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
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
from ._importer import FileBuilder, ImportParams, NodeRef, Readable, build_directory
from ._staging import StagingSink, block_key, read_at, sync_folder

__all__ = ["DEFAULT_MAX_SIZE", "Adder", "BlockLocation", "GcReport", "LocalContentStore"]

DEFAULT_MAX_SIZE = 2 * 1024**3
_ASYNC_BATCH = 1024 * 1024  # hand uploads to the disk thread a mebibyte at a time

_SCHEMA = """
BEGIN;
CREATE TABLE IF NOT EXISTS pins (cid TEXT PRIMARY KEY, pinned_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS packs (id TEXT PRIMARY KEY, size INTEGER NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS blocks (
    multihash BLOB PRIMARY KEY, codec INTEGER NOT NULL, pack TEXT NOT NULL, offset INTEGER NOT NULL, length INTEGER NOT NULL
) WITHOUT ROWID;
COMMIT;
"""  # one transaction: a new store's tables cost one sync, not one each


@dataclass(frozen=True, slots=True)
class GcReport:
    removed_blocks: int
    freed_bytes: int


@dataclass(frozen=True, slots=True)
class BlockLocation:
    """Where a block's bytes are: a file, and the block's offset and length in it."""

    path: Path
    offset: int
    length: int


class Adder:
    """One streaming add: ``feed`` pieces, then ``commit`` (or ``abort``). Size limits enforced."""

    def __init__(self, store: LocalContentStore, params: ImportParams, *, expected_size: int | None, pin: bool) -> None:
        self.store = store
        self.expected_size = expected_size
        self.pin = pin
        limit = store.max_size
        if expected_size is not None and expected_size > limit:
            raise ContentTooLargeError(f"{expected_size} bytes is over the limit of {limit} bytes")
        self._sink = store._staging_sink()
        self._builder = FileBuilder(params, self._sink)
        self._done = False

    @property
    def size(self) -> int:
        return self._builder.size

    def feed(self, data: bytes | memoryview) -> None:
        self._admit(len(data))
        self._builder.feed(data)

    def read(self, stream: Readable) -> None:
        """Feed a binary file object to its end, each chunk read straight into the staging pack."""
        self._builder.read_from(stream, self._admit)

    def _admit(self, count: int) -> None:
        if self._builder.size + count > self.store.max_size:
            self.abort()
            raise ContentTooLargeError(f"the content is over the limit of {self.store.max_size} bytes")
        if self.expected_size is not None and self._builder.size + count > self.expected_size:
            self.abort()
            raise TruncatedContentError(f"more bytes arrived than the declared {self.expected_size}")

    def commit(self) -> NodeRef:
        if self.expected_size is not None and self._builder.size != self.expected_size:
            self.abort()
            raise TruncatedContentError(f"the upload ended after {self._builder.size} of {self.expected_size} bytes; nothing was stored")
        try:
            root = self._builder.finish()
            self.store._commit(self._sink, [root.cid] if self.pin else [])
        finally:
            self.abort()
        return root

    def abort(self) -> None:
        if not self._done:
            self._sink.discard()
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
        self.blocks_dir = self.root / "blocks"  # the one-file-per-block layout, read for stores written before packs
        self.packs_dir = self.root / "packs"
        self.staging_dir = self.root / "staging"
        self.packs_dir.mkdir(parents=True, exist_ok=True)
        self.staging_dir.mkdir(exist_ok=True)
        self._lock = threading.RLock()
        self.syncs = 0  # durable syncs made by adds (a benchmark reads it: per add, not per block)
        self._db = open_durable(self.root / "pins.sqlite3", _SCHEMA)
        # Block lookups have a connection of their own, so reads go on while a collection holds the store's lock.
        self._reads = open_durable(self.root / "pins.sqlite3", "")
        self._read_lock = threading.Lock()
        self._lock_fd = os.open(self.root / "lock", os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o644)
        try:
            fcntl.flock(self._lock_fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            pass  # another process has the store open: its staging and fresh packs are not leftovers
        else:
            self._sweep()
        fcntl.flock(self._lock_fd, fcntl.LOCK_SH)

    def close(self) -> None:
        self._db.close()
        self._reads.close()
        if self._lock_fd >= 0:
            os.close(self._lock_fd)  # releases the lock
            self._lock_fd = -1

    def _sweep(self) -> None:
        """Remove what crashed adds and collections left: staging folders, then packs no index row names."""
        for leftover in self.staging_dir.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)
        committed = {row[0] for row in self._db.execute("SELECT id FROM packs")}
        for path in self.packs_dir.iterdir():
            if path.suffix != ".pack" or path.stem not in committed:
                path.unlink()

    # Blocks...

    def _path(self, cid: CID) -> Path:
        key = block_key(cid)
        return self.blocks_dir / key[-3:-1] / key

    def _pack_path(self, pack: str) -> Path:
        return self.packs_dir / f"{pack}.pack"

    def _indexed(self, multihash: bytes) -> tuple[str, int, int] | None:
        with self._read_lock:
            row = self._reads.execute("SELECT pack, offset, length FROM blocks WHERE multihash = ?", (multihash,)).fetchone()
        return None if row is None else (row[0], row[1], row[2])

    def locate(self, cid: CID) -> BlockLocation | None:
        """Where the block is stored (a pack, or a block file of the former layout), or None."""
        where = self._indexed(cid.multihash)
        if where is not None:
            return BlockLocation(self._pack_path(where[0]), where[1], where[2])
        path = self._path(cid)
        if path.is_file():
            return BlockLocation(path, 0, path.stat().st_size)
        return None

    def has_block(self, cid: CID) -> bool:
        return self._indexed(cid.multihash) is not None or self._path(cid).is_file()

    def get_block(self, cid: CID) -> bytes:
        """The block's bytes, verified against its CID."""
        for _ in range(3):  # a collection may move the block between the lookup and the read
            where = self._indexed(cid.multihash)
            if where is None:
                return self._get_file_block(cid)
            pack, offset, length = where
            path = self._pack_path(pack)
            try:
                descriptor = os.open(path, os.O_RDONLY)
            except FileNotFoundError:
                if self._indexed(cid.multihash) != where:
                    continue
                raise ContentCorruptedError(f"block {cid} is indexed in {path}, which is missing; it is not served") from None
            try:
                block = read_at(descriptor, offset, length)
            except ContentCorruptedError as exc:
                raise ContentCorruptedError(f"block {cid} is damaged on disk: {exc} ({path}); it is not served") from None
            finally:
                os.close(descriptor)
            if hashlib.sha256(block).digest() != cid.digest:
                raise ContentCorruptedError(f"block {cid} is corrupted on disk ({path} at {offset}); it is not served")
            return block
        raise ContentCorruptedError(f"block {cid} kept moving while it was read")

    def _get_file_block(self, cid: CID) -> bytes:
        path = self._path(cid)
        try:
            block = path.read_bytes()
        except FileNotFoundError:
            raise ContentNotFoundError(f"block {cid} is not in the store") from None
        if hashlib.sha256(block).digest() != cid.digest:
            raise ContentCorruptedError(f"block {cid} is corrupted on disk ({path}); it is not served")
        return block

    def block_keys(self) -> list[str]:
        """Every stored block's key (its multihash in base32, as flatfs names files), both layouts, sorted."""
        with self._lock:
            indexed = {_key_of(multihash) for (multihash,) in self._db.execute("SELECT multihash FROM blocks")}
        files = {path.name for path in self.blocks_dir.glob("*/*")} if self.blocks_dir.is_dir() else set()
        return sorted(indexed | files)

    def _staging_sink(self) -> StagingSink:
        return StagingSink(self.staging_dir / uuid.uuid4().hex)

    def _commit(self, sink: StagingSink, pins: Sequence[CID] = ()) -> None:
        """Make a finished add durable and visible: sync its pack, rename it into ``packs/`` and
        sync the folder, then commit its index rows and pins in one transaction (the commit point)."""
        sink.make_durable()
        sink.close()
        pack = uuid.uuid4().hex
        target = self._pack_path(pack)
        with self._lock:
            os.replace(sink.path, target)
            sync_folder(self.packs_dir)
            try:
                fresh = self._index_pack(pack, sink.size, sink, pins)
            except BaseException:
                target.unlink(missing_ok=True)
                raise
            self.syncs += 3
            if not fresh:  # every block was stored already (the same file again): the pack holds nothing new
                self._drop_packs([pack], [])
                self.syncs += 1

    def _rows(self, pack: str, sink: StagingSink) -> Iterator[tuple[bytes, int, str, int, int]]:
        for cid in sink.order:
            offset, length = sink.entries[cid.multihash]
            yield cid.multihash, cid.codec, pack, offset, length

    def _index_pack(self, pack: str, size: int, sink: StagingSink, pins: Sequence[CID]) -> int:
        """One transaction: the pack, its blocks (a block stored before keeps its place) and the
        pins; returns how many blocks were new."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.execute("INSERT INTO packs (id, size, created_at) VALUES (?, ?, ?)", (pack, size, time.time()))
            before = self._db.total_changes
            self._db.executemany("INSERT OR IGNORE INTO blocks VALUES (?, ?, ?, ?, ?)", self._rows(pack, sink))
            fresh = self._db.total_changes - before
            now = time.time()
            self._db.executemany("INSERT OR IGNORE INTO pins (cid, pinned_at) VALUES (?, ?)", ((str(cid), now) for cid in pins))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return fresh

    def _drop_packs(self, packs: Sequence[str], rows: Sequence[tuple[bytes, str]]) -> None:
        """Forget packs and the index rows of their blocks (one transaction), then delete their files."""
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("DELETE FROM blocks WHERE multihash = ? AND pack = ?", rows)
            self._db.executemany("DELETE FROM packs WHERE id = ?", ((pack,) for pack in packs))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        for pack in packs:
            self._pack_path(pack).unlink(missing_ok=True)

    def _commit_block(self, cid: CID, block: bytes) -> None:
        """Store one verified block (through a staging pack, like an add)."""
        if hashlib.sha256(block).digest() != cid.digest:
            raise ContentCorruptedError(f"refusing block that does not match {cid}")
        sink = self._staging_sink()
        try:
            sink.put(cid, (block,))
            self._commit(sink)
        finally:
            sink.discard()

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
                adder.read(stream)  # type: ignore[arg-type]
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
        sink = self._staging_sink()
        try:
            root = build_directory(entries, params or self.params, sink)
            self._commit(sink, [root.cid] if pin else [])
        finally:
            sink.discard()
        return root

    def bundle_adder(self, params: ImportParams | None = None) -> BundleAdder:
        """Stage a bundle's parts; its commit stores them and pins the root, all at once."""
        return BundleAdder(
            self._staging_sink(),
            params or self.params,
            max_size=self.max_size,
            commit=lambda staged, root: self._commit(staged, [root.cid]),
        )

    # Pins and garbage collection...

    def pin(self, cid: CID) -> None:
        with self._lock:
            self._db.execute("INSERT OR IGNORE INTO pins (cid, pinned_at) VALUES (?, ?)", (str(cid), time.time()))

    def unpin(self, cid: CID) -> None:
        with self._lock:
            self._db.execute("DELETE FROM pins WHERE cid = ?", (str(cid),))

    def pins(self) -> list[CID]:
        with self._lock:
            return [CID.parse(row[0]) for row in self._db.execute("SELECT cid FROM pins ORDER BY cid")]

    def gc(self, keep: Iterable[CID] = ()) -> GcReport:
        """Remove every block not reachable from a pin or from ``keep`` (e.g. registered resources).

        A pack with no live block is deleted; a pack whose live blocks fill less than half of it is
        rewritten with only those; any other keeps its bytes and loses the index rows of its dead blocks."""
        with self._lock:
            live: set[bytes] = set()
            for root in [*self.pins(), *keep]:
                try:
                    live.update(cid.multihash for cid, _ in self.walk(root))
                except ContentNotFoundError:
                    continue
            rows: dict[str, list[tuple[bytes, int, int, int]]] = {}
            self._db.execute("BEGIN")  # the blocks and the packs as of one moment
            try:
                for multihash, codec, pack, offset, length in self._db.execute("SELECT multihash, codec, pack, offset, length FROM blocks"):
                    rows.setdefault(pack, []).append((multihash, codec, offset, length))
                sizes = self._db.execute("SELECT id, size FROM packs").fetchall()
            finally:
                self._db.execute("COMMIT")
            removed = freed = 0
            unused: list[str] = []
            unused_rows: list[tuple[bytes, str]] = []
            for pack, size in sizes:
                held = rows.get(pack, [])
                alive = [row for row in held if row[0] in live]
                dead = [row[0] for row in held if row[0] not in live]
                if not alive:
                    unused.append(pack)
                    unused_rows.extend((multihash, pack) for multihash in dead)
                    removed += len(dead)
                    freed += size
                elif 2 * sum(row[3] for row in alive) < size:
                    new_size = self._rewrite(pack, alive, dead)
                    if new_size is not None:
                        removed += len(dead)
                        freed += size - new_size
                elif dead:
                    self._forget(dead, pack)
                    removed += len(dead)
            if unused:
                self._drop_packs(unused, unused_rows)
            if self.blocks_dir.is_dir():
                for path in self.blocks_dir.glob("*/*"):
                    if _multihash_of_key(path.name) not in live:
                        freed += path.stat().st_size
                        path.unlink()
                        removed += 1
            return GcReport(removed, freed)

    def _forget(self, dead: Sequence[bytes], pack: str) -> None:
        self._db.execute("BEGIN IMMEDIATE")
        try:
            self._db.executemany("DELETE FROM blocks WHERE multihash = ? AND pack = ?", ((multihash, pack) for multihash in dead))
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise

    def _rewrite(self, pack: str, alive: Sequence[tuple[bytes, int, int, int]], dead: Sequence[bytes]) -> int | None:
        """Copy a pack's live blocks (verified) into a new pack and switch the index over; None (the
        pack kept as it is) if a live block cannot be read intact."""
        sink = self._staging_sink()
        try:
            descriptor = os.open(self._pack_path(pack), os.O_RDONLY)
            try:
                for multihash, codec, offset, length in alive:
                    block = read_at(descriptor, offset, length)
                    if hashlib.sha256(block).digest() != multihash[2:]:
                        return None
                    sink.put(CID(1, codec, multihash[2:]), (block,))
            except ContentCorruptedError:
                return None
            finally:
                os.close(descriptor)
            sink.make_durable()
            sink.close()
            fresh = uuid.uuid4().hex
            os.replace(sink.path, self._pack_path(fresh))
            sync_folder(self.packs_dir)
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("INSERT INTO packs (id, size, created_at) VALUES (?, ?, ?)", (fresh, sink.size, time.time()))
                self._db.executemany(
                    "UPDATE blocks SET pack = ?, offset = ? WHERE multihash = ? AND pack = ?",
                    ((fresh, sink.entries[multihash][0], multihash, pack) for multihash, *_ in alive),
                )
                self._db.executemany("DELETE FROM blocks WHERE multihash = ? AND pack = ?", ((multihash, pack) for multihash in dead))
                self._db.execute("DELETE FROM packs WHERE id = ?", (pack,))
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                self._pack_path(fresh).unlink(missing_ok=True)
                raise
            self._pack_path(pack).unlink(missing_ok=True)
            return sink.size
        finally:
            sink.discard()

    # CAR...

    def import_car(self, stream: BinaryIO, *, pin: bool = True) -> list[CID]:
        """Import a CAR; every block is verified and every root's DAG must be complete, or nothing is kept."""
        sink = self._staging_sink()
        try:
            roots, sections = read_car(stream)
            for cid, block in sections:
                if hashlib.sha256(block).digest() != cid.digest:
                    raise InvalidCarError(f"block {cid} in the CAR does not match its CID")
                sink.put(cid, (block,))
            for root in roots:
                self._check_complete(root, sink)
            self._commit(sink, roots if pin else [])
        finally:
            sink.discard()
        return roots

    def _check_complete(self, root: CID, sink: StagingSink) -> None:
        stack, seen = [root], set()
        while stack:
            cid = stack.pop()
            if cid.multihash in seen:
                continue
            seen.add(cid.multihash)
            if sink.has(cid):
                block = sink.read(cid)
            elif self.has_block(cid):
                block = self.get_block(cid)
            else:
                raise InvalidCarError(f"the CAR lacks block {cid} (reachable from root {root})")
            if cid.codec != RAW:
                try:
                    stack.extend(link.cid for link in decode_pbnode(block, cid=cid).links)
                except ContentCorruptedError as exc:
                    raise InvalidCarError(str(exc)) from None


def _key_of(multihash: bytes) -> str:
    return base64.b32encode(multihash).decode().rstrip("=")


def _multihash_of_key(key: str) -> bytes:
    try:
        return base64.b32decode(key + "=" * (-len(key) % 8))
    except ValueError:
        return b""
