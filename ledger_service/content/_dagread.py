"""Reading UnixFS DAGs block by block, every block verified: shared by the local and Kubo stores."""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass

from .._exceptions import ContentCorruptedError, ContentNotFoundError
from ._car import car_header, car_section
from ._cid import CID, RAW
from ._dagpb import UNIXFS_DIRECTORY, UNIXFS_FILE, UNIXFS_RAW, decode_pbnode, decode_unixfs

__all__ = ["ContentStat", "DagReader"]


@dataclass(frozen=True, slots=True)
class ContentStat:
    cid: CID
    kind: str  # "file", "directory" or "raw"
    size: int  # file bytes (for a directory: the sum of its entries' DAG sizes)
    block_size: int


class DagReader(ABC):
    """stat, walk, has, cat and CAR export over ``get_block`` (which must verify the hash)."""

    @abstractmethod
    def get_block(self, cid: CID) -> bytes:
        """The block's bytes, verified against ``cid``; :class:`ContentNotFoundError` if absent."""

    @abstractmethod
    def has_block(self, cid: CID) -> bool:
        """Whether the block is stored."""

    def stat(self, cid: CID) -> ContentStat:
        block = self.get_block(cid)
        if cid.codec == RAW:
            return ContentStat(cid, "raw", len(block), len(block))
        node = decode_pbnode(block, cid=cid)
        unixfs = decode_unixfs(node.data or b"")
        if unixfs.type == UNIXFS_DIRECTORY:
            return ContentStat(cid, "directory", sum(link.tsize for link in node.links), len(block))
        if unixfs.type in (UNIXFS_FILE, UNIXFS_RAW):
            size = unixfs.filesize if unixfs.filesize is not None else len(unixfs.data or b"")
            return ContentStat(cid, "file", size, len(block))
        raise ContentCorruptedError(f"{cid} has UnixFS type {unixfs.type}, which this store does not serve")

    def has(self, cid: CID) -> bool:
        """Whether the whole DAG under ``cid`` is stored (every block present)."""
        try:
            for _ in self.walk(cid):
                pass
        except ContentNotFoundError:
            return False
        return True

    def walk(self, cid: CID) -> Iterator[tuple[CID, bytes]]:
        """Every block of the DAG, depth-first, root first (the order CAR export uses)."""
        stack = [cid]
        seen: set[bytes] = set()
        while stack:
            current = stack.pop()
            if current.multihash in seen:
                continue
            seen.add(current.multihash)
            block = self.get_block(current)
            yield current, block
            if current.codec != RAW:
                stack.extend(reversed([link.cid for link in decode_pbnode(block, cid=current).links]))

    def cat(self, cid: CID, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        """The file's bytes from ``offset`` (``length`` of them, or to the end), block by block."""
        stat = self.stat(cid)
        if stat.kind == "directory":
            raise ContentNotFoundError(f"{cid} is a directory, not a file")
        if offset < 0 or (length is not None and length < 0):
            raise ValueError("offset and length must not be negative")
        end = stat.size if length is None else min(stat.size, offset + length)
        if offset >= end:
            return iter(())
        return self._read(cid, offset, end)

    def _read(self, cid: CID, start: int, end: int) -> Iterator[bytes]:
        block = self.get_block(cid)
        if cid.codec == RAW:
            yield block[start:end]
            return
        node = decode_pbnode(block, cid=cid)
        unixfs = decode_unixfs(node.data or b"")
        position = 0
        if unixfs.data:
            if start < len(unixfs.data):
                yield unixfs.data[start:end]
            position = len(unixfs.data)
        if len(unixfs.blocksizes) != len(node.links):
            raise ContentCorruptedError(f"{cid}: {len(node.links)} links but {len(unixfs.blocksizes)} block sizes")
        for link, size in zip(node.links, unixfs.blocksizes, strict=True):
            if position + size > start and position < end:
                yield from self._read(link.cid, max(0, start - position), min(size, end - position))
            position += size
            if position >= end:
                return

    def export_car(self, cid: CID) -> Iterator[bytes]:
        """The whole DAG as a CAR v1 stream (header, then blocks depth-first)."""
        self.get_block(cid)  # fail before the first byte if the root is missing
        yield car_header([cid])
        for block_cid, block in self.walk(cid):
            yield car_section(block_cid, block)
