"""UnixFS import byte-identical to Kubo's ``ipfs add`` (boxo's balanced layout).

Every parameter is pinned explicitly (Kubo warns that its implicit defaults may change):
fixed 262,144-byte chunks read like ``io.ReadFull`` (the last one shorter), at most 174 links per
node, sha2-256. CIDv0 uses dag-pb leaves; CIDv1 switches raw leaves on (as ``--cid-version=1``)
unless ``raw_leaves=False``. A one-chunk file is its own root; an empty file is one empty leaf.

The builder is incremental: it holds one chunk and at most ``max_links`` links per tree level,
so memory stays bounded whatever the file size, and the root CID is known when the last byte
arrives. Blocks go to a sink as soon as they are made; :meth:`FileBuilder.read_from` reads a file
object straight into a sink that offers room (the store's staging pack), so a chunk is hashed where
it is stored and never copied.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import BinaryIO, Protocol

from ._cid import CID, DAG_PB, RAW, encode_varint
from ._dagpb import UNIXFS_DIRECTORY, UNIXFS_FILE, Link, UnixFSData, encode_pbnode, encode_unixfs

__all__ = ["BlockSink", "FileBuilder", "ImportParams", "NodeRef", "build_directory", "import_stream"]

CHUNK_SIZE = 262_144
MAX_LINKS = 174


@dataclass(frozen=True, slots=True)
class ImportParams:
    """What ``ipfs add`` would be told: ``--cid-version``, ``--raw-leaves``, chunker, max links."""

    cid_version: int = 0
    raw_leaves: bool | None = None
    chunk_size: int = CHUNK_SIZE
    max_links: int = MAX_LINKS

    def __post_init__(self) -> None:
        if self.cid_version not in (0, 1):
            raise ValueError("cid_version must be 0 or 1")
        if self.chunk_size < 1 or self.max_links < 2:
            raise ValueError("chunk_size must be ≥ 1 and max_links ≥ 2")

    @property
    def use_raw_leaves(self) -> bool:
        return self.cid_version == 1 if self.raw_leaves is None else self.raw_leaves


@dataclass(frozen=True, slots=True)
class NodeRef:
    """A built node: its CID, the file bytes below it, and its whole DAG's size (link Tsize)."""

    cid: CID
    filesize: int
    tsize: int


class Readable(Protocol):
    def readinto(self, buffer: memoryview, /) -> int | None: ...


class BlockSink(Protocol):
    def put(self, cid: CID, parts: Sequence[bytes | memoryview]) -> None:
        """Store the block ``b"".join(parts)`` under ``cid``."""


class _NoSink:
    def put(self, cid: CID, parts: Sequence[bytes | memoryview]) -> None:
        return None


