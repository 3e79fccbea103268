"""CIDs (v0 and v1, sha2-256) with the multibase encodings IPFS prints: base58btc and base32.

Only what our content uses is accepted: sha2-256 multihashes, dag-pb (0x70) and raw (0x55)
codecs. Anything else is refused with a message naming the part that is not supported.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from .._base58 import b58decode, b58encode
from .._exceptions import InvalidCIDError

__all__ = ["CID", "DAG_PB", "RAW", "SHA2_256", "decode_varint", "encode_varint"]

DAG_PB = 0x70
RAW = 0x55
SHA2_256 = 0x12
_DIGEST_LENGTH = 32
_CODECS = {DAG_PB: "dag-pb", RAW: "raw"}


def encode_varint(value: int) -> bytes:
    """Unsigned LEB128, as multiformats and protobuf use."""
    out = bytearray()
    while True:
        byte = value & 0x7F
        value >>= 7
        if value:
            out.append(byte | 0x80)
        else:
            out.append(byte)
            return bytes(out)


def decode_varint(data: bytes | memoryview, offset: int = 0) -> tuple[int, int]:
    """(value, next offset); raises ValueError on a truncated or over-long varint."""
    value = shift = 0
    while True:
        if offset >= len(data) or shift > 63:
            raise ValueError("truncated or over-long varint")
        byte = data[offset]
        offset += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, offset
        shift += 7


def _base58(text: str) -> bytes:
    try:
        return b58decode(text)
    except ValueError as exc:
        raise InvalidCIDError(str(exc)) from None


@dataclass(frozen=True, slots=True)
class CID:
    """A content identifier: version, codec and the sha2-256 digest of the block."""

    version: int
    codec: int
    digest: bytes

    @classmethod
    def v0(cls, digest: bytes) -> CID:
        return cls(0, DAG_PB, digest)

    @property
    def multihash(self) -> bytes:
        return bytes([SHA2_256, _DIGEST_LENGTH]) + self.digest

    def to_bytes(self) -> bytes:
        if self.version == 0:
            return self.multihash
        return b"\x01" + encode_varint(self.codec) + self.multihash

    def __str__(self) -> str:
        if self.version == 0:
            return b58encode(self.multihash)
        return "b" + base64.b32encode(self.to_bytes()).decode().lower().rstrip("=")

    def __repr__(self) -> str:
        return f"CID({self})"

    @property
    def codec_name(self) -> str:
        return _CODECS[self.codec]

    @classmethod
    def parse(cls, text: str) -> CID:
        """Parse a CID as IPFS prints it (``Qm…`` base58btc v0, ``b…`` base32 v1; ``z…``/``f…`` too)."""
        if not isinstance(text, str) or not text:
            raise InvalidCIDError("a CID must be a non-empty string")
        if len(text) == 46 and text.startswith("Qm"):
            raw = _base58(text)
        elif text[0] in "bB":
            try:
                body = text[1:].upper()
                raw = base64.b32decode(body + "=" * (-len(body) % 8))
            except ValueError:
                raise InvalidCIDError(f"{text!r} is not valid base32") from None
        elif text[0] == "z":
            raw = _base58(text[1:])
        elif text[0] in "fF":
            try:
                raw = bytes.fromhex(text[1:])
            except ValueError:
                raise InvalidCIDError(f"{text!r} is not valid base16") from None
        else:
            raise InvalidCIDError(f"{text[:60]!r} is not a CID: expected Qm… (CIDv0) or a multibase CIDv1 such as b…")
        cid, rest = cls.from_bytes(raw)
        if rest:
            raise InvalidCIDError(f"{text[:60]!r} has {len(rest)} bytes after the CID")
        return cid

    @classmethod
    def from_bytes(cls, raw: bytes | memoryview) -> tuple[CID, bytes]:
        """Read a binary CID from the start of ``raw``; returns it and the bytes after it."""
        data = bytes(raw)
        try:
            if len(data) >= 2 and data[0] == SHA2_256 and data[1] == _DIGEST_LENGTH:
                version, codec, offset = 0, DAG_PB, 0
            else:
                version, offset = decode_varint(data, 0)
                if version != 1:
                    raise InvalidCIDError(f"CID version {version} is not supported (only 0 and 1)")
                codec, offset = decode_varint(data, offset)
            function, offset = decode_varint(data, offset)
            length, offset = decode_varint(data, offset)
        except ValueError as exc:
            raise InvalidCIDError(f"malformed CID bytes: {exc}") from None
        if codec not in _CODECS:
            raise InvalidCIDError(f"codec 0x{codec:x} is not supported (only dag-pb and raw)")
        if function != SHA2_256:
            raise InvalidCIDError(f"hash function 0x{function:x} is not supported (only sha2-256)")
        if length != _DIGEST_LENGTH or len(data) < offset + length:
            raise InvalidCIDError("the multihash digest is truncated or not 32 bytes")
        return cls(version, codec, data[offset : offset + length]), data[offset + length :]
