"""did:web issuers: ``did:web:<host>:institutions:0x<institution id>``, served by the registry.

The DID document lists each signing key of the institution — Ed25519 (eddsa proofs) and P-256
(the ecdsa-sd-2023 base proofs of selective disclosure) — as a ``Multikey`` verification
method (id ``<did>#<multibase key>``) and, under ``assertionMethod``, the keys the chain holds
valid now. The chain stays the authority: a verifier judges the signing key and the accreditation
on chain at the anchoring time, and refuses a credential whose DID document disagrees with the
chain (:func:`did_document_disagreement`). The document is never what makes a credential valid.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import quote, unquote

from .._exceptions import CredentialError, InvalidKeyError
from ._chain_view import ChainFacts
from ._ecdsa_sd import P256PublicKey
from ._keys import Ed25519PublicKeyRef

# A signing key as the chain knows it: Ed25519 under its 32 bytes, P-256 under sha256 of its multikey.
SigningKey = Ed25519PublicKeyRef | P256PublicKey

__all__ = [
    "DID_CONTEXTS",
    "MAX_DID_KEYS",
    "DidResolver",
    "SigningKey",
    "signing_key_of",
    "did_document",
    "did_document_disagreement",
    "did_web",
    "did_web_institution",
    "did_web_url",
    "signing_method",
]

DID_CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"]
MAX_DID_KEYS = 32  # an institution rotates keys now and then; a document listing more is refused
# A resolver: the DID document of a DID (raises when it cannot be had: the verifier cannot tell).
DidResolver = Callable[[str], Any]
_INSTITUTION = re.compile(r"did:web:([^:#/?]+):institutions:(0x[0-9a-f]{64})")


def did_web(host: str, institution_id: bytes) -> str:
    """The DID of an institution whose registry is reached at ``host`` (``name[:port]``)."""
    if not host or "/" in host:
        raise ValueError(f"a did:web host is a name with an optional port, not {host!r}")
    return f"did:web:{quote(host, safe='')}:institutions:0x{institution_id.hex()}"


def did_web_institution(did: Any) -> bytes | None:
    """The institution a registry-issued did:web names (None for any other DID)."""
    match = _INSTITUTION.fullmatch(did) if isinstance(did, str) else None
    return bytes.fromhex(match.group(2)[2:]) if match else None


def did_web_url(did: str, *, insecure_loopback: bool = True) -> str:
    """Where a did:web document is fetched (did:web method §3.2: https, ``:`` → ``/``, ``/did.json``).

    ``insecure_loopback`` lets a development registry on 127.0.0.1 / localhost answer over http."""
    if not did.startswith("did:web:") or "#" in did or "?" in did:
        raise CredentialError(f"{did[:100]!r} is not a did:web DID")
    host, *path = did[len("did:web:") :].split(":")
    host = unquote(host)
    if not host or any(not part or part in (".", "..") for part in path):
        raise CredentialError(f"{did[:100]!r} is not a did:web DID")
    loopback = host.split(":")[0] in ("127.0.0.1", "localhost", "[::1]")
    scheme = "http" if insecure_loopback and loopback else "https"
    return f"{scheme}://{host}/" + ("/".join(path) + "/did.json" if path else ".well-known/did.json")


def signing_key_of(multibase: str) -> SigningKey:
    """The Ed25519 (``z6Mk…``) or P-256 (``zDn…``) public key a multibase Multikey holds."""
    try:
        return Ed25519PublicKeyRef.from_multibase(multibase)
    except InvalidKeyError:
        pass
    try:
        return P256PublicKey.from_multibase(multibase)
    except InvalidKeyError:
        raise InvalidKeyError(f"{multibase[:60]!r} is neither an Ed25519 nor a P-256 Multikey") from None


def signing_method(did: str, key: SigningKey) -> str:
    """The verification method id of ``key`` in the institution's DID document."""
    return f"{did}#{key.multibase}"


def did_document(did: str, keys: Iterable[tuple[SigningKey, bool]]) -> dict[str, Any]:
    """The DID document: every key a Multikey method; ``assertionMethod`` those flagged valid."""
    methods, valid = [], []
    for key, is_valid in keys:
        method = signing_method(did, key)
        methods.append({"id": method, "type": "Multikey", "controller": did, "publicKeyMultibase": key.multibase})
        if is_valid:
            valid.append(method)
    return {"@context": list(DID_CONTEXTS), "id": did, "verificationMethod": methods, "assertionMethod": valid}


def _keys_of(document: Any, did: str) -> tuple[dict[str, str], list[str]]:
    """(method id → key multibase, assertionMethod ids), read strictly."""
    if not isinstance(document, dict) or document.get("id") != did:
        raise CredentialError(f"the DID document is not the document of {did[:120]}")
    methods, assertion = document.get("verificationMethod", []), document.get("assertionMethod", [])
    if not isinstance(methods, list) or not isinstance(assertion, list) or len(methods) > MAX_DID_KEYS or len(assertion) > MAX_DID_KEYS:
        raise CredentialError(f"the DID document's verificationMethod and assertionMethod must be lists of at most {MAX_DID_KEYS}")
    keys: dict[str, str] = {}
    for method in methods:
        if (
            not isinstance(method, dict)
            or method.get("type") != "Multikey"
            or method.get("controller") != did
            or not isinstance(method.get("id"), str)
            or not isinstance(method.get("publicKeyMultibase"), str)
        ):
            raise CredentialError("each verificationMethod must be a Multikey controlled by the DID, with an id and a publicKeyMultibase")
        keys[method["id"]] = method["publicKeyMultibase"]
    listed = []
    for item in assertion:
        method_id = item if isinstance(item, str) else item.get("id") if isinstance(item, dict) else None
        if not isinstance(method_id, str):
            raise CredentialError("each assertionMethod must be a verification method id")
        if isinstance(item, dict):  # embedded: it must say what the list says
            keys.setdefault(method_id, str(item.get("publicKeyMultibase")))
        listed.append(method_id)
    return keys, listed


def did_document_disagreement(document: Any, did: str, method: str, chain: ChainFacts, institution_id: bytes, now: int) -> str:
    """What in ``document`` disagrees with the chain for a credential signed by ``method`` ("" if nothing).

    The document must map ``method`` to the very key the proof names; list under assertionMethod
    exactly the keys the chain holds valid for the institution now (a key the chain revoked, or
    never registered to it, listed there is a disagreement; so is a valid signing key left out).
    Raises :class:`ChainError` when the chain cannot be read.
    """
    keys, assertion = _keys_of(document, did)
    signer = method.split("#", 1)[1] if "#" in method else ""
    if keys.get(method) != signer:
        return f"the DID document does not give {method[:140]} as the key {signer[:60]}"
    for method_id in dict.fromkeys([*assertion, method]):
        try:
            key = signing_key_of(keys.get(method_id, ""))
        except InvalidKeyError:
            return f"the DID document lists {method_id[:140]} for assertionMethod without an Ed25519 or P-256 Multikey"
        valid = chain.signing_key_valid(key.chain_key, institution_id, now)
        if method_id in assertion and not valid:
            return (
                f"the DID document lists key {key.multibase} for assertionMethod, "
                "but the chain holds it revoked, expired or not the issuer's"
            )
        if method_id not in assertion and valid:
            return f"the DID document leaves out key {key.multibase}, which the chain holds valid for the issuer"
    return ""
