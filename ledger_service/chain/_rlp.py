"""Minimal RLP: encoding for flat transaction fields (ints, bytes, nested lists), strict decoding for proofs.

pyrlp's general encoder validates and dispatches per item; a relayer signing thousands of
transactions a second spends most of its time there. Checked byte for byte against eth-account.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

__all__ = ["rlp_decode", "rlp_encode", "rlp_list_of_encoded"]

RlpItem = int | bytes | Sequence["RlpItem"]


def _length_prefix(length: int, offset: int) -> bytes:
    if length < 56:
        return bytes([offset + length])
    encoded = length.to_bytes((length.bit_length() + 7) // 8, "big")
    return bytes([offset + 55 + len(encoded)]) + encoded


def rlp_encode(item: RlpItem) -> bytes:
    if isinstance(item, list):  # the common case first: a transaction's field list
        payload = b"".join([rlp_encode(element) for element in item])
        return _length_prefix(len(payload), 0xC0) + payload
    if isinstance(item, int):
        if item < 0:
            raise ValueError("RLP encodes non-negative integers only")
        item = item.to_bytes((item.bit_length() + 7) // 8, "big")
    if isinstance(item, bytes):
        if len(item) == 1 and item[0] < 0x80:
            return item
        return _length_prefix(len(item), 0x80) + item
    payload = b"".join([rlp_encode(element) for element in item])
    return _length_prefix(len(payload), 0xC0) + payload


def rlp_list_of_encoded(encoded: list[bytes]) -> bytes:
    """An RLP list of items that are already RLP-encoded."""
    payload = b"".join(encoded)
    return _length_prefix(len(payload), 0xC0) + payload


def _item(data: bytes, start: int, end: int) -> tuple[int, int, bool]:
    """(payload start, payload end, is a list) of the item at ``data[start:end]`` (canonical form only)."""
    if start >= end:
        raise ValueError("RLP: unexpected end of data")
    prefix = data[start]
    if prefix < 0x80:
        return start, start + 1, False
    is_list = prefix >= 0xC0
    short = prefix - (0xC0 if is_list else 0x80)
    if short <= 55:
        first, length = start + 1, short
        if not is_list and length == 1 and first < end and data[first] < 0x80:
            raise ValueError("RLP: a single byte below 0x80 must be encoded as itself")
    else:
        size = short - 55
        if start + 1 + size > end or data[start + 1] == 0:
            raise ValueError("RLP: malformed long length")
        length = int.from_bytes(data[start + 1 : start + 1 + size], "big")
        if length <= 55:
            raise ValueError("RLP: a long length where a short one fits")
        first = start + 1 + size
    if first + length > end:
        raise ValueError("RLP: an item runs past the end of the data")
    return first, first + length, is_list


def rlp_decode(data: bytes) -> bytes | list[Any]:
    """Decode one RLP item (bytes, or nested lists of bytes) that spans all of ``data``.

    Raises ``ValueError`` on anything but canonical RLP: proofs handed to a verifier are hostile input.
    """

    def decode(start: int, end: int, depth: int) -> tuple[bytes | list[Any], int]:
        if depth > 32:
            raise ValueError("RLP: nested too deeply")
        first, last, is_list = _item(data, start, end)
        if not is_list:
            return data[first:last], last
        items: list[Any] = []
        position = first
        while position < last:
            item, position = decode(position, last, depth + 1)
            items.append(item)
        return items, last

    value, end = decode(0, len(data), 0)
    if end != len(data):
        raise ValueError("RLP: trailing bytes after the item")
    return value
