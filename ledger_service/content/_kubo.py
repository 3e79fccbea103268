"""The content store over a Kubo node's RPC API (production: ``EDULEDGER_IPFS_API=/ip4/…/tcp/5001``).

Why httpx and not ``ipfshttpclient``: ipfshttpclient's ``connect()`` refuses every Kubo newer than
0.7 by its version check, and the project is unmaintained; the RPC API is plain HTTP POSTs, so a
thin client over httpx (already a dependency) is smaller and keeps streaming under our control.
Every add passes the import parameters explicitly (Kubo warns its implicit defaults may change),
so Kubo computes the same CIDs as :class:`LocalContentStore`.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import re
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any, BinaryIO

import httpx

from .._exceptions import (
    ContentBackendError,
    ContentCorruptedError,
    ContentNotFoundError,
    ContentTooLargeError,
    InvalidCarError,
    InvalidCIDError,
    TruncatedContentError,
)
from ._bundle_add import BundleAdder
from ._cid import CID, RAW
from ._dagread import DagReader
from ._importer import MAX_LINKS, ImportParams, NodeRef, build_directory
from ._staging import StagingSink
from ._store import DEFAULT_MAX_SIZE

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


class KuboContentStore(DagReader):
    """The operations of :class:`LocalContentStore`, carried out by a Kubo node.

    Reads go block by block through ``block/get`` and are verified here, so a misbehaving node
    cannot serve wrong bytes; adds stream to ``add`` with every import parameter pinned.
    """

    def __init__(
        self, address: str, *, params: ImportParams | None = None, max_size: int = DEFAULT_MAX_SIZE, timeout: float = 300.0
    ) -> None:
        self.base = kubo_api_url(address)
        self.params = params or ImportParams()
        self.max_size = max_size
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

    # Blocks...

    def get_block(self, cid: CID) -> bytes:
        block = self._post("block/get", params={"arg": str(cid), "offline": "true"}).content
        if hashlib.sha256(block).digest() != cid.digest:
            raise ContentCorruptedError(f"the IPFS node returned a block that does not match {cid}; it is not served")
        return block

    def has_block(self, cid: CID) -> bool:
        try:
            self._post("block/stat", params={"arg": str(cid), "offline": "true"})
        except ContentNotFoundError:
            return False
        return True

    def _put_block(self, cid: CID, block: bytes) -> None:
        codec = "raw" if cid.codec == RAW else "dag-pb"
        answer = self._post(
            "block/put", params={"cid-codec": codec, "mhtype": "sha2-256", "pin": "false"}, files={"data": ("block", block)}
        ).json()
        if CID.parse(answer["Key"]).multihash != cid.multihash:
            raise ContentBackendError(f"the IPFS node stored block {cid} under {answer['Key']}")

    # Adding...

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
        self,
        stream: BinaryIO | Iterable[bytes],
        params: ImportParams | None = None,
        *,
        expected_size: int | None = None,
        pin: bool = False,
    ) -> NodeRef:
        params = params or self.params
        if params.max_links != MAX_LINKS:
            raise ValueError("Kubo's RPC add takes no max-links parameter; only 174 is reproducible")
        if expected_size is not None and expected_size > self.max_size:
            raise ContentTooLargeError(f"{expected_size} bytes is over the limit of {self.max_size} bytes")
        pieces: Iterator[bytes] = _read_pieces(stream) if hasattr(stream, "read") else iter(stream)  # type: ignore[arg-type]
        body = _LimitedReader(pieces, self.max_size, expected_size)
        response = self._post("add", params=self._add_params(params, pin=pin), files={"file": ("file", body)})
        body.check_complete()
        last = json.loads(response.text.strip().splitlines()[-1])
        return NodeRef(CID.parse(last["Hash"]), body.count, int(last.get("Size", body.count)))

    async def add_async(
        self,
        pieces: AsyncIterator[bytes],
        params: ImportParams | None = None,
        *,
        expected_size: int | None = None,
        pin: bool = False,
    ) -> NodeRef:
        """Spool the upload (memory first, disk past 1 MiB), then stream it to the node."""
        with tempfile.SpooledTemporaryFile(max_size=1 << 20) as spool:
            size = 0
            async for piece in pieces:
                size += len(piece)
                if size > self.max_size:
                    raise ContentTooLargeError(f"the content is over the limit of {self.max_size} bytes")
                await asyncio.to_thread(spool.write, piece)
            if expected_size is not None and size != expected_size:
                raise TruncatedContentError(f"the upload ended after {size} of {expected_size} bytes; nothing was stored")
            spool.seek(0)
            return await asyncio.to_thread(self.add, spool, params, pin=pin)

    def add_directory(self, entries: Mapping[str, NodeRef], params: ImportParams | None = None, *, pin: bool = False) -> NodeRef:
        for name, ref in entries.items():
            if not self.has_block(ref.cid):
                raise ContentNotFoundError(f"entry {name!r} ({ref.cid}) is not on the IPFS node")
        collected: list[tuple[CID, bytes]] = []

        class _Collect:
            def put(self, cid: CID, parts: Sequence[bytes | memoryview]) -> None:
                collected.append((cid, b"".join(bytes(p) for p in parts)))

        root = build_directory(entries, params or self.params, _Collect())
        for cid, block in collected:
            self._put_block(cid, block)
        if pin:
            self.pin(root.cid)
        return root

    def bundle_adder(self, params: ImportParams | None = None) -> BundleAdder:
        """Stage a bundle's parts on local disk; its commit puts every block on the node and pins the root.
        Nothing reaches the node before the commit."""
        params = params or self.params
        sink = StagingSink(Path(tempfile.gettempdir()) / f"eduledger-bundle-{uuid.uuid4().hex}")

        def commit(staged: StagingSink, root: NodeRef) -> None:
            for cid in staged.order:
                self._put_block(cid, staged.read(cid))
            self.pin(root.cid)

        return BundleAdder(sink, params, max_size=self.max_size, commit=commit)

    # Pins, gc, CAR...

    def pin(self, cid: CID) -> None:
        self._post("pin/add", params={"arg": str(cid)})

    def unpin(self, cid: CID) -> None:
        self._post("pin/rm", params={"arg": str(cid)})

    def pins(self) -> list[CID]:
        keys = self._post("pin/ls", params={"type": "recursive"}).json().get("Keys", {})
        return sorted((CID.parse(key) for key in keys), key=str)

    def gc(self, keep: Iterable[CID] = ()) -> None:
        """Kubo collects everything unpinned: what must be kept is pinned first."""
        for cid in keep:
            self.pin(cid)
        self._post("repo/gc")

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


def _read_pieces(stream: BinaryIO, size: int = 1 << 20) -> Iterator[bytes]:
    while piece := stream.read(size):
        yield piece


class _LimitedReader:
    """A file-like view of byte pieces for a streamed multipart upload, enforcing the size limits."""

    def __init__(self, pieces: Iterator[bytes], limit: int, expected: int | None) -> None:
        self._pieces = pieces
        self._buffer = b""
        self._limit = limit
        self._expected = expected
        self.count = 0

    def read(self, size: int = -1) -> bytes:
        while size < 0 or len(self._buffer) < size:
            piece = next(self._pieces, None)
            if piece is None:
                break
            self.count += len(piece)
            if self.count > self._limit:
                raise ContentTooLargeError(f"the content is over the limit of {self._limit} bytes")
            if self._expected is not None and self.count > self._expected:
                raise TruncatedContentError(f"more bytes arrived than the declared {self._expected}")
            self._buffer += piece
        if size < 0:
            data, self._buffer = self._buffer, b""
        else:
            data, self._buffer = self._buffer[:size], self._buffer[size:]
        return data

    def check_complete(self) -> None:
        if self._expected is not None and self.count != self._expected:
            raise TruncatedContentError(f"the upload ended after {self.count} of {self._expected} bytes")
