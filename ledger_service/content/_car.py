"""CAR v1 archives (https://ipld.io/specs/transport/car/carv1/): write and parse.

header = varint(length) ‖ dag-cbor {"roots": [CID…], "version": 1}; then for each block
varint(length) ‖ CID bytes ‖ block bytes.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import BinaryIO

from .._exceptions import InvalidCarError
from ._cid import CID, encode_varint

__all__ = ["car_header", "car_section", "read_car"]

_MAX_SECTION = 8 * 1024 * 1024  # far above any block we make (≤ 256 KiB + framing)


def _cbor_head(major: int, value: int) -> bytes:
    if value < 24:
        return bytes([major << 5 | value])
    for extra, width in ((24, 1), (25, 2), (26, 4), (27, 8)):
        if value < 1 << (8 * width):
            return bytes([major << 5 | extra]) + value.to_bytes(width, "big")
    raise ValueError("value too large for CBOR")


def car_header(roots: Iterable[CID]) -> bytes:
    cids = list(roots)
    body = bytearray(b"\xa2" + _cbor_head(3, 5) + b"roots" + _cbor_head(4, len(cids)))
    for cid in cids:
        raw = b"\x00" + cid.to_bytes()  # CIDs in dag-cbor: tag 42 over the 0x00-prefixed bytes
        body += b"\xd8\x2a" + _cbor_head(2, len(raw)) + raw
    body += _cbor_head(3, 7) + b"version" + b"\x01"
    return encode_varint(len(body)) + bytes(body)


def car_section(cid: CID, block: bytes) -> bytes:
    raw = cid.to_bytes()
    return encode_varint(len(raw) + len(block)) + raw + block


def _read_varint(stream: BinaryIO) -> int | None:
    value = shift = 0
    while True:
        byte = stream.read(1)
        if not byte:
            if shift == 0:
                return None
            raise InvalidCarError("the CAR ends inside a length prefix")
        value |= (byte[0] & 0x7F) << shift
        if not byte[0] & 0x80:
            return value
        shift += 7
        if shift > 63:
            raise InvalidCarError("a CAR length prefix is too long")


def _read_exact(stream: BinaryIO, length: int, what: str) -> bytes:
    data = stream.read(length)
    if len(data) != length:
        raise InvalidCarError(f"the CAR ends inside {what} ({len(data)} of {length} bytes)")
    return data


def _parse_header(header: bytes) -> list[CID]:
    # Accept exactly the canonical two-key map written above (what Kubo and go-car write).
    try:
        if header[0] != 0xA2:
            raise ValueError("the header is not a two-entry map")
        offset = 1
        roots: list[CID] = []
        version = None
        for _ in range(2):
            key_length = header[offset] & 0x1F
            key = header[offset + 1 : offset + 1 + key_length].decode()
            offset += 1 + key_length
            if key == "version":
                version = header[offset]
                offset += 1
            elif key == "roots":
                count = header[offset] & 0x1F
                offset += 1
                for _ in range(count):
                    if header[offset : offset + 2] != b"\xd8\x2a":
                        raise ValueError("a root is not a CID (tag 42)")
                    offset += 2
                    if header[offset] == 0x58:
                        length, offset = header[offset + 1], offset + 2
                    else:
                        length, offset = header[offset] & 0x1F, offset + 1
                    raw = header[offset : offset + length]
                    offset += length
                    if raw[:1] != b"\x00":
                        raise ValueError("a root CID lacks its 0x00 multibase prefix")
                    cid, rest = CID.from_bytes(raw[1:])
                    if rest:
                        raise ValueError("trailing bytes after a root CID")
                    roots.append(cid)
            else:
                raise ValueError(f"unexpected header key {key!r}")
    except (IndexError, ValueError, UnicodeDecodeError) as exc:
        raise InvalidCarError(f"the CAR header is malformed: {exc}") from None
    if version != 1:
        raise InvalidCarError(f"CAR version {version} is not supported (only 1)")
    if not roots:
        raise InvalidCarError("the CAR names no root")
    return roots


def read_car(stream: BinaryIO) -> tuple[list[CID], Iterator[tuple[CID, bytes]]]:
    """The roots, and an iterator over (CID, block) sections. Hashes are not checked here."""
    length = _read_varint(stream)
    if length is None or length > _MAX_SECTION:
        raise InvalidCarError("not a CAR file (no header)")
    roots = _parse_header(_read_exact(stream, length, "the header"))

    def sections() -> Iterator[tuple[CID, bytes]]:
        while True:
            size = _read_varint(stream)
            if size is None:
                return
            if size > _MAX_SECTION:
                raise InvalidCarError(f"a CAR section claims {size} bytes, more than any block")
            section = _read_exact(stream, size, "a block")
            try:
                cid, block = CID.from_bytes(section)
            except Exception as exc:  # noqa: BLE001 - any CID problem is a malformed CAR
                raise InvalidCarError(f"a CAR section does not start with a valid CID: {exc}") from None
            yield cid, block

    return roots, sections()
