"""Verifiable credentials: canonicalisation, Merkle batches, issuer signatures (work in progress:
the building blocks of issue "Verifiable credentials"; documents, status lists and verification
come next)."""

from __future__ import annotations

from ._data_integrity import CRYPTOSUITES, JCS_SUITE, RDFC_SUITE, sign, sign_jcs, verify, verify_jcs
from ._jsonld import PINNED_CONTEXTS, UnknownContextError, canonicalize_rdfc, document_loader
from ._jcs import canonical_hash, canonicalize
from ._keys import Ed25519KeyPair, Ed25519PublicKeyRef, base58btc_decode, base58btc_encode
from ._merkle import MerkleTree, leaf_hash, verify_proof

__all__ = [
    "CRYPTOSUITES",
    "Ed25519KeyPair",
    "Ed25519PublicKeyRef",
    "JCS_SUITE",
    "MerkleTree",
    "PINNED_CONTEXTS",
    "RDFC_SUITE",
    "UnknownContextError",
    "base58btc_decode",
    "base58btc_encode",
    "canonical_hash",
    "canonicalize",
    "canonicalize_rdfc",
    "document_loader",
    "leaf_hash",
    "sign",
    "sign_jcs",
    "verify",
    "verify_jcs",
    "verify_proof",
]
