"""A staging area for the blocks of one add: written and fsynced, invisible until committed."""

from __future__ import annotations

import base64
import os
from collections.abc import Sequence
from pathlib import Path

from ._cid import CID

__all__ = ["StagingSink", "block_key"]


def block_key(cid: CID) -> str:
    """A block's file name: its multihash in base32, as Kubo's flatfs names it."""
    return base64.b32encode(cid.multihash).decode().rstrip("=")


class StagingSink:
    """Writes an add's blocks into its own folder, fsyncing each; remembers their order."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        folder.mkdir(parents=True)
        self.order: list[CID] = []
        self.bytes = 0

    def put(self, cid: CID, parts: Sequence[bytes | memoryview]) -> None:
        path = self.folder / block_key(cid)
        if path.exists():
            return
        with open(path, "wb") as handle:
            for part in parts:
                handle.write(part)
                self.bytes += len(part)
            handle.flush()
            os.fsync(handle.fileno())
        self.order.append(cid)

    def read(self, cid: CID) -> bytes:
        return (self.folder / block_key(cid)).read_bytes()
