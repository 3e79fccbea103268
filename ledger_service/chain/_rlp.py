"""Minimal RLP encoding for flat transaction fields (ints, bytes, nested lists).

pyrlp's general encoder validates and dispatches per item; a relayer signing thousands of
transactions a second spends most of its time there. Checked byte for byte against eth-account.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["rlp_encode", "rlp_list_of_encoded"]

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
