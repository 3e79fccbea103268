"""The CID of a file without storing it (``ipfs add --only-hash``); the wallet CLI uses the same."""

from __future__ import annotations

import os

from ._cid import CID
from ._importer import ImportParams, import_stream

__all__ = ["cid_of_path"]


def cid_of_path(path: str | os.PathLike[str], *, cid_version: int = 0, raw_leaves: bool | None = None) -> CID:
    with open(path, "rb", buffering=0) as handle:
        return import_stream(handle, ImportParams(cid_version=cid_version, raw_leaves=raw_leaves)).cid
