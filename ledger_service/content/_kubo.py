"""The content store over a Kubo node's RPC API (production: ``EDULEDGER_IPFS_API=/ip4/…/tcp/5001``).

Why httpx and not ``ipfshttpclient``: ipfshttpclient's ``connect()`` refuses every Kubo newer than
0.7 by its version check, and the project is unmaintained; the RPC API is plain HTTP POSTs, so a
thin client over httpx (already a dependency) is smaller and keeps streaming under our control.
Every add passes the import parameters explicitly (Kubo warns its implicit defaults may change),
so Kubo computes the same CIDs as :class:`LocalContentStore`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from typing import Any, BinaryIO

import httpx

from .._exceptions import (
    ContentBackendError,
    ContentCorruptedError,
    ContentNotFoundError,
    InvalidCarError,
    InvalidCIDError,
)
from ._cid import CID
from ._importer import ImportParams, NodeRef

__all__ = ["KuboContentStore", "kubo_api_url"]

_MULTIADDR = re.compile(r"^/(ip4|ip6|dns4|dns6|dns)/([^/]+)/tcp/(\d+)(/https?)?$")


def kubo_api_url(address: str) -> str:
    """``/ip4/127.0.0.1/tcp/5001`` (a multiaddr) or an http(s) URL → the ``/api/v0`` base URL."""
    if address.startswith(("http://", "https://")):
        return address.rstrip("/") + "/api/v0"
    match = _MULTIADDR.match(address)
    if not match:
        raise ValueError(f"EDULEDGER_IPFS_API must be a multiaddr like /ip4/127.0.0.1/tcp/5001, got {address!r}")
    proto, host, port, scheme = match.groups()
    host = f"[{host}]" if proto == "ip6" else host
    return f"{(scheme or '/http')[1:]}://{host}:{port}/api/v0"


class KuboContentStore:
    """Same operations as :class:`LocalContentStore`, carried out by a Kubo node."""

    def __init__(self, address: str, *, params: ImportParams | None = None, timeout: float = 300.0) -> None:
        self.base = kubo_api_url(address)
        self.params = params or ImportParams()
        self._client = httpx.Client(timeout=timeout)

    def close(self) -> None:
        self._client.close()

    def _post(self, command: str, *, params: dict[str, Any] | None = None, **kwargs: Any) -> httpx.Response:
        try:
            response = self._client.post(f"{self.base}/{command}", params=params, **kwargs)
        except httpx.TransportError as exc:
            raise ContentBackendError(f"the IPFS node at {self.base} does not answer ({type(exc).__name__})") from exc
        if response.status_code != 200:
            message = response.text[:300]
            try:
                message = response.json().get("Message", message)
            except ValueError:
                pass
            if "not found" in message.lower() or "no link named" in message.lower():
                raise ContentNotFoundError(f"{command}: {message}")
            raise ContentBackendError(f"the IPFS node refused {command}: {message}")
        return response

    def _add_params(self, params: ImportParams, *, pin: bool) -> dict[str, Any]:
        return {
            "cid-version": params.cid_version,
            "raw-leaves": str(params.use_raw_leaves).lower(),
            "chunker": f"size-{params.chunk_size}",
            "hash": "sha2-256",
            "pin": str(pin).lower(),
            "trickle": "false",
            "progress": "false",
        }

    def add(
        self, stream: BinaryIO | Iterable[bytes], params: ImportParams | None = None, *,
        expected_size: int | None = None, pin: bool = False,
    ) -> NodeRef:
        params = params or self.params
        if params.max_links != 174:
            raise ValueError("Kubo's RPC add does not take a max-links parameter; only 174 is reproducible")
        body = stream if hasattr(stream, "read") else _IterReader(iter(stream))
        response = self._post("add", params=self._add_params(params, pin=pin), files={"file": ("file", body)})
        last = json.loads(response.text.strip().splitlines()[-1])
        size = int(last.get("Size", 0))
        return NodeRef(CID.parse(last["Hash"]), size, size)

    def get_block(self, cid: CID) -> bytes:
        block = self._post("block/get", params={"arg": str(cid), "offline": "true"}).content
        import hashlib

        if hashlib.sha256(block).digest() != cid.digest:
            raise ContentCorruptedError(f"the IPFS node returned a block that does not match {cid}")
        return block

    def has_block(self, cid: CID) -> bool:
        try:
            self._post("block/stat", params={"arg": str(cid), "offline": "true"})
        except ContentNotFoundError:
            return False
        return True

    def cat(self, cid: CID, offset: int = 0, length: int | None = None) -> Iterator[bytes]:
        params: dict[str, Any] = {"arg": str(cid), "offset": offset}
        if length is not None:
            params["length"] = length
        yield self._post("cat", params=params).content

    def pin(self, cid: CID) -> None:
        self._post("pin/add", params={"arg": str(cid)})

    def unpin(self, cid: CID) -> None:
        self._post("pin/rm", params={"arg": str(cid)})

    def export_car(self, cid: CID) -> Iterator[bytes]:
        yield self._post("dag/export", params={"arg": str(cid)}).content

    def import_car(self, stream: BinaryIO, *, pin: bool = True) -> list[CID]:
        response = self._post("dag/import", params={"pin-roots": str(pin).lower()}, files={"file": ("car", stream)})
        roots = []
        for line in response.text.strip().splitlines():
            item = json.loads(line)
            if "Root" in item:
                try:
                    roots.append(CID.parse(item["Root"]["Cid"]["/"]))
                except (KeyError, InvalidCIDError) as exc:
                    raise InvalidCarError(f"the IPFS node reported an unreadable root: {item}") from exc
        return roots


class _IterReader:
    """A file-like view of an iterator of byte pieces, for a streamed multipart upload."""

    def __init__(self, pieces: Iterator[bytes]) -> None:
        self._pieces = pieces
        self._buffer = b""

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self._buffer += piece
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data
