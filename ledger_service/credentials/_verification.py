"""Verifying a credential: every check reported on its own, and an outcome that is never "valid" by
default — "valid" only when every check passed, "invalid" naming the first failed check, "cannot
tell" when a check could not be made (chain unreachable, status list not at hand).

Checks: schema, canonical hash, Merkle path, anchored on chain with the confirmations asked, the
anchoring key authorised for the credential type *at the anchoring time* (later rotation or
revocation never invalidates it), issuer signature, status, validity dates.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from eth_hash.auto import keccak

from .._exceptions import ChainError, CredentialError
from ..chain import BoundContract, RpcClient
from ._data_integrity import verify as verify_signature
from ._issuance import ANCHOR_PROOF_TYPE, credential_hash
from ._merkle import leaf_hash, verify_proof
from ._schema import schema_errors
from ._status_list import status_list_hash, status_of

__all__ = ["CANNOT_TELL", "INVALID", "VALID", "ChainView", "Check", "VerificationReport", "verify_credential"]

VALID, INVALID, CANNOT_TELL = "valid", "invalid", "cannot_tell"
PASS, FAIL, UNKNOWN = "pass", "fail", "unknown"
StatusResolver = Callable[[str], dict[str, Any]]


@dataclass(frozen=True)
class ChainView:
    """What a verifier reads on chain: the anchor contract and the institution directory."""

    rpc: RpcClient
    anchor: BoundContract
    directory: BoundContract
    chain_id: int


@dataclass(frozen=True)
class Check:
    name: str
    result: str  # pass / fail / unknown
    detail: str = ""


@dataclass
class VerificationReport:
    checks: list[Check] = field(default_factory=list)

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


def _hex(value: Any) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x"):
        raise ValueError(f"expected 0x-hex, got {value!r}")
    return bytes.fromhex(value[2:])


def _time(text: Any) -> datetime:
    return datetime.fromisoformat(str(text).replace("Z", "+00:00"))


def verify_credential(
    credential: Any,
    *,
    chain: ChainView | None,
    now: datetime | None = None,
    confirmations: int = 1,
    status_resolver: StatusResolver | None = None,
) -> VerificationReport:
    """Run every check on ``credential``; never raises for a bad credential, only reports."""
    report = VerificationReport()
    if not isinstance(credential, dict):
        report.add("schema", FAIL, "the credential is not a JSON object")
        return report
    problems = schema_errors(credential)
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

    if root is not None:
        _check_anchor(report, chain, anchor_proof, root, confirmations)
    try:
        signed = verify_signature(credential)
    except CredentialError as exc:
        signed = False
        report.add("issuer_signature", FAIL, str(exc))
    else:
        report.add("issuer_signature", PASS if signed else FAIL, "" if signed else "the Data Integrity proof does not verify")
    _check_status(report, chain, credential, status_resolver)
    _check_dates(report, credential, now or datetime.now(timezone.utc))
    return report


def _check_anchor(
    report: VerificationReport, chain: ChainView | None, proof: dict[str, Any] | None, root: bytes, confirmations: int
) -> None:
    if chain is None or proof is None:
        report.add("anchored", UNKNOWN, "no chain to check against")
        report.add("issuer_accredited", UNKNOWN, "no chain to check against")
        return
    if proof.get("chainId") != chain.chain_id or str(proof.get("anchorContract", "")).lower() != chain.anchor.address.lower():
        report.add("anchored", FAIL, "the proof names another chain or anchor contract")
        return
    try:
        anchor = chain.anchor.call("anchorOf", root)
        head = int(chain.rpc.request("eth_blockNumber"), 16)
    except ChainError as exc:
        report.add("anchored", UNKNOWN, f"chain unreachable: {exc}")
        report.add("issuer_accredited", UNKNOWN, "chain unreachable")
        return
    if anchor["anchoredAt"] == 0:
        report.add("anchored", FAIL, "the root is not anchored on chain")
        return
    depth = head - int(anchor["blockNumber"]) + 1
    if depth < confirmations:
        report.add("anchored", UNKNOWN, f"{depth} of {confirmations} confirmations so far")
    else:
        report.add("anchored", PASS, f"block {anchor['blockNumber']}, {depth} confirmations")
    try:
        authorised = chain.directory.call(
            "isAuthorizedIssuer", anchor["issuer"], anchor["institutionId"], anchor["credentialType"], anchor["anchoredAt"]
        )
    except ChainError as exc:
        report.add("issuer_accredited", UNKNOWN, f"chain unreachable: {exc}")
        return
    report.add(
        "issuer_accredited",
        PASS if authorised else FAIL,
        "" if authorised else "the anchoring key was not authorised for this type at the anchoring time",
    )


def _check_status(
    report: VerificationReport, chain: ChainView | None, credential: dict[str, Any], resolver: StatusResolver | None
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
            anchored = chain.anchor.call("statusListOf", keccak(url.encode()))["listHash"]
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
            if status_of(listed, index):
                report.add("status", FAIL, f"{entry.get('statusPurpose', 'status')} set at index {index}")
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
