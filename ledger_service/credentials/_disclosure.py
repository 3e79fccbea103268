"""Selective disclosure of EduLedger credentials (PIPL minimisation): the school's ``ecdsa-sd-2023``
base proof at issuance, the holder's derived copy revealing chosen JSON pointers.

What a derived copy must always show (the base proof's *mandatory* pointers, :func:`~._documents.mandatory_pointers`):
who issued it and when it is valid, its types, its status entry and the salted subject binding (the
IdentityObject, and the holder's DID when the credential is holder-bound). The record itself — the
entry's name, narrative, criteria, dimension, tags, evidence — is disclosed only as the holder chooses.

How a derived copy ties to the chain: the anchor's Merkle leaf is the hash of the *whole* credential
(:func:`~._issuance.credential_hash`), which a derived copy cannot recompute. So the issuer signs that
hash inside the base proof, as the proof's Data Integrity ``nonce`` (``0x`` + 64 hex digits); every
derived proof carries the proof configuration — nonce included — under the issuer's base signature, and
the holder keeps the anchor proof beside it. A verifier checks the nonce equals the anchor proof's
``credentialHash``, the Merkle path from it to the anchored root, and then judges the issuer's P-256 key
and accreditation on chain at the anchoring time, exactly as for a full credential. (The hash reveals
nothing: the credential it covers holds a salted identifier.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from .._exceptions import CredentialError
from ._documents import disclosable_pointers, mandatory_pointers
from ._ecdsa_sd import derive_sd, is_derived, parse_base_proof, sd_proof_of
from ._issuance import ANCHOR_PROOF_TYPE, credential_hash

__all__ = ["anchored_hash_of", "derive_credential", "disclosure_choices"]

_NONCE = re.compile(r"0x[0-9a-f]{64}")


def anchored_hash_of(credential: dict[str, Any]) -> bytes:
    """The hash the anchor commits to for ``credential``: its own (:func:`~._issuance.credential_hash`),
    or — a derived copy — the one its issuer signed as the base proof's nonce. Every copy of one
    credential, whole or derived with any pointers, has the same (what "converted once" goes by)."""
    if not is_derived(credential):
        return credential_hash(credential)
    nonce = sd_proof_of(credential).get("nonce")
    if not isinstance(nonce, str) or not _NONCE.fullmatch(nonce):
        raise CredentialError("the ecdsa-sd-2023 proof signs no credential hash (nonce 0x + 64 hex digits): it cannot be tied to an anchor")
    return bytes.fromhex(nonce[2:])


def derive_credential(credential: dict[str, Any], pointers: Sequence[str]) -> dict[str, Any]:
    """The holder's selectively disclosed copy of an issued credential: the mandatory fields and those
    ``pointers`` select, with the derived ecdsa-sd-2023 proof and the credential's anchor proof (whose
    ``credentialHash`` the base proof signed as its nonce). Needs nothing but the credential: no
    registry, no chain. Raises :class:`CredentialError` naming what is wrong."""
    if not isinstance(credential, dict):
        raise CredentialError("the credential is not a JSON object")
    base = sd_proof_of(credential)
    proofs = credential.get("proof")
    anchors = [p for p in (proofs if isinstance(proofs, list) else [proofs]) if isinstance(p, dict) and p.get("type") == ANCHOR_PROOF_TYPE]
    derived = derive_sd(credential, list(pointers))
    if len(anchors) == 1 and isinstance(base.get("nonce"), str) and base["nonce"] == anchors[0].get("credentialHash"):
        derived["proof"] = [derived["proof"], dict(anchors[0])]
    return derived


def disclosure_choices(credential: dict[str, Any]) -> tuple[list[str], list[str]]:
    """(what every derived copy of ``credential`` shows, what the holder may choose): the first is the
    mandatory pointers its issuer signed in the base proof — not what EduLedger would make mandatory
    today, which an older or foreign base proof may exceed — and the second the record's other fields.
    Raises :class:`CredentialError` when the credential carries no base proof."""
    if not isinstance(credential, dict):
        raise CredentialError("the credential is not a JSON object")
    always = list(parse_base_proof(sd_proof_of(credential))[4])
    candidates = dict.fromkeys([*mandatory_pointers(credential), *disclosable_pointers(credential)])
    choose = [p for p in candidates if p not in always and not any(p.startswith(a.rstrip("/") + "/") for a in always)]
    return always, choose
