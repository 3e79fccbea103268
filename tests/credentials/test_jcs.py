"""RFC 8785: the fast path writes the same bytes as the full implementation, on every kind of input."""

from __future__ import annotations

import random
from typing import Any

import pytest
import rfc8785

from ledger_service import CredentialError
from ledger_service.credentials import canonicalize

# Characters where encoders differ: controls, quotes, U+2028, full-width forms (U+FF0C), private
# use (U+E000), astral (emoji), and ordinary Chinese.
ALPHABET = [
    "a",
    "Z",
    "0",
    " ",
    "\u0000",
    "\u001f",
    "\u007f",
    '"',
    "\\",
    "/",
    "\n",
    "\t",
    "é",
    "中",
    "，",
    "\u2028",
    "\ue000",
    "\uffff",
    "\U0001f600",
    "\U00010000",
]


def random_value(rng: random.Random, depth: int = 0) -> Any:
    kind = rng.randrange(9 if depth < 3 else 6)
    if kind == 0:
        return None
    if kind == 1:
        return rng.random() < 0.5
    if kind == 2:
        return rng.choice([0, -1, 7, 2**53 - 1, -(2**53 - 1), rng.randrange(-(10**6), 10**6)])
    if kind == 3:
        return rng.choice([0.5, -1.25, 1e21, 1e-7, 123456789.125, 5e-324])
    if kind in (4, 5):
        return "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(6)))
    if kind in (6, 7):
        return {
            "".join(rng.choice(ALPHABET) for _ in range(rng.randrange(1, 4))): random_value(rng, depth + 1) for _ in range(rng.randrange(5))
        }
    return [random_value(rng, depth + 1) for _ in range(rng.randrange(4))]


def test_matches_the_full_implementation_on_random_documents() -> None:
    rng = random.Random(8785)
    for _ in range(3000):
        document = random_value(rng)
        assert canonicalize(document) == rfc8785.dumps(document), document


@pytest.mark.parametrize(
    "document",
    [{"\ue000": 1, "\U0001f600": 2}, {"n": 2**53}, {"s": "\ud800"}, {"f": float("nan")}, {1: "integer key"}, {"b": b"bytes"}],
    ids=["utf16-order", "unsafe-integer", "lone-surrogate", "nan", "integer-key", "bytes"],
)
def test_edge_cases_agree_or_fail_clearly(document: Any) -> None:
    try:
        expected = rfc8785.dumps(document)
    except Exception:  # rfc8785 refuses: so must we, with our own error
        with pytest.raises(CredentialError, match="cannot be canonicalised"):
            canonicalize(document)
    else:
        assert canonicalize(document) == expected
