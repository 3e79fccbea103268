"""Data Integrity proofs with the ``eddsa-jcs-2022`` cryptosuite (W3C vc-di-eddsa).

hashData = sha256(JCS(proof configuration)) ‖ sha256(JCS(unsecured document)); the proof value is
the Ed25519 signature over it, multibase base58btc. The proof configuration carries the
document's ``@context``.
"""

from __future__ import annotations

import copy
from typing import Any

from .._exceptions import CredentialError, InvalidKeyError
from ._jcs import canonical_hash
from ._keys import Ed25519KeyPair, Ed25519PublicKeyRef, base58btc_decode, base58btc_encode

__all__ = ["JCS_SUITE", "sign_jcs", "verify_jcs"]

JCS_SUITE = "eddsa-jcs-2022"


def _hash_data(document: dict[str, Any], config: dict[str, Any]) -> bytes:
    return canonical_hash(config) + canonical_hash(document)


def sign_jcs(
    document: dict[str, Any],
    key: Ed25519KeyPair,
    *,
    created: str,
    verification_method: str | None = None,
    proof_purpose: str = "assertionMethod",
) -> dict[str, Any]:
    """A copy of ``document`` with an ``eddsa-jcs-2022`` DataIntegrityProof added."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    config: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": JCS_SUITE,
        "created": created,
        "verificationMethod": verification_method or key.public.verification_method,
        "proofPurpose": proof_purpose,
    }
    if "@context" in unsecured:
        config["@context"] = copy.deepcopy(unsecured["@context"])
    signature = key.sign(_hash_data(unsecured, config))
    return {**copy.deepcopy(unsecured), "proof": {**config, "proofValue": base58btc_encode(signature)}}


def verify_jcs(secured: dict[str, Any], public_key: Ed25519PublicKeyRef | None = None) -> bool:
    """Whether the document's ``eddsa-jcs-2022`` proof is valid (by ``public_key`` or its did:key)."""
    proof = secured.get("proof")
    if not isinstance(proof, dict):
        raise CredentialError("the document carries no proof")
    if proof.get("type") != "DataIntegrityProof" or proof.get("cryptosuite") != JCS_SUITE:
        return False
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    if "@context" in config and config["@context"] != unsecured.get("@context"):
        return False
    try:
        signature = base58btc_decode(str(proof.get("proofValue", "")))
        key = public_key or Ed25519PublicKeyRef.from_verification_method(str(proof.get("verificationMethod", "")))
    except InvalidKeyError:
        return False
    return len(signature) == 64 and key.verify(signature, _hash_data(unsecured, config))
