"""dag-pb nodes and UnixFS data, encoded as go-merkledag / boxo encode them.

PBNode { repeated PBLink Links = 2; optional bytes Data = 1 }, links first on the wire;
PBLink { bytes Hash = 1; string Name = 2; uint64 Tsize = 3 }, Name always written (empty for file
chunks); UnixFS Data { Type = 1; Data = 2; filesize = 3; repeated blocksizes = 4 (unpacked) }.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from .._exceptions import ContentCorruptedError
from ._cid import CID, decode_varint, encode_varint

__all__ = ["Link", "PBNode", "UnixFSData", "decode_pbnode", "decode_unixfs", "encode_pbnode", "encode_unixfs"]

UNIXFS_RAW, UNIXFS_DIRECTORY, UNIXFS_FILE = 0, 1, 2


@dataclass(frozen=True, slots=True)
class Link:
    cid: CID
    name: str
    tsize: int


@dataclass(frozen=True, slots=True)
class PBNode:
    links: list[Link]
    data: bytes | None


@dataclass(frozen=True, slots=True)
class UnixFSData:
    type: int
    data: bytes | None = None
    filesize: int | None = None
    blocksizes: list[int] = field(default_factory=list)


def _key(number: int, wire_type: int) -> bytes:
    return encode_varint(number << 3 | wire_type)


def _bytes_field(number: int, value: bytes) -> bytes:
    return _key(number, 2) + encode_varint(len(value)) + value


def _varint_field(number: int, value: int) -> bytes:
    return _key(number, 0) + encode_varint(value)


def encode_unixfs(node: UnixFSData) -> bytes:
    out = _varint_field(1, node.type)
    if node.data is not None:
        out += _bytes_field(2, node.data)
    if node.filesize is not None:
        out += _varint_field(3, node.filesize)
    for size in node.blocksizes:
        out += _varint_field(4, size)
    return out


def encode_pbnode(links: list[Link], data: bytes | None) -> bytes:
    out = bytearray()
    for link in links:
        body = _bytes_field(1, link.cid.to_bytes()) + _bytes_field(2, link.name.encode()) + _varint_field(3, link.tsize)
        out += _bytes_field(2, body)
    if data is not None:
        out += _bytes_field(1, data)
    return bytes(out)


def _fields(data: bytes) -> list[tuple[int, int | bytes]]:
    fields: list[tuple[int, int | bytes]] = []
    offset = 0
    while offset < len(data):
        key, offset = decode_varint(data, offset)
        number, wire_type = key >> 3, key & 7
        if wire_type == 0:
            value, offset = decode_varint(data, offset)
            fields.append((number, value))
        elif wire_type == 2:
            length, offset = decode_varint(data, offset)
            if offset + length > len(data):
                raise ValueError("field runs past the end of the message")
            fields.append((number, data[offset : offset + length]))
            offset += length
        else:
            raise ValueError(f"unsupported protobuf wire type {wire_type}")
    return fields


def decode_pbnode(block: bytes, *, cid: CID | None = None) -> PBNode:
    try:
        links, data = [], None
        for number, value in _fields(block):
            if number == 2 and isinstance(value, bytes):
                link_cid, name, tsize = None, "", 0
                for link_number, link_value in _fields(value):
                    if link_number == 1 and isinstance(link_value, bytes):
                        link_cid, _ = CID.from_bytes(link_value)
                    elif link_number == 2 and isinstance(link_value, bytes):
                        name = link_value.decode()
                    elif link_number == 3 and isinstance(link_value, int):
                        tsize = link_value
                if link_cid is None:
                    raise ValueError("a link without a hash")
                links.append(Link(link_cid, name, tsize))
            elif number == 1 and isinstance(value, bytes):
                data = value
        return PBNode(links, data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ContentCorruptedError(f"block {cid or ''} is not a valid dag-pb node: {exc}") from None


def decode_unixfs(data: bytes) -> UnixFSData:
    try:
        node = UnixFSData(type=-1)
        kind, payload, filesize, blocksizes = -1, None, None, []
        for number, value in _fields(data):
            if number == 1 and isinstance(value, int):
                kind = value
            elif number == 2 and isinstance(value, bytes):
                payload = value
            elif number == 3 and isinstance(value, int):
                filesize = value
            elif number == 4 and isinstance(value, int):
                blocksizes.append(value)
        node = UnixFSData(kind, payload, filesize, blocksizes)
    except ValueError as exc:
        raise ContentCorruptedError(f"not valid UnixFS data: {exc}") from None
    return node
