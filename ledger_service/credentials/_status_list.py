"""W3C Bitstring Status List: revocation and suspension of issued credentials.

A list holds at least 131,072 bits (so one credential's index says little about the rest);
indexes are handed out at random; the bitstring is GZIP-compressed and multibase base64url
encoded (``u…``). Index 0 is the leftmost bit of the first byte. A revocation is final; a
suspension can be lifted. The list is itself a credential, signed by the issuer, and the
sha256 of its canonical form is anchored on chain so verifiers can tell a stale or forged list.
"""

from __future__ import annotations

import base64
import gzip
import hashlib
import secrets
from dataclasses import dataclass, field
from typing import Any

from .._exceptions import CredentialError
from ._jcs import canonicalize

__all__ = ["MIN_STATUS_LIST_SIZE", "StatusList", "decode_status_list", "status_list_hash", "status_of"]

MIN_STATUS_LIST_SIZE = 131_072
_PURPOSES = ("revocation", "suspension")


def _encode(bits: bytes | bytearray) -> str:
    compressed = gzip.compress(bytes(bits), mtime=0)
    return "u" + base64.urlsafe_b64encode(compressed).decode().rstrip("=")


def decode_status_list(encoded: str) -> bytes:
    """The raw bitstring of an ``encodedList`` (raises :class:`CredentialError` if malformed)."""
    if not encoded.startswith("u"):
        raise CredentialError("encodedList must be multibase base64url (start with 'u')")
    try:
        body = encoded[1:]
        raw = gzip.decompress(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except (ValueError, OSError, EOFError) as exc:
        raise CredentialError(f"encodedList does not decode: {exc}") from None
    if len(raw) * 8 < MIN_STATUS_LIST_SIZE:
        raise CredentialError(f"the status list has {len(raw) * 8} entries, fewer than {MIN_STATUS_LIST_SIZE}")
    return raw


def status_list_hash(list_credential: dict[str, Any]) -> bytes:
    """What is anchored on chain for a (signed) status list credential: sha256 of its JCS form."""
    return hashlib.sha256(canonicalize(list_credential)).digest()


def status_of(list_credential: dict[str, Any], index: int) -> bool:
    """Whether entry ``index`` is set in the list credential."""
    bits = decode_status_list(str(list_credential["credentialSubject"]["encodedList"]))
    if not 0 <= index < len(bits) * 8:
        raise CredentialError(f"status index {index} is outside the list")
    return bool(bits[index // 8] & (0x80 >> (index % 8)))


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
            self.bits = bytearray(self.size // 8)

    def allocate(self) -> int:
        """A random index never handed out before."""
        if len(self.allocated) >= self.size // 2:
            raise CredentialError(f"status list {self.url} is half full; start a new list")
        while True:
            index = secrets.randbelow(self.size)
            if index not in self.allocated:
                self.allocated.add(index)
                return index

    def entry(self, index: int) -> dict[str, Any]:
        """The ``credentialStatus`` a credential carries for ``index``."""
        return {
            "id": f"{self.url}#{index}",
            "type": "BitstringStatusListEntry",
            "statusPurpose": self.purpose,
            "statusListIndex": str(index),
            "statusListCredential": self.url,
        }

    def get(self, index: int) -> bool:
        return bool(self.bits[index // 8] & (0x80 >> (index % 8)))

    def set(self, index: int, value: bool = True) -> None:
        if index not in self.allocated:
            raise CredentialError(f"index {index} was never handed out by {self.url}")
        if self.purpose == "revocation" and not value and self.get(index):
            raise CredentialError("a revocation is final; suspend instead if it may be lifted")
        mask = 0x80 >> (index % 8)
        if value:
            self.bits[index // 8] |= mask
        else:
            self.bits[index // 8] &= ~mask & 0xFF

    def credential(self, *, issuer: str | dict[str, Any], valid_from: str) -> dict[str, Any]:
        """The unsigned BitstringStatusListCredential for the list as it stands."""
        return {
            "@context": ["https://www.w3.org/ns/credentials/v2"],
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
