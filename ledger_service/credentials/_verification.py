"""Verifying a credential: every check reported on its own, and an outcome that is never "valid" by
default — "valid" only when every check passed, "invalid" naming the first failed check, "cannot
tell" when a check could not be made (chain unreachable, status list not at hand).

Checks: schema (and pinned contexts only), canonical hash, Merkle path, anchored on chain with the
confirmations asked, the anchoring institution named as issuer and authorised for the credential
type *at the anchoring time* (later rotation or revocation never invalidates it), issuer signature,
the signing key registered to that institution at that time, status, validity dates.

Bad input — malformed JSON, oversize documents, unknown contexts, anything not a credential — gets
an "invalid" report naming the check, never an exception.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .._exceptions import ChainError, CredentialError, InvalidKeyError
from ._chain_view import ChainFacts
from ._data_integrity import signature_proof
from ._data_integrity import verify as verify_signature
from ._issuance import ANCHOR_PROOF_TYPE, credential_hash, institution_uri
from ._jsonld import PINNED_CONTEXTS
from ._keys import Ed25519PublicKeyRef
from ._merkle import leaf_hash, verify_proof
from ._schema import schema_errors
from ._status_list import status_list_hash, status_value

__all__ = [
    "CANNOT_TELL",
    "INVALID",
    "MAX_CREDENTIAL_BYTES",
    "StatusResolver",
    "VALID",
    "Check",
    "VerificationReport",
    "parse_credential",
    "verify_credential",
]

VALID, INVALID, CANNOT_TELL = "valid", "invalid", "cannot_tell"
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
MAX_CREDENTIAL_BYTES = 1 << 20  # a credential is a few KiB; a megabyte is an attack or a mistake
StatusResolver = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class Check:
    name: str
    result: str  # pass / fail / unknown
    detail: str = ""


@dataclass
class VerificationReport:
    checks: list[Check] = field(default_factory=list)
    # Offline bundles: when the snapshot was taken and how old its status is.
    freshness: dict[str, Any] | None = None

    @property
    def outcome(self) -> str:
        if any(c.result == FAIL for c in self.checks):
            return INVALID
        if not self.checks or any(c.result == UNKNOWN for c in self.checks):
            return CANNOT_TELL
        return VALID

    @property
    def failed(self) -> Check | None:
        return next((c for c in self.checks if c.result == FAIL), None)

    def add(self, name: str, result: str, detail: str = "") -> None:
        self.checks.append(Check(name, result, detail))

    def as_dict(self) -> dict[str, Any]:
        failed = self.failed
        return {
            "outcome": self.outcome,
            "failed_check": failed.name if failed else None,
            "checks": [{"name": c.name, "result": c.result, "detail": c.detail} for c in self.checks],
            **({"freshness": self.freshness} if self.freshness is not None else {}),
        }


def parse_credential(text: str | bytes) -> Any:
    """Parse a credential's JSON text; :class:`CredentialError` names what is wrong (size, syntax)."""
    size = len(text.encode() if isinstance(text, str) else text)
    if size > MAX_CREDENTIAL_BYTES:
        raise CredentialError(f"the document is {size:,} bytes; credentials are limited to {MAX_CREDENTIAL_BYTES:,}")
    try:
        return json.loads(text)
    except (ValueError, UnicodeDecodeError) as exc:
        raise CredentialError(f"the document is not JSON: {exc}") from None