class FileBuilder:
    """Feed bytes in any pieces; ``finish()`` returns the root. One builder builds one file."""

    def __init__(self, params: ImportParams | None = None, sink: BlockSink | None = None) -> None:
        self.params = params or ImportParams()
        self.sink: BlockSink = sink or _NoSink()
        self._buffer = bytearray()
        self._levels: list[list[NodeRef]] = [[]]
        self._leaves = 0
        self.size = 0

    def feed(self, data: bytes | memoryview) -> None:
        self.size += len(data)
        size = self.params.chunk_size
        view = memoryview(data)
        if self._buffer:
            need = size - len(self._buffer)
            self._buffer += view[:need]
            view = view[need:]
            if len(self._buffer) < size:
                return
            self._leaf(bytes(self._buffer))
            self._buffer.clear()
        while len(view) >= size:
            self._leaf(view[:size])
            view = view[size:]
        self._buffer += view

    def finish(self) -> NodeRef:
        if self._buffer or self._leaves == 0:
            self._leaf(bytes(self._buffer))
            self._buffer.clear()
        if self._leaves == 1 and len(self._levels) == 1:
            return self._levels[0][0]
        depth, capacity = 1, self.params.max_links
        while capacity < self._leaves:
            capacity *= self.params.max_links
            depth += 1
        for level in range(depth):
            if level < len(self._levels) and self._levels[level]:
                pending, self._levels[level] = self._levels[level], []
                self._push(level + 1, self._node(pending))
        (root,) = self._levels[depth]
        return root

    def _push(self, level: int, ref: NodeRef) -> None:
        while len(self._levels) <= level:
            self._levels.append([])
        siblings = self._levels[level]
        siblings.append(ref)
        if len(siblings) == self.params.max_links:
            self._levels[level] = []
            self._push(level + 1, self._node(siblings))

    def read_from(self, stream: Readable, admit: Callable[[int], None] | None = None) -> None:
        """Read a binary file object to its end (``admit(count)`` may refuse each chunk read, by
        raising, before it is used). Where the sink offers slots (a staging pack,
        :meth:`StagingSink.slot`), each chunk is read straight into the pack's buffer and hashed
        there: the chunk is never copied in memory."""
        size = self.params.chunk_size
        slot = getattr(self.sink, "slot", None)
        prefix, suffix = self._framing(size)
        cid_length = len(CID(1 if self.params.use_raw_leaves else self.params.cid_version, DAG_PB, bytes(32)).to_bytes())
        before = 0 if slot is None else self.sink.framing(cid_length, len(prefix) + size + len(suffix)) + len(prefix)  # type: ignore[attr-defined]
        if slot is None or self._buffer or before + size > getattr(self.sink, "slot_max", 0):
            buffer = memoryview(bytearray(size))
            while count := stream.readinto(buffer):
                if admit is not None:
                    admit(count)
                self.feed(buffer[:count])
            return
        while True:
            with slot(before, size) as view:
                count = 0
                while count < size and (more := stream.readinto(view[count:])):
                    count += more
                if not count:
                    return
                if admit is not None:
                    admit(count)
                self.size += count
                self._leaves += 1
                if count < size:  # the last chunk: its framing is smaller
                    prefix, suffix = self._framing(count)
                with view[:count] as chunk:
                    cid = self._leaf_cid(prefix, chunk, suffix)
                self.sink.put_slot(cid, prefix, count, suffix)  # type: ignore[attr-defined]
                self._push(0, NodeRef(cid, count, len(prefix) + count + len(suffix)))
            if count < size:
                return

    def _framing(self, length: int) -> tuple[bytes, bytes]:
        """What a leaf block holds before and after a chunk of ``length`` bytes."""
        if self.params.use_raw_leaves:
            return b"", b""
        if length:
            size = encode_varint(length)
            unixfs_length = 2 + 1 + len(size) + length + 1 + len(size)
            return b"\x0a" + encode_varint(unixfs_length) + b"\x08\x02\x12" + size, b"\x18" + size
        return b"\x0a\x04\x08\x02\x18\x00", b""  # an empty file: Type=File, filesize=0, no Data field

    def _leaf_cid(self, prefix: bytes, chunk: bytes | memoryview, suffix: bytes) -> CID:
        if self.params.use_raw_leaves:
            return CID(1, RAW, hashlib.sha256(chunk).digest())
        digest = hashlib.sha256(prefix)
        digest.update(chunk)
        digest.update(suffix)
        return CID(self.params.cid_version, DAG_PB, digest.digest())

    def _leaf(self, chunk: bytes | memoryview) -> None:
        self._leaves += 1
        length = len(chunk)
        prefix, suffix = self._framing(length)
        cid = self._leaf_cid(prefix, chunk, suffix)
        self.sink.put(cid, (prefix, chunk, suffix) if prefix or suffix else (chunk,))
        self._push(0, NodeRef(cid, length, len(prefix) + length + len(suffix)))

    def _node(self, children: Sequence[NodeRef]) -> NodeRef:
        filesize = sum(c.filesize for c in children)
        data = encode_unixfs(UnixFSData(UNIXFS_FILE, None, filesize, [c.filesize for c in children]))
        block = encode_pbnode([Link(c.cid, "", c.tsize) for c in children], data)
        cid = CID(self.params.cid_version, DAG_PB, hashlib.sha256(block).digest())
        self.sink.put(cid, (block,))
        return NodeRef(cid, filesize, len(block) + sum(c.tsize for c in children))


def import_stream(stream: BinaryIO | Iterable[bytes], params: ImportParams | None = None, sink: BlockSink | None = None) -> NodeRef:
    """Import a binary file object or an iterable of byte pieces; returns the root."""
    builder = FileBuilder(params, sink)
    if hasattr(stream, "readinto"):
        buffer = bytearray(builder.params.chunk_size)
        view = memoryview(buffer)
        while True:
            count = stream.readinto(view)
            if not count:
                break
            builder.feed(view[:count])
    else:
        for piece in stream:
            builder.feed(piece)
    return builder.finish()


def build_directory(entries: Mapping[str, NodeRef], params: ImportParams | None = None, sink: BlockSink | None = None) -> NodeRef:
    """A UnixFS directory as ``ipfs add -r`` builds it: links sorted by name, Tsize of each child DAG."""
    params = params or ImportParams()
    for name in entries:
        if not name or "/" in name or name in (".", ".."):
            raise ValueError(f"{name!r} is not a valid file name in a directory")
    ordered = sorted(entries.items(), key=lambda item: item[0].encode())
    block = encode_pbnode([Link(ref.cid, name, ref.tsize) for name, ref in ordered], encode_unixfs(UnixFSData(UNIXFS_DIRECTORY)))
    cid = CID(params.cid_version, DAG_PB, hashlib.sha256(block).digest())
    (sink or _NoSink()).put(cid, (block,))
    return NodeRef(cid, sum(ref.filesize for _, ref in ordered), len(block) + sum(ref.tsize for _, ref in ordered))
