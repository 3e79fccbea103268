"""Base58btc (the Bitcoin alphabet), as multibase ``z`` and CIDv0 use it."""

from __future__ import annotations

__all__ = ["b58decode", "b58encode"]

_ALPHABET = "123456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz"
_INDEX = {c: i for i, c in enumerate(_ALPHABET)}
# Every pair of digits at once: a signature (64 bytes, 88 digits) is encoded in ~45 small steps
# instead of 88 big-number divisions.
_PAIRS = [_ALPHABET[i // 58] + _ALPHABET[i % 58] for i in range(58 * 58)]
_CHUNK = 58**10  # ten digits per big-number division


def b58encode(data: bytes) -> str:
    number = int.from_bytes(data, "big")
    chunks = []
    while number:
        number, chunk = divmod(number, _CHUNK)
        chunks.append(chunk)
    parts = []
    for index, chunk in enumerate(reversed(chunks)):
        pairs = []
        for _ in range(5):
            chunk, pair = divmod(chunk, 58 * 58)
            pairs.append(_PAIRS[pair])
        text = "".join(reversed(pairs))
        parts.append(text.lstrip("1") if index == 0 else text)  # the leading chunk carries no padding
    return "1" * (len(data) - len(data.lstrip(b"\0"))) + "".join(parts)


def b58decode(text: str) -> bytes:
    """Raises ValueError naming the first character outside the alphabet."""
    number = 0
    for char in text:
        if char not in _INDEX:
            raise ValueError(f"{char!r} is not a base58btc character")
        number = number * 58 + _INDEX[char]
    body = number.to_bytes((number.bit_length() + 7) // 8, "big")
    return b"\0" * (len(text) - len(text.lstrip("1"))) + body
