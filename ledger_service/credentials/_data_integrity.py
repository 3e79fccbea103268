"""Data Integrity proofs, cryptosuites ``eddsa-rdfc-2022`` and ``eddsa-jcs-2022`` (W3C vc-di-eddsa).

hashData = sha256(canon(proof configuration)) ‖ sha256(canon(unsecured document)), where canon is
RDFC-1.0 (rdfc) or RFC 8785 (jcs); the proof value is the Ed25519 signature over it, multibase
base58btc. The proof configuration carries the document's ``@context``.
"""

from __future__ import annotations

import copy
from typing import Any

import hashlib
from collections.abc import Callable

from .._exceptions import CredentialError, InvalidKeyError
from ._jcs import canonicalize
from ._jsonld import canonicalize_rdfc
from ._keys import Ed25519KeyPair, Ed25519PublicKeyRef, base58btc_decode, base58btc_encode

__all__ = ["CRYPTOSUITES", "JCS_SUITE", "RDFC_SUITE", "sign", "sign_jcs", "signature_proof", "verify", "verify_jcs"]

JCS_SUITE = "eddsa-jcs-2022"
RDFC_SUITE = "eddsa-rdfc-2022"
CRYPTOSUITES: dict[str, Callable[[dict[str, Any]], bytes]] = {JCS_SUITE: canonicalize, RDFC_SUITE: canonicalize_rdfc}


def _hash_data(document: dict[str, Any], config: dict[str, Any], suite: str) -> bytes:
    canon = CRYPTOSUITES[suite]
    return hashlib.sha256(canon(config)).digest() + hashlib.sha256(canon(document)).digest()


def sign(
    document: dict[str, Any],
    key: Ed25519KeyPair,
    *,
    cryptosuite: str,
    created: str,
    verification_method: str | None = None,
    proof_purpose: str = "assertionMethod",
    proof_as_list: bool = False,
) -> dict[str, Any]:
    """A copy of ``document`` with a DataIntegrityProof of ``cryptosuite`` added.

    ``proof_as_list`` attaches it as a one-element array (what the OB 3.0 schema requires).
    """
    if cryptosuite not in CRYPTOSUITES:
        raise ValueError(f"unsupported cryptosuite {cryptosuite!r}")
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite,
        "created": created,
        "verificationMethod": verification_method or key.public.verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in unsecured:
        config["@context"] = copy.deepcopy(unsecured["@context"])
    signature = key.sign(_hash_data(unsecured, config, cryptosuite))
    attached = dict(config)
    if cryptosuite == RDFC_SUITE:
        attached.pop("@context", None)  # rdfc: the context is the document's (as the W3C vectors show)
    proof = {**attached, "proofValue": base58btc_encode(signature)}
    return {**copy.deepcopy(unsecured), "proof": [proof] if proof_as_list else proof}


def signature_proof(secured: dict[str, Any]) -> dict[str, Any] | None:
    """The document's one DataIntegrityProof (None if it has none, or several)."""
    proof = secured.get("proof")
    if isinstance(proof, list):
        proofs = [p for p in proof if isinstance(p, dict) and p.get("type") == "DataIntegrityProof"]
        return proofs[0] if len(proofs) == 1 else None
    return proof if isinstance(proof, dict) else None


def verify(secured: dict[str, Any], public_key: Ed25519PublicKeyRef | None = None) -> bool:
    """Whether the document's DataIntegrityProof (either suite) is valid, by ``public_key`` or its did:key.

    A proof array must hold exactly one DataIntegrityProof.
    """
    if "proof" not in secured:
        raise CredentialError("the document carries no proof")
    proof = signature_proof(secured)
    if proof is None:
        return False
    suite = proof.get("cryptosuite")
    if proof.get("type") != "DataIntegrityProof" or suite not in CRYPTOSUITES:
        return False
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    if suite == RDFC_SUITE and "@context" not in config and "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    if "@context" in config and config["@context"] != unsecured.get("@context"):
        return False
    try:
        signature = base58btc_decode(str(proof.get("proofValue", "")))
        key = public_key or Ed25519PublicKeyRef.from_verification_method(str(proof.get("verificationMethod", "")))
    except InvalidKeyError:
        return False
    try:
        hash_data = _hash_data(unsecured, config, str(suite))
    except CredentialError:
        return False  # not canonicalisable under pinned contexts: cannot match any signature
    return len(signature) == 64 and key.verify(signature, hash_data)


def sign_jcs(
    document: dict[str, Any],
    key: Ed25519KeyPair,
    *,
    created: str,
    verification_method: str | None = None,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """:func:`sign` with ``eddsa-jcs-2022``."""
    return sign(
        document, key, cryptosuite=JCS_SUITE, created=created, verification_method=verification_method,
        proof_purpose=proof_purpose,
    )


def verify_jcs(secured: dict[str, Any], public_key: Ed25519PublicKeyRef | None = None) -> bool:
    """:func:`verify`, accepting only ``eddsa-jcs-2022`` proofs."""
    proof = secured.get("proof")
    if isinstance(proof, dict) and proof.get("cryptosuite") != JCS_SUITE:
        return False
    return verify(secured, public_key)
