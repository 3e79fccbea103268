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

from pyld import context_resolver, jsonld  # type: ignore[import-untyped]

from .._exceptions import CredentialError


def _context_cache_key(context: Any) -> bytes:
    """pyld keys its cache of embedded (scoped) contexts by their RFC 8785 form, made in pure Python:
    a third of the time of an ecdsa-sd-2023 base proof went there. A key needs only to be the same for
    equal contexts and differ for others, which sorted-key JSON (C-accelerated) is."""
    return json.dumps(context, sort_keys=True, separators=(",", ":"), ensure_ascii=False, default=dict).encode()


context_resolver.canonicalize = _context_cache_key

__all__ = [
    "EDULEDGER_CONTEXT",
    "PINNED_CONTEXTS",
    "UndefinedTermError",
    "UnknownContextError",
    "canonicalize_rdfc",
    "document_loader",
    "expand_safe",
    "pinned_context_text",
]

_FOLDER = Path(__file__).with_name("contexts")
# EduLedger's own terms (the anchor proof): published once, never changed; a change is a new version
# beside it. The registry serves the same bytes at /contexts/eduledger/v1.
EDULEDGER_CONTEXT = "https://w3id.org/eduledger/v1"
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
    # The context of the W3C ecdsa-sd-2023 test vectors (employment authorisation, permanent resident card).
    "https://w3id.org/citizenship/v4rc1": (
        "citizenship-v4rc1.jsonld",
        "5038c7383afd7ab2158f1b997913a8f60978a0abcf96e0b0d08e29f146d2db1e",
    ),
    EDULEDGER_CONTEXT: (
        "eduledger-v1.jsonld",
        "c30cef415425e3c944afa70497843617e03ce73d4e89b8309fd3750c907760f7",
    ),
}


class UnknownContextError(CredentialError):
    """A document names a JSON-LD context that is not pinned here (nothing is fetched)."""


class UndefinedTermError(CredentialError):
    """Safe mode: a term or type the document's contexts do not define (a processor would drop it)."""


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


def _dropped(term: str | None) -> None:
    raise UndefinedTermError(f"the term {str(term)[:100]!r} is defined by no context of the document")


def _is_absolute(iri: str) -> bool:
    scheme, colon, _ = iri.partition(":")
    return bool(colon) and scheme[:1].isalpha() and all(c.isalnum() or c in "+-." for c in scheme)


def _check_expanded(value: Any) -> None:
    """What pyld keeps but a safe-mode processor refuses: relative (unresolvable) type and node IRIs."""
    if isinstance(value, list):
        for item in value:
            _check_expanded(item)
    elif isinstance(value, dict):
        types = value.get("@type", [])
        for iri in types if isinstance(types, list) else [types]:
            if isinstance(iri, str) and not (_is_absolute(iri) or iri.startswith("_:") or iri.startswith("@")):
                raise UndefinedTermError(f"the type {iri[:100]!r} is defined by no context of the document")
        node_id = value.get("@id")
        if isinstance(node_id, str) and not (_is_absolute(node_id) or node_id.startswith("_:")):
            raise UndefinedTermError(f"the id {node_id[:100]!r} is not an absolute IRI")
        for key, item in value.items():
            if key not in ("@value", "@type", "@id"):
                _check_expanded(item)


def _translate(exc: BaseException) -> CredentialError:
    cause: BaseException | None = exc
    while cause is not None:  # pyld chains its errors; an unpinned context or an undefined term is the one to report
        if isinstance(cause, (UnknownContextError, UndefinedTermError)):
            return type(cause)(str(cause))
        cause = cause.__cause__ or cause.__context__
    return CredentialError(f"the document is not valid JSON-LD under its pinned contexts: {exc}")


def expand_safe(document: dict[str, Any]) -> list[Any]:
    """The JSON-LD expansion of ``document`` in safe mode: a term no context defines, or a type that
    does not resolve to an absolute IRI, raises :class:`UndefinedTermError` instead of being dropped
    (pyld has no safe mode of its own: it drops such terms silently)."""
    processor = jsonld.JsonLdProcessor(on_property_dropped=_dropped)
    try:
        expanded = processor.expand(document, {"documentLoader": document_loader, "base": None})
    except (jsonld.JsonLdError, UndefinedTermError) as exc:
        raise _translate(exc) from None
    _check_expanded(expanded)
    return expanded  # type: ignore[no-any-return]


def canonicalize_rdfc(document: dict[str, Any]) -> bytes:
    """The RDFC-1.0 canonical N-Quads of ``document``, expanded in safe mode (nothing silently unsigned)."""
    expanded = expand_safe(document)
    try:
        quads = jsonld.normalize(expanded, {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": document_loader})
    except jsonld.JsonLdError as exc:
        raise _translate(exc) from None
    return str(quads).encode()
