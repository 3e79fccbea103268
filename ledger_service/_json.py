"""Reading JSON that others wrote: one strict reader for every entry point.

Python's ``json`` keeps the last of two equal keys, other readers keep the first: a credential
with ``"name": "forged"`` before the real ``name`` would show one thing and verify another. RFC 8785
(the canonical form credentials are hashed in) builds on I-JSON (RFC 7493), which forbids duplicate
keys and lone surrogates; both are refused here. Nesting is limited well below what the recursive
code downstream (schemas, canonicalisation, copies) survives.
"""

from __future__ import annotations

import json
import re
from typing import Any

from ._exceptions import InvalidJsonError

__all__ = ["MAX_JSON_DEPTH", "check_json_value", "strict_loads"]

MAX_JSON_DEPTH = 64  # a credential nests about ten deep; a bundle about fifteen
_LONE_SURROGATE = re.compile(r"[\ud800-\udfff]")


def _pairs(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    document = dict(pairs)
    if len(document) != len(pairs):
        seen: set[str] = set()
        for key, _ in pairs:
            if key in seen:
                raise InvalidJsonError(f"duplicate key {_show(key)}", reason="duplicate_key")
            seen.add(key)
    return document


def _show(key: str) -> str:
    return json.dumps(key[:80], ensure_ascii=True)


def _finite(text: str) -> float:
    value = float(text)
    if value in (float("inf"), float("-inf")):
        raise InvalidJsonError(f"the number {text[:40]} is beyond what JSON numbers can carry", reason="number")
    return value


def _constant(text: str) -> Any:
    raise InvalidJsonError(f"{text} is not JSON", reason="syntax")


def strict_loads(text: str | bytes, *, max_depth: int = MAX_JSON_DEPTH) -> Any:
    """Parse ``text`` as JSON, refusing what :class:`~ledger_service.InvalidJsonError` lists."""
    try:
        document = json.loads(text, object_pairs_hook=_pairs, parse_float=_finite, parse_constant=_constant)
    except InvalidJsonError:
        raise
    except RecursionError:
        raise InvalidJsonError(f"the JSON nests deeper than {max_depth} levels", reason="depth") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise InvalidJsonError(f"not JSON: {exc}", reason="syntax") from None
    check_json_value(document, max_depth=max_depth)
    return document


def check_json_value(document: Any, *, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Refuse a parsed value nesting deeper than ``max_depth`` or holding a lone surrogate (iterative:
    a hostile document cannot exhaust the stack here)."""
    stack: list[tuple[Any, int]] = [(document, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict):
            if depth > max_depth:
                raise InvalidJsonError(f"the JSON nests deeper than {max_depth} levels", reason="depth")
            for key, item in value.items():
                if isinstance(key, str) and _LONE_SURROGATE.search(key):
                    raise InvalidJsonError(f"key {_show(key)} holds a lone surrogate (not Unicode text)", reason="surrogate")
                stack.append((item, depth + 1))
        elif isinstance(value, list):
            if depth > max_depth:
                raise InvalidJsonError(f"the JSON nests deeper than {max_depth} levels", reason="depth")
            stack.extend((item, depth + 1) for item in value)
        elif isinstance(value, str) and _LONE_SURROGATE.search(value):
            raise InvalidJsonError(f"the string {_show(value)} holds a lone surrogate (not Unicode text)", reason="surrogate")
