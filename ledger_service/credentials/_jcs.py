"""JSON Canonicalization Scheme (RFC 8785).

Credentials are almost always strings, small integers, booleans, nulls, objects and arrays. For
those, the standard library's C encoder with sorted keys and compact separators writes exactly the
JCS bytes, provided no key holds a character from U+E000 up (below it, code-point order and UTF-16
order agree): integers print alike and the escapes are the same. Anything else (floats, integers
beyond 2^53, such keys, lone surrogates) goes to the ``rfc8785`` package (Trail of Bits), which
implements the whole RFC. A test holds both paths to the same bytes.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

import rfc8785

from .._exceptions import CredentialError

__all__ = ["canonical_hash", "canonicalize"]

_MAX_SAFE_INTEGER = 2**53 - 1
_encode = json.JSONEncoder(ensure_ascii=False, sort_keys=True, separators=(",", ":"), allow_nan=False).encode


def _plain(document: Any) -> bool:
    """Whether ``document`` holds only types whose JSON text the C encoder writes as JCS does."""
    stack = [document]
    while stack:
        value = stack.pop()
        kind = type(value)
        if kind is str or kind is bool or value is None:
            continue
        if kind is dict:
            for key in value:
                if type(key) is not str or not (key.isascii() or max(key, default=" ") < "\ue000"):
                    return False
            stack.extend(value.values())
        elif kind is list:
            stack.extend(value)
        elif kind is not int or not -_MAX_SAFE_INTEGER <= value <= _MAX_SAFE_INTEGER:
            return False
    return True


def canonicalize(document: Any) -> bytes:
    if _plain(document):
        try:
            return _encode(document).encode()
        except UnicodeEncodeError:
            pass  # a lone surrogate: rfc8785 names the problem
    try:
        return bytes(rfc8785.dumps(document))
    except (rfc8785.CanonicalizationError, TypeError, ValueError) as exc:
        raise CredentialError(f"the document cannot be canonicalised (RFC 8785): {exc}") from None


def canonical_hash(document: Any) -> bytes:
    """sha256 of the JCS form."""
    return hashlib.sha256(canonicalize(document)).digest()
