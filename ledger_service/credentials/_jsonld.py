"""JSON-LD with pinned contexts only: RDF Dataset Canonicalization (RDFC-1.0 / URDNA2015) via pyld.

The document loader serves the contexts shipped in ``contexts/`` (sha256-checked) and refuses
every other URL: verification never reaches the network, and an unknown context is an error.
"""

from __future__ import annotations

import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from pyld import jsonld  # type: ignore[import-untyped]

from .._exceptions import CredentialError

__all__ = ["PINNED_CONTEXTS", "UnknownContextError", "canonicalize_rdfc", "document_loader", "pinned_context_text"]

_FOLDER = Path(__file__).with_name("contexts")
PINNED_CONTEXTS: dict[str, tuple[str, str]] = {
    "https://www.w3.org/ns/credentials/v2": (
        "credentials-v2.jsonld",
        "59955ced6697d61e03f2b2556febe5308ab16842846f5b586d7f1f7adec92734",
    ),
    "https://www.w3.org/ns/credentials/examples/v2": (
        "credentials-examples-v2.jsonld",
        "57393fbc69d6efb9b9b5dc9cb6b9880b0944360abfe2eaf459c9e58cf2279d7c",
    ),
    "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json": (
        "ob-context-3.0.3.json",
        "ef2fa9c7846dce233cc166b43639027278be4ee44f00bb1d45c75de2dd0cd761",
    ),
}


class UnknownContextError(CredentialError):
    """A document names a JSON-LD context that is not pinned here (nothing is fetched)."""


@lru_cache(maxsize=None)
def pinned_context_text(url: str) -> str:
    """The pinned context file of ``url``, checked against its sha256."""
    if url not in PINNED_CONTEXTS:
        raise UnknownContextError(f"the JSON-LD context {url!r} is not pinned; it is not fetched")
    name, digest = PINNED_CONTEXTS[url]
    raw = (_FOLDER / name).read_bytes()
    if hashlib.sha256(raw).hexdigest() != digest:
        raise CredentialError(f"the pinned context file {name} does not match its sha256; reinstall the package")
    return raw.decode()


@lru_cache(maxsize=None)
def _context(url: str) -> Any:
    return json.loads(pinned_context_text(url))


def document_loader(url: str, _options: dict[str, Any] | None = None) -> dict[str, Any]:
    if url not in PINNED_CONTEXTS:
        raise UnknownContextError(f"the JSON-LD context {url!r} is not pinned; it is not fetched")
    return {"contextUrl": None, "documentUrl": url, "document": _context(url)}


def canonicalize_rdfc(document: dict[str, Any]) -> bytes:
    """The RDFC-1.0 canonical N-Quads of ``document``."""
    try:
        quads = jsonld.normalize(
            document,
            {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader, "safe": True},
        )
    except jsonld.JsonLdError as exc:
        cause: BaseException | None = exc
        while cause is not None:  # pyld chains its errors; an unpinned context is the one to report
            if isinstance(cause, UnknownContextError):
                raise UnknownContextError(str(cause)) from None
            cause = cause.__cause__ or cause.__context__
        raise CredentialError(f"the document is not valid JSON-LD under its pinned contexts: {exc}") from None
    return str(quads).encode()
