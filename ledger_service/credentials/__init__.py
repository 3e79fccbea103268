"""Verifiable credentials: canonicalisation, Merkle batches, issuer signatures (work in progress:
the building blocks of issue "Verifiable credentials"; documents, status lists and verification
come next)."""

from __future__ import annotations

from ._data_integrity import JCS_SUITE, sign_jcs, verify_jcs
from ._jcs import canonical_hash, canonicalize
from ._keys import Ed25519KeyPair, Ed25519PublicKeyRef, base58btc_decode, base58btc_encode
from ._merkle import MerkleTree, leaf_hash, verify_proof

__all__ = [
    "Ed25519KeyPair",
    "Ed25519PublicKeyRef",
    "JCS_SUITE",
    "MerkleTree",
    "base58btc_decode",
    "base58btc_encode",
    "canonical_hash",
    "canonicalize",
    "leaf_hash",
    "sign_jcs",
    "verify_jcs",
    "verify_proof",
]
