"""Data Integrity proofs, cryptosuites ``eddsa-rdfc-2022`` and ``eddsa-jcs-2022`` (W3C vc-di-eddsa).

hashData = sha256(canon(proof configuration)) ‖ sha256(canon(unsecured document)), where canon is
RDFC-1.0 (rdfc) or RFC 8785 (jcs); the proof value is the Ed25519 signature over it, multibase
base58btc. The proof configuration carries the document's ``@context``.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Callable, Sequence
from typing import Any

from .._exceptions import CredentialError, InvalidKeyError
from ._jcs import canonical_hash, canonicalize
from ._jsonld import canonicalize_rdfc
from ._keys import Ed25519KeyPair, Ed25519PublicKeyRef, base58btc_decode, base58btc_encode

__all__ = [
    "CRYPTOSUITES",
    "JCS_SUITE",
    "RDFC_SUITE",
    "batch_proof",
    "sign",
    "sign_hashed",
    "sign_jcs",
    "sign_jcs_batch",
    "signature_proof",
    "verify",
    "verify_jcs",
]

JCS_SUITE = "eddsa-jcs-2022"
RDFC_SUITE = "eddsa-rdfc-2022"
CRYPTOSUITES: dict[str, Callable[[dict[str, Any]], bytes]] = {JCS_SUITE: canonicalize, RDFC_SUITE: canonicalize_rdfc}


def _hash_data(document: dict[str, Any], config: dict[str, Any], suite: str, document_hash: bytes | None = None) -> bytes:
    canon = CRYPTOSUITES[suite]
    return hashlib.sha256(canon(config)).digest() + (document_hash or hashlib.sha256(canon(document)).digest())


def _proof_config(
    unsecured: dict[str, Any],
    cryptosuite: str,
    created: str,
    verification_method: str,
    proof_purpose: str,
    options: dict[str, str] | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """(what is signed: the proof configuration, what is attached: the proof without its value).
    ``options``: further proof options that are signed too (``challenge``, ``domain``)."""
    if cryptosuite not in CRYPTOSUITES:
        raise ValueError(f"unsupported cryptosuite {cryptosuite!r}")
    config: dict[str, Any] = {
        "type": "DataIntegrityProof",
        "cryptosuite": cryptosuite,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": proof_purpose,
        **(options or {}),
    }
    if "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    attached = {k: v for k, v in config.items() if k != "@context"}
    if cryptosuite == JCS_SUITE and "@context" in config:  # rdfc: the context is the document's (as the W3C vectors show)
        attached["@context"] = config["@context"]
    return config, attached


def _proof(
    unsecured: dict[str, Any],
    key: Ed25519KeyPair,
    cryptosuite: str,
    created: str,
    verification_method: str | None,
    proof_purpose: str,
    document_hash: bytes | None = None,
    options: dict[str, str] | None = None,
) -> dict[str, Any]:
    config, attached = _proof_config(
        unsecured, cryptosuite, created, verification_method or key.public.verification_method, proof_purpose, options
    )
    signature = key.sign(_hash_data(unsecured, config, cryptosuite, document_hash))
    if "@context" in attached:
        attached["@context"] = copy.deepcopy(attached["@context"])
    return {**attached, "proofValue": base58btc_encode(signature)}


def sign_jcs_batch(
    documents: Sequence[dict[str, Any]],
    key: Ed25519KeyPair,
    *,
    created: str,
    verification_method: str,
) -> list[tuple[bytes, str, str]]:
    """For batch issuance with eddsa-jcs-2022: per document, (sha256 of its JCS form without proofs,
    the proof value, that JCS form as text). Each document is canonicalised once; the proof
    configuration — the same for every document with the same ``@context`` — is hashed once.
    :func:`batch_proof` makes the attached proof of a value."""
    config_hashes: dict[str, bytes] = {}
    results = []
    for document in documents:
        unsecured = {k: v for k, v in document.items() if k != "proof"}
        text = canonicalize(unsecured)
        context = unsecured.get("@context")
        if isinstance(context, list) and all(isinstance(item, str) for item in context):
            context_key = "\n".join(context)  # the usual case: a list of context URLs
        else:
            context_key = canonicalize({"c": context}).decode()
        config_hash = config_hashes.get(context_key)
        if config_hash is None:
            config, _ = _proof_config(unsecured, JCS_SUITE, created, verification_method, "assertionMethod")
            config_hash = config_hashes[context_key] = hashlib.sha256(canonicalize(config)).digest()
        document_hash = hashlib.sha256(text).digest()
        results.append((document_hash, base58btc_encode(key.sign(config_hash + document_hash)), text.decode()))
    return results


def batch_proof(document: dict[str, Any], proof_value: str, *, cryptosuite: str, created: str, verification_method: str) -> dict[str, Any]:
    """The DataIntegrityProof attached to ``document`` for a proof value made in a batch."""
    _, attached = _proof_config(document, cryptosuite, created, verification_method, "assertionMethod")
    if "@context" in attached:  # its own copy: never the document's list (changing one must not change the other)
        attached["@context"] = copy.deepcopy(attached["@context"])
    return {**attached, "proofValue": proof_value}


def sign(
    document: dict[str, Any],
    key: Ed25519KeyPair,
    *,
    cryptosuite: str,
    created: str,
    verification_method: str | None = None,
    proof_purpose: str = "assertionMethod",
    proof_as_list: bool = False,
    options: dict[str, str] | None = None,
) -> dict[str, Any]:
    """A copy of ``document`` with a DataIntegrityProof of ``cryptosuite`` added.

    ``proof_as_list`` attaches it as a one-element array (what the OB 3.0 schema requires);
    ``options`` are signed proof options (a presentation's ``challenge`` and ``domain``).
    """
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    proof = _proof(unsecured, key, cryptosuite, created, verification_method, proof_purpose, options=options)
    return {**copy.deepcopy(unsecured), "proof": [proof] if proof_as_list else proof}


def sign_hashed(
    document: dict[str, Any],
    key: Ed25519KeyPair,
    *,
    cryptosuite: str,
    created: str,
    verification_method: str | None = None,
) -> tuple[dict[str, Any], bytes]:
    """For batch issuance: the signed document (proof as a list; nested values shared with
    ``document``, not copied) and the sha256 of the JCS form of the unsecured document — which the
    JCS suite computes anyway, so it is not canonicalised twice."""
    unsecured = {k: v for k, v in document.items() if k != "proof"}
    document_hash = canonical_hash(unsecured)
    shared = document_hash if cryptosuite == JCS_SUITE else None
    proof = _proof(unsecured, key, cryptosuite, created, verification_method, "assertionMethod", shared)
    return {**unsecured, "proof": [proof]}, document_hash


def signature_proof(secured: dict[str, Any]) -> dict[str, Any] | None:
    """The document's one eddsa DataIntegrityProof (None if it has none, or several). An ecdsa-sd-2023
    base proof beside it (selective disclosure, :mod:`._ecdsa_sd`) is not this signature."""
    proof = secured.get("proof")
    if isinstance(proof, list):
        proofs = [
            p for p in proof if isinstance(p, dict) and p.get("type") == "DataIntegrityProof" and p.get("cryptosuite") != "ecdsa-sd-2023"
        ]
        return proofs[0] if len(proofs) == 1 else None
    return proof if isinstance(proof, dict) else None


def _starts_with(document_context: Any, proof_context: Any) -> bool:
    """Whether the document's @context begins with every value of the proof's, in the same order."""

    def as_list(value: Any) -> list[Any]:
        return value if isinstance(value, list) else [value]

    if document_context is None:
        return False
    prefix, whole = as_list(proof_context), as_list(document_context)
    return 0 < len(prefix) <= len(whole) and whole[: len(prefix)] == prefix


def verify(secured: dict[str, Any], public_key: Ed25519PublicKeyRef | None = None, *, jcs_document_hash: bytes | None = None) -> bool:
    """Whether the document's DataIntegrityProof (either suite) is valid, by ``public_key`` or its did:key.

    A proof array must hold exactly one DataIntegrityProof. ``jcs_document_hash``, if the caller
    already has sha256 of the JCS form of the document without proofs, spares canonicalising it again.
    """
    if "proof" not in secured:
        raise CredentialError("the document carries no proof")
    proof = signature_proof(secured)
    if proof is None:
        return False
    suite = proof.get("cryptosuite")
    if proof.get("type") != "DataIntegrityProof" or not isinstance(suite, str) or suite not in CRYPTOSUITES:
        return False
    config = {k: v for k, v in proof.items() if k != "proofValue"}
    unsecured = {k: v for k, v in secured.items() if k != "proof"}
    shared = jcs_document_hash if suite == JCS_SUITE else None
    if suite == RDFC_SUITE and "@context" not in config and "@context" in unsecured:
        config["@context"] = unsecured["@context"]
    if suite == JCS_SUITE and "@context" in config:
        # vc-di-eddsa §3.3.2: the proof's @context is a prefix of the document's (contexts may be added
        # after signing), and the document is hashed under the proof's @context.
        if not _starts_with(unsecured.get("@context"), config["@context"]):
            return False
        if unsecured.get("@context") != config["@context"]:
            unsecured = {**unsecured, "@context": config["@context"]}
            shared = None  # the caller's hash is of the document as it stands
    elif "@context" in config and config["@context"] != unsecured.get("@context"):
        return False
    try:
        signature = base58btc_decode(str(proof.get("proofValue", "")))
        key = public_key or Ed25519PublicKeyRef.from_verification_method(str(proof.get("verificationMethod", "")))
    except InvalidKeyError:
        return False
    try:
        hash_data = _hash_data(unsecured, config, str(suite), shared)
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
        document,
        key,
        cryptosuite=JCS_SUITE,
        created=created,
        verification_method=verification_method,
        proof_purpose=proof_purpose,
    )


def verify_jcs(secured: dict[str, Any], public_key: Ed25519PublicKeyRef | None = None) -> bool:
    """:func:`verify`, accepting only ``eddsa-jcs-2022`` proofs."""
    proof = secured.get("proof")
    if isinstance(proof, dict) and proof.get("cryptosuite") != JCS_SUITE:
        return False
    return verify(secured, public_key)
