"""Verifiable credentials (VC 2.0 / Open Badges 3.0): documents, schemas, canonicalisation
(RFC 8785, RDFC-1.0 with pinned contexts), Data Integrity eddsa proofs, Merkle batches anchored
on chain, Bitstring status lists, verification (live, cached or from an offline bundle)."""

from __future__ import annotations

from ._bundle import BUNDLE_TYPE, BundleView, make_bundle, verify_bundle
from ._credit_bank import ConversionRule, CreditBank, CreditGrant, RefusedCredential
from ._chain_view import CachedChainView, ChainFacts, ChainView, status_list_id
from ._data_integrity import (
    CRYPTOSUITES,
    JCS_SUITE,
    RDFC_SUITE,
    batch_proof,
    sign,
    sign_hashed,
    sign_jcs,
    sign_jcs_batch,
    signature_proof,
    verify,
    verify_jcs,
)
from ._jsonld import PINNED_CONTEXTS, UnknownContextError, canonicalize_rdfc, document_loader, pinned_context_text
from ._documents import (
    CONTEXTS,
    DEVELOPMENT_CATEGORIES,
    GROWTH_DIMENSIONS,
    achievement_credential,
    growth_record_credential,
    identity_object,
    professional_development_credential,
)
from ._issuance import ANCHOR_PROOF_TYPE, BatchIssuer, IssuedBatch, credential_hash, institution_uri
from ._jcs import canonical_hash, canonicalize
from ._keys import Ed25519KeyPair, Ed25519PublicKeyRef, base58btc_decode, base58btc_encode
from ._schema import schema_errors
from ._verification import (
    CANNOT_TELL,
    INVALID,
    MAX_CREDENTIAL_BYTES,
    VALID,
    StatusResolver,
    Check,
    VerificationReport,
    parse_credential,
    verify_credential,
)
from ._status_list import (
    LIFECYCLE_MESSAGES,
    MIN_STATUS_LIST_SIZE,
    REVOKED,
    SUSPENDED,
    StatusList,
    decode_status_list,
    status_list_hash,
    status_of,
    status_value,
)
from ._merkle import MerkleTree, leaf_hash, verify_proof

__all__ = [
    "ANCHOR_PROOF_TYPE",
    "BUNDLE_TYPE",
    "BatchIssuer",
    "BundleView",
    "CANNOT_TELL",
    "CONTEXTS",
    "CRYPTOSUITES",
    "CachedChainView",
    "ChainFacts",
    "ChainView",
    "Check",
    "ConversionRule",
    "CreditBank",
    "CreditGrant",
    "DEVELOPMENT_CATEGORIES",
    "Ed25519KeyPair",
    "Ed25519PublicKeyRef",
    "GROWTH_DIMENSIONS",
    "INVALID",
    "IssuedBatch",
    "JCS_SUITE",
    "LIFECYCLE_MESSAGES",
    "MAX_CREDENTIAL_BYTES",
    "MIN_STATUS_LIST_SIZE",
    "MerkleTree",
    "PINNED_CONTEXTS",
    "RDFC_SUITE",
    "REVOKED",
    "RefusedCredential",
    "SUSPENDED",
    "StatusList",
    "StatusResolver",
    "UnknownContextError",
    "VALID",
    "VerificationReport",
    "achievement_credential",
    "base58btc_decode",
    "base58btc_encode",
    "batch_proof",
    "canonical_hash",
    "canonicalize",
    "canonicalize_rdfc",
    "credential_hash",
    "decode_status_list",
    "document_loader",
    "growth_record_credential",
    "identity_object",
    "institution_uri",
    "leaf_hash",
    "make_bundle",
    "parse_credential",
    "pinned_context_text",
    "professional_development_credential",
    "schema_errors",
    "sign",
    "sign_hashed",
    "sign_jcs",
    "sign_jcs_batch",
    "signature_proof",
    "status_list_hash",
    "status_list_id",
    "status_of",
    "status_value",
    "verify",
    "verify_bundle",
    "verify_credential",
    "verify_jcs",
    "verify_proof",
]
