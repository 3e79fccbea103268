"""The InstitutionRegistry's judgements, in Python, for verifiers that read its records instead of
calling it: one mirror of ``isAccredited``, ``isAuthorizedIssuer`` and ``isValidSigningKey``
used by every offline path. Tests hold it to the contract on the same records.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["MAX_ACCREDITATION_DEPTH", "in_window", "is_accredited", "is_authorized_issuer", "is_valid_signing_key"]

# InstitutionRegistry._MAX_DEPTH: a private constant, so not in the ABI; the tests compare a chain
# deeper than this against the contract.
MAX_ACCREDITATION_DEPTH = 8
_NONE = bytes(32)

Record = dict[str, Any]


def in_window(record: Record, at: int) -> bool:
    """``_inWindow``: ``[validFrom, validUntil)``, and before ``revokedFrom`` when that is set."""
    revoked = int(record["revokedFrom"])
    return int(record["validFrom"]) <= at < int(record["validUntil"]) and (revoked == 0 or at < revoked)


def is_accredited(accreditation: Callable[[bytes, bytes], Record], institution_id: bytes, credential_type: bytes, at: int) -> bool:
    """``isAccredited``: every grant from the institution up to a root (accreditor zero) in its window."""
    current = institution_id
    for _ in range(MAX_ACCREDITATION_DEPTH):
        grant = accreditation(current, credential_type)
        if not in_window(grant, at):
            return False
        accreditor = bytes(grant["accreditorId"])
        if accreditor == _NONE:
            return True
        current = accreditor
    return False


def is_authorized_issuer(
    issuer_key: Callable[[str], Record],
    accreditation: Callable[[bytes, bytes], Record],
    key: str,
    institution_id: bytes,
    credential_type: bytes,
    at: int,
) -> bool:
    """``isAuthorizedIssuer``: the key belongs to the institution, is in its window, and the institution is accredited."""
    record = issuer_key(key)
    return (
        institution_id != _NONE
        and bytes(record["institutionId"]) == institution_id
        and in_window(record, at)
        and is_accredited(accreditation, institution_id, credential_type, at)
    )


def is_valid_signing_key(signing_key: Callable[[bytes], Record], public_key: bytes, institution_id: bytes, at: int) -> bool:
    """``isValidSigningKey``: the Ed25519 key is registered to the institution and in its window."""
    record = signing_key(public_key)
    return institution_id != _NONE and bytes(record["institutionId"]) == institution_id and in_window(record, at)