def _hex(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError(f"expected 0x-hex, got {value!r}")
    return bytes.fromhex(value[2:])


def _time(text: Any) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def verify_credential(
    credential: Any,
    *,
    chain: ChainFacts | None,
    now: datetime | None = None,
    confirmations: int = 1,
    status_resolver: StatusResolver | None = None,
) -> VerificationReport:
    """Run every check on ``credential`` (a parsed document, or its JSON text); never raises for a
    bad credential, only reports."""
    report = VerificationReport()
    if isinstance(credential, (str, bytes)):
        try:
            credential = parse_credential(credential)
        except CredentialError as exc:
            report.add("schema", FAIL, str(exc))
            return report
    if not isinstance(credential, dict):
        report.add("schema", FAIL, "the credential is not a JSON object")
        return report
    problems = schema_errors(credential)
    contexts = credential.get("@context")
    for context in contexts if isinstance(contexts, list) else [contexts]:
        if not isinstance(context, str) or context not in PINNED_CONTEXTS:
            problems.insert(0, f"@context: unknown context {str(context)[:100]!r} (only pinned contexts; nothing is fetched)")
    report.add("schema", FAIL if problems else PASS, "; ".join(problems[:3]))

    proofs = credential.get("proof")
    proofs = proofs if isinstance(proofs, list) else [proofs] if isinstance(proofs, dict) else []
    anchor_proof = next((p for p in proofs if isinstance(p, dict) and p.get("type") == ANCHOR_PROOF_TYPE), None)
    root = value = None
    if anchor_proof is None:
        report.add("canonical_hash", FAIL, "no EduLedger anchor proof")
    else:
        try:
            value = credential_hash(credential)
            claimed = _hex(anchor_proof.get("credentialHash"))
            root = _hex(anchor_proof.get("merkleRoot"))
            path = [_hex(node) for node in anchor_proof.get("merkleProof", [])]
        except (ValueError, CredentialError) as exc:
            report.add("canonical_hash", FAIL, f"unreadable anchor proof: {exc}")
        else:
            report.add("canonical_hash", PASS if value == claimed else FAIL, "" if value == claimed else "the credential was changed")
            ok = verify_proof(root, leaf_hash(value), path)
            report.add("merkle_path", PASS if ok else FAIL, "" if ok else "the path does not lead to the root")

    anchor = _check_anchor(report, chain, credential, anchor_proof, root, confirmations) if root is not None else None
    try:
        signed = verify_signature(credential, jcs_document_hash=value)
    except CredentialError as exc:
        signed = False
        report.add("issuer_signature", FAIL, str(exc))
    else:
        report.add("issuer_signature", PASS if signed else FAIL, "" if signed else "the Data Integrity proof does not verify")
    _check_signing_key(report, chain, credential, anchor)
    _check_status(report, chain, credential, status_resolver)
    _check_dates(report, credential, now or datetime.now(timezone.utc))
    return report


def _check_anchor(
    report: VerificationReport,
    chain: ChainFacts | None,
    credential: dict[str, Any],
    proof: dict[str, Any] | None,
    root: bytes,
    confirmations: int,
) -> dict[str, Any] | None:
    """Checks ``anchored`` and ``issuer_accredited``; returns the anchor record when it was found."""
    if chain is None or proof is None:
        report.add("anchored", UNKNOWN, "no chain to check against")
        report.add("issuer_accredited", UNKNOWN, "no chain to check against")
        return None
    if proof.get("chainId") != chain.chain_id or str(proof.get("anchorContract", "")).lower() != chain.anchor_address.lower():
        report.add("anchored", FAIL, "the proof names another chain or anchor contract")
        return None
    try:
        anchor = chain.anchor_of(root)
        head = chain.head()
    except ChainError as exc:
        report.add("anchored", UNKNOWN, f"chain unreachable: {exc}")
        report.add("issuer_accredited", UNKNOWN, "chain unreachable")
        return None
    if anchor["anchoredAt"] == 0:
        report.add("anchored", FAIL, "the root is not anchored on chain")
        return None
    mismatch = _receipt_mismatch(chain, proof, anchor, root)
    if mismatch:
        report.add("anchored", FAIL if mismatch != _UNREACHABLE else UNKNOWN, mismatch)
        report.add("issuer_accredited", UNKNOWN, "the anchor proof is not trustworthy")
        return None
    depth = head - int(anchor["blockNumber"]) + 1
    if depth < confirmations:
        report.add("anchored", UNKNOWN, f"{depth} of {confirmations} confirmations so far")
    else:
        report.add("anchored", PASS, f"block {anchor['blockNumber']}, {depth} confirmations")
    issuer = credential.get("issuer")
    named = issuer.get("id") if isinstance(issuer, dict) else issuer
    anchoring_institution = institution_uri(bytes(anchor["institutionId"]))
    if named != anchoring_institution:
        report.add("issuer_accredited", FAIL, f"the credential names issuer {str(named)[:100]!r} but {anchoring_institution} anchored it")
        return anchor
    try:
        authorised = chain.issuer_authorized(
            anchor["issuer"], bytes(anchor["institutionId"]), bytes(anchor["credentialType"]), int(anchor["anchoredAt"])
        )
    except ChainError as exc:
        report.add("issuer_accredited", UNKNOWN, f"chain unreachable: {exc}")
        return anchor
    report.add(
        "issuer_accredited",
        PASS if authorised else FAIL,
        "" if authorised else "the anchoring key was not authorised for this type at the anchoring time",
    )
    return anchor


_UNREACHABLE = "chain unreachable while reading the anchoring transaction"


def _receipt_mismatch(chain: ChainFacts, proof: dict[str, Any], anchor: dict[str, Any], root: bytes) -> str:
    """What in the anchor proof's receipt (purpose, anchoring key, block, transaction) disagrees with the chain."""
    if proof.get("proofPurpose") != "assertionMethod":
        return "the anchor proof's purpose is not assertionMethod"
    if str(proof.get("verificationMethod", "")).lower() != f"eip155:{chain.chain_id}:{anchor['issuer']}".lower():
        return "the anchor proof names another anchoring key than the chain records"
    if proof.get("blockNumber") != int(anchor["blockNumber"]):
        return "the anchor proof names another block than the chain records"
    tx_hash = proof.get("transactionHash")
    if not isinstance(tx_hash, str) or not re.fullmatch(r"0x[0-9a-fA-F]{64}", tx_hash):
        return "the anchor proof's transaction hash is malformed"
    try:
        transaction = chain.transaction(tx_hash)
    except ChainError:
        return _UNREACHABLE
    if (
        transaction is None
        or str(transaction["to"]).lower() != chain.anchor_address.lower()
        or int(transaction["blockNumber"]) != int(anchor["blockNumber"])
        or root.hex() not in str(transaction["input"]).lower()
    ):
        return "the anchor proof's transaction is not the one that anchored this root"
    return ""


def _check_signing_key(
    report: VerificationReport, chain: ChainFacts | None, credential: dict[str, Any], anchor: dict[str, Any] | None
) -> None:
    """The Data Integrity key must be registered on chain to the anchoring institution at the anchoring time."""
    proof = signature_proof(credential)
    try:
        key = Ed25519PublicKeyRef.from_verification_method(str((proof or {}).get("verificationMethod", "")))
    except InvalidKeyError as exc:
        report.add("signing_key", FAIL, f"no usable signing key: {exc}")
        return
    if chain is None or anchor is None:
        report.add("signing_key", UNKNOWN, "no anchor on chain to judge the key at")
        return
    try:
        valid = chain.signing_key_valid(key.raw, bytes(anchor["institutionId"]), int(anchor["anchoredAt"]))
    except ChainError as exc:
        report.add("signing_key", UNKNOWN, f"chain unreachable: {exc}")
        return
    report.add(
        "signing_key",
        PASS if valid else FAIL,
        "" if valid else f"key {key.multibase} was not registered to the issuer, or not valid, at the anchoring time",
    )


def _check_status(
    report: VerificationReport, chain: ChainFacts | None, credential: dict[str, Any], resolver: StatusResolver | None
) -> None:
    entries = credential.get("credentialStatus")
    if entries is None:
        report.add("status", PASS, "no status entry: not revocable")
        return
    entries = entries if isinstance(entries, list) else [entries]
    if resolver is None or chain is None:
        report.add("status", UNKNOWN, "the status list is not at hand")
        return
    for entry in entries:
        try:
            url = str(entry["statusListCredential"])
            index = int(entry["statusListIndex"])
            listed = resolver(url)
            anchored = chain.status_list_hash(url)
        except ChainError as exc:
            report.add("status", UNKNOWN, f"chain unreachable: {exc}")
            return
        except (KeyError, ValueError, TypeError, CredentialError) as exc:
            report.add("status", UNKNOWN, f"status list unavailable: {exc}")
            return
        if not isinstance(listed, dict):
            report.add("status", FAIL, f"the status list {url} is not a JSON object")
            return
        if status_list_hash(listed) != anchored:
            report.add("status", FAIL, f"the status list {url} is not the one anchored on chain (stale or forged)")
            return
        try:
            if not verify_signature(listed):
                report.add("status", FAIL, "the status list's signature does not verify")
                return
            size = int(entry.get("statusSize", 1))
            value = status_value(listed, index, size)
            if value:
                meaning = next((str(m.get("message")) for m in entry.get("statusMessage") or []
                                if isinstance(m, dict) and str(m.get("status", "")).lower() == hex(value)), None)
                purpose = str(entry.get("statusPurpose", "status"))
                report.add("status", FAIL, f"{meaning or purpose + ' set'} (index {index}, value {hex(value)})")
                return
        except CredentialError as exc:
            report.add("status", FAIL, str(exc))
            return
    report.add("status", PASS)


def _check_dates(report: VerificationReport, credential: dict[str, Any], now: datetime) -> None:
    try:
        valid_from = _time(credential["validFrom"]) if "validFrom" in credential else None
        valid_until = _time(credential["validUntil"]) if "validUntil" in credential else None
    except ValueError as exc:
        report.add("validity_dates", FAIL, f"unreadable date: {exc}")
        return
    if valid_from and now < valid_from:
        report.add("validity_dates", FAIL, f"not valid before {credential['validFrom']}")
    elif valid_until and now >= valid_until:
        report.add("validity_dates", FAIL, f"expired at {credential['validUntil']}")
    else:
        report.add("validity_dates", PASS)
