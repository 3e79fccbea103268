"""JSON Canonicalization Scheme (RFC 8785) through the ``rfc8785`` package (Trail of Bits)."""

from __future__ import annotations

import hashlib
from typing import Any

import rfc8785

from .._exceptions import CredentialError

__all__ = ["canonical_hash", "canonicalize"]


def canonicalize(document: Any) -> bytes:
    try:
        return bytes(rfc8785.dumps(document))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CredentialError(f"the document cannot be canonicalised (RFC 8785): {exc}") from None


def canonical_hash(document: Any) -> bytes:
    """sha256 of the JCS form."""
    return hashlib.sha256(canonicalize(document)).digest()
