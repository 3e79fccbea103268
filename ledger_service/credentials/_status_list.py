"""W3C Bitstring Status List: revocation and suspension of issued credentials.

A list holds at least 131,072 entries (so one credential's index says little about the rest);
indexes are handed out at random; the bitstring is GZIP-compressed and multibase base64url
encoded (``u…``). Index 0 is the leftmost bit of the first byte. A revocation is final; a
suspension can be lifted. The list is itself a credential, signed by the issuer, and the
sha256 of its canonical form is anchored on chain so verifiers can tell a stale or forged list.

Purposes ``revocation`` and ``suspension`` spend one bit per entry. Purpose ``message`` spends
``statusSize`` bits (the entry lists what each value means): one entry then says valid,
suspended or revoked — the way to offer both where a credential may carry only one status entry
(the Open Badges 3.0 schema allows one).
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
import zlib
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import CredentialError
from ._jcs import canonicalize
from ._jsonld import EDULEDGER_CONTEXT

__all__ = [
    "LEGACY_LIFECYCLE_MESSAGES",
    "LIFECYCLE_MESSAGES",
    "MIN_STATUS_LIST_SIZE",
    "REVOKED",
    "SUSPENDED",
    "StatusList",
    "decode_status_list",
    "status_list_capacity",
    "status_list_hash",
    "status_of",
    "status_value",
]

MIN_STATUS_LIST_SIZE = 131_072
MAX_STATUS_LIST_BYTES = 1 << 24  # 16 MiB: 2^27 one-bit entries; anything larger is a decompression bomb
_PURPOSES = ("revocation", "suspension", "message")
SUSPENDED, REVOKED = 1, 2
# The two-bit lifecycle of a ``message`` entry: what each value means. Bitstring Status List §2.1:
# statusMessage names all 2^statusSize values, so the unused one (never set) is named too.
LIFECYCLE_MESSAGES = [
    {"status": "0x0", "message": "valid"},
    {"status": "0x1", "message": "suspended"},
    {"status": "0x2", "message": "revoked"},
    {"status": "0x3", "message": "undefined"},
]
# What entries issued before carried (three messages): still read, never issued again.
LEGACY_LIFECYCLE_MESSAGES = LIFECYCLE_MESSAGES[:3]
_LIFECYCLE_VALUES = (0, SUSPENDED, REVOKED)  # the values an issuer may set in a message list


def status_list_capacity(size: int = MIN_STATUS_LIST_SIZE) -> int:
    """How many entries a list of ``size`` may hand out: never past half full, so one index says
    little about the others (the one place this rule lives)."""
    return size // 2


def _encode(bits: bytes | bytearray) -> str:
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_status_list(encoded: str, status_size: int = 1) -> bytes:
    """The raw bitstring of an ``encodedList`` (raises :class:`CredentialError` if malformed)."""
    if not encoded.startswith("u"):
        raise CredentialError("encodedList must be multibase base64url (start with 'u')")
    try:
        body = encoded[1:]
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)  # gzip framing
        raw = inflater.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)), MAX_STATUS_LIST_BYTES + 1)
    except (ValueError, zlib.error) as exc:
        raise CredentialError(f"encodedList does not decode: {exc}") from None
    if len(raw) > MAX_STATUS_LIST_BYTES:
        raise CredentialError(f"encodedList inflates past {MAX_STATUS_LIST_BYTES:,} bytes; no status list is that long")
    if not inflater.eof:
        raise CredentialError("encodedList does not decode: the gzip stream is truncated")
    if len(raw) * 8 // status_size < MIN_STATUS_LIST_SIZE:
        raise CredentialError(f"the status list has {len(raw) * 8 // status_size} entries, fewer than {MIN_STATUS_LIST_SIZE}")
    return raw


def _read(bits: bytes | bytearray, index: int, size: int) -> int:
    value = 0
    for bit in range(index * size, (index + 1) * size):
        value = (value << 1) | bool(bits[bit // 8] & (0x80 >> (bit % 8)))
    return value


def status_value(list_credential: dict[str, Any], index: int, status_size: int = 1) -> int:
    """The value of entry ``index`` (``status_size`` bits) in the list credential."""
    if not 1 <= status_size <= 8:
        raise CredentialError(f"statusSize {status_size} is not between 1 and 8")
    subject = list_credential.get("credentialSubject")
    encoded = subject.get("encodedList") if isinstance(subject, dict) else None
    if not isinstance(encoded, str):
        raise CredentialError("the status list credential has no credentialSubject.encodedList")
    bits = decode_status_list(encoded, status_size)
    if not 0 <= index < len(bits) * 8 // status_size:
        raise CredentialError(f"status index {index} is outside the list")
    return _read(bits, index, status_size)


def status_list_hash(list_credential: dict[str, Any]) -> bytes:
    """What is anchored on chain for a (signed) status list credential: sha256 of its JCS form."""
    return hashlib.sha256(canonicalize(list_credential)).digest()


def status_of(list_credential: dict[str, Any], index: int) -> bool:
    """Whether (one-bit) entry ``index`` is set in the list credential."""
    return status_value(list_credential, index) != 0


@dataclass
class StatusList:
    """One issuer's list for one purpose; ``allocated`` remembers which indexes were handed out."""

    url: str
    purpose: str
    size: int = MIN_STATUS_LIST_SIZE
    bits: bytearray = field(default_factory=bytearray)
    allocated: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        if self.purpose not in _PURPOSES:
            raise ValueError(f"statusPurpose must be one of {_PURPOSES}")
        if self.size < MIN_STATUS_LIST_SIZE or self.size % 8:
            raise ValueError(f"a status list has at least {MIN_STATUS_LIST_SIZE} entries, a multiple of 8")
        if not self.bits:
            self.bits = bytearray(self.size * self.status_size // 8)

    @property
    def status_size(self) -> int:
        return 2 if self.purpose == "message" else 1

    @property
    def room(self) -> int:
        """Entries this list may still hand out (:func:`status_list_capacity`)."""
        return status_list_capacity(self.size) - len(self.allocated)

    def allocate(self) -> int:
        """A random index never handed out before."""
        return self.allocate_many(1)[0]

    def allocate_many(self, count: int) -> list[int]:
        """``count`` random indexes never handed out before, or none if the list has no room for all."""
        if count > self.room:
            raise CredentialError(f"status list {self.url} has room for {self.room} more entries, not {count}; start a new list")
        indexes: list[int] = []
        while len(indexes) < count:
            index = secrets.randbelow(self.size)
            if index not in self.allocated:
                self.allocated.add(index)
                indexes.append(index)
        return indexes

    def allocation_bitmap(self) -> bytes:
        """Which entries were handed out, one bit each (index 0 the leftmost bit): how a holder of
        the list persists :attr:`allocated` (:meth:`restore` reads it back)."""
        bitmap = bytearray(self.size // 8)
        for index in self.allocated:
            bitmap[index // 8] |= 0x80 >> (index % 8)
        return bytes(bitmap)

    @classmethod
    def restore(cls, url: str, purpose: str, *, bits: bytes, allocation_bitmap: bytes) -> StatusList:
        """The list as persisted: its status bits and :meth:`allocation_bitmap`."""
        size = len(allocation_bitmap) * 8
        allocated = {
            byte_index * 8 + bit for byte_index, byte in enumerate(allocation_bitmap) if byte for bit in range(8) if byte & (0x80 >> bit)
        }
        return cls(url, purpose, size=size, bits=bytearray(bits), allocated=allocated)

    def entry(self, index: int) -> dict[str, Any]:
        """The ``credentialStatus`` a credential carries for ``index``."""
        entry: dict[str, Any] = {
            "id": f"{self.url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose,
            "statusListIndex": str(index),
            "statusListCredential": self.url,
        }
        if self.purpose == "message":
            entry["statusSize"] = self.status_size
            entry["statusMessage"] = [dict(message) for message in LIFECYCLE_MESSAGES]
        return entry

    def value(self, index: int) -> int:
        return _read(self.bits, index, self.status_size)

    def get(self, index: int) -> bool:
        return self.value(index) != 0

    def set_value(self, index: int, value: int) -> None:
        """Set entry ``index`` to ``value``; a revocation is final (a revoked entry never changes)."""
        if index not in self.allocated:
            raise CredentialError(f"index {index} was never handed out by {self.url}")
        if not 0 <= value < 2**self.status_size:
            raise ValueError(f"a status value has {self.status_size} bit(s)")
        if self.purpose == "message" and value not in _LIFECYCLE_VALUES:
            raise ValueError(f"status value {value:#x} means nothing in a lifecycle list (0 valid, 1 suspended, 2 revoked)")
        current = self.value(index)
        final = (self.purpose == "revocation" and current != 0) or (self.purpose == "message" and current == REVOKED)
        if final and value != current:
            raise CredentialError("a revocation is final; suspend instead if it may be lifted")
        for offset in range(self.status_size):
            bit = index * self.status_size + offset
            mask = 0x80 >> (bit % 8)
            if value >> (self.status_size - 1 - offset) & 1:
                self.bits[bit // 8] |= mask
            else:
                self.bits[bit // 8] &= ~mask & 0xFF

    def set(self, index: int, value: bool = True) -> None:
        """One-bit lists: set (revoke, suspend) or clear (lift a suspension) entry ``index``."""
        self.set_value(index, int(value))

    def credential(self, *, issuer: str | dict[str, Any], valid_from: str) -> dict[str, Any]:
        """The unsigned BitstringStatusListCredential for the list as it stands."""
        return {
            "@context": ["https://www.w3.org/ns/credentials/v2", EDULEDGER_CONTEXT],
            "id": self.url,
            "type": ["VerifiableCredential", "BitstringStatusListCredential"],
            "issuer": issuer,
            "validFrom": valid_from,
            "credentialSubject": {
                "id": f"{self.url}#list",
                "type": "BitstringStatusList",
                "statusPurpose": self.purpose,
                "encodedList": _encode(self.bits),
            },
        }
