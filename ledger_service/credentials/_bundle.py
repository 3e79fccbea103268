"""Offline verification bundles: a credential and everything needed to verify it without a network.

A bundle carries the anchor receipt (the anchor record and its transaction), the issuer key's
record, the accreditation chain from the issuing institution up to governance, the signing key's
record, the pinned JSON-LD contexts the credential uses, and each status list with the hash
anchored on chain and the time it was fetched. The records are read at the chain head when the
bundle is made and judged at the anchoring time, exactly as live verification judges them (so a
retroactive revocation known when the bundle was made counts).

Verifying a bundle re-runs every cryptographic check (canonical hash, Merkle path, signatures,
status list against its anchored hash) and judges the snapshot's records; it reports when the
snapshot was taken and how old its status is, and can refuse a status older than a limit.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from .._exceptions import ChainError, CredentialError
from ._chain_view import ChainView
from ._data_integrity import signature_proof
from ._issuance import ANCHOR_PROOF_TYPE
from ._jsonld import PINNED_CONTEXTS, pinned_context_text
from ._keys import Ed25519PublicKeyRef
from ._verification import FAIL, PASS, UNKNOWN, StatusResolver, VerificationReport, verify_credential

__all__ = ["BUNDLE_TYPE", "BundleView", "make_bundle", "verify_bundle"]

BUNDLE_TYPE = "EduLedgerVerificationBundle"
_ZERO = "0x" + "00" * 32
_MAX_DEPTH = 8  # as the contract's accreditation walk


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _hex(value: Any) -> str:
    return "0x" + bytes(value).hex() if isinstance(value, (bytes, bytearray)) else str(value)


def _record(raw: dict[str, Any]) -> dict[str, Any]:
    return {k: _hex(v) if isinstance(v, (bytes, bytearray)) else v for k, v in raw.items()}


def _anchor_proof(credential: dict[str, Any]) -> dict[str, Any]:
    proofs = credential.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if isinstance(proof, dict) and proof.get("type") == ANCHOR_PROOF_TYPE:
            return proof
    raise CredentialError("the credential carries no EduLedger anchor proof; nothing to bundle")


def make_bundle(
    credential: dict[str, Any],
    *,
    chain: ChainView,
    status_resolver: StatusResolver | None = None,
    now: datetime | None = None,
) -> dict[str, Any]:
    """Collect everything needed to verify ``credential`` offline (reads the chain; raises on failure)."""
    moment = now or datetime.now(timezone.utc)
    proof = _anchor_proof(credential)
    root = bytes.fromhex(str(proof["merkleRoot"])[2:])
    anchor = chain.anchor_of(root)
    if anchor["anchoredAt"] == 0:
        raise CredentialError(f"root {proof['merkleRoot']} is not anchored on chain")
    transaction = chain.transaction(str(proof.get("transactionHash")))
    directory = chain.directory
    institution, credential_type = bytes(anchor["institutionId"]), bytes(anchor["credentialType"])
    accreditations = []
    current = institution
    for _ in range(_MAX_DEPTH):
        grant = directory.call("accreditation", current, credential_type)
        accreditations.append({"institutionId": _hex(current), **_record(grant)})
        current = bytes(grant["accreditorId"])
        if current == b"\0" * 32 or grant["validUntil"] == 0:
            break
    signing = signature_proof(credential)
    key = Ed25519PublicKeyRef.from_verification_method(str((signing or {}).get("verificationMethod", "")))
    status_lists: list[dict[str, Any]] = []
    entries = credential.get("credentialStatus")
    for entry in entries if isinstance(entries, list) else [entries] if entries else []:
        url = str(entry["statusListCredential"])
        if status_resolver is None:
            raise CredentialError(f"the credential refers to status list {url}; give a status resolver")
        status_lists.append(
            {"url": url, "credential": status_resolver(url), "anchoredHash": _hex(chain.status_list_hash(url)),
             "fetchedAt": _iso(moment)}
        )
    urls = {c for c in credential.get("@context", []) if isinstance(c, str)}
    for listed in status_lists:
        urls |= {c for c in listed["credential"].get("@context", []) if isinstance(c, str)}
    return {
        "type": BUNDLE_TYPE,
        "version": 1,
        "credential": credential,
        "capturedAt": _iso(moment),
        "chain": {
            "chainId": chain.chain_id,
            "anchorContract": chain.anchor.address,
            "directoryContract": directory.address,
            "headBlock": chain.head(),
        },
        "anchor": {"merkleRoot": proof["merkleRoot"], "record": _record(anchor), "transaction": transaction},
        "issuerKey": {"address": anchor["issuer"], "record": _record(directory.call("issuerKey", anchor["issuer"]))},
        "accreditations": accreditations,
        "signingKey": {"publicKey": _hex(key.raw), "record": _record(directory.call("signingKey", key.raw))},
        "contexts": {url: pinned_context_text(url) for url in sorted(urls) if url in PINNED_CONTEXTS},
        "statusLists": status_lists,
    }


def _in_window(record: dict[str, Any], at: int) -> bool:
    revoked = int(record["revokedFrom"])
    return int(record["validFrom"]) <= at < int(record["validUntil"]) and (revoked == 0 or at < revoked)


class BundleView:
    """:class:`ChainFacts` answered from a bundle's snapshot; what it lacks raises :class:`ChainError`."""

    def __init__(self, bundle: dict[str, Any]) -> None:
        self.bundle = bundle
        chain = bundle["chain"]
        self._chain_id = int(chain["chainId"])
        self._anchor_address = str(chain["anchorContract"])

    @property
    def chain_id(self) -> int:
        return self._chain_id

    @property
    def anchor_address(self) -> str:
        return self._anchor_address

    def anchor_of(self, root: bytes) -> dict[str, Any]:
        anchor = self.bundle["anchor"]
        if anchor["merkleRoot"].lower() != "0x" + root.hex():
            raise ChainError("the bundle holds no anchor for this root")
        return {k: bytes.fromhex(v[2:]) if isinstance(v, str) and len(v) == 66 else v for k, v in anchor["record"].items()}

    def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        found = self.bundle["anchor"].get("transaction")
        return found if isinstance(found, dict) and found else None

    def head(self) -> int:
        return int(self.bundle["chain"]["headBlock"])

    def issuer_authorized(self, key: str, institution_id: bytes, credential_type: bytes, at: int) -> bool:
        issuer = self.bundle["issuerKey"]
        record = issuer["record"]
        if str(issuer["address"]).lower() != key.lower():
            raise ChainError("the bundle holds no record of this issuer key")
        if record["institutionId"] != _hex(institution_id) or not _in_window(record, at):
            return False
        grants = {g["institutionId"]: g for g in self.bundle["accreditations"]}
        current = _hex(institution_id)
        for _ in range(_MAX_DEPTH):
            grant = grants.get(current)
            if grant is None:
                raise ChainError(f"the bundle holds no accreditation record for {current}")
            if not _in_window(grant, at):
                return False
            if grant["accreditorId"] == _ZERO:
                return True
            current = grant["accreditorId"]
        return False

    def signing_key_valid(self, public_key: bytes, institution_id: bytes, at: int) -> bool:
        signing = self.bundle["signingKey"]
        if signing["publicKey"] != _hex(public_key):
            raise ChainError("the bundle holds no record of this signing key")
        record = signing["record"]
        return bool(record["institutionId"] == _hex(institution_id) and _in_window(record, at))

    def status_list_hash(self, url: str) -> bytes:
        for listed in self.bundle.get("statusLists", []):
            if listed["url"] == url:
                return bytes.fromhex(str(listed["anchoredHash"])[2:])
        raise ChainError(f"the bundle holds no status list {url}")

    def status_list(self, url: str) -> dict[str, Any]:
        for listed in self.bundle.get("statusLists", []):
            if listed["url"] == url:
                return dict(listed["credential"])
        raise CredentialError(f"the bundle holds no status list {url}")


def verify_bundle(
    bundle: Any, *, now: datetime | None = None, max_status_age: float | None = None
) -> VerificationReport:
    """Verify a bundle offline: every check of :func:`verify_credential`, plus the bundled contexts
    against the pinned ones, and the freshness of the snapshot and its status lists."""
    moment = now or datetime.now(timezone.utc)
    report = VerificationReport()
    try:
        if not isinstance(bundle, dict) or bundle.get("type") != BUNDLE_TYPE:
            raise CredentialError(f"not an {BUNDLE_TYPE}")
        view = BundleView(bundle)
        credential = bundle["credential"]
        captured = datetime.fromisoformat(str(bundle["capturedAt"]).replace("Z", "+00:00"))
        fetched = [datetime.fromisoformat(str(s["fetchedAt"]).replace("Z", "+00:00")) for s in bundle.get("statusLists", [])]
    except (CredentialError, KeyError, TypeError, ValueError) as exc:
        report.add("bundle", FAIL, f"unreadable bundle: {exc}")
        return report
    contexts = bundle.get("contexts", {})
    altered = [url for url, text in contexts.items() if url not in PINNED_CONTEXTS or _digest(text) != PINNED_CONTEXTS[url][1]]
    report.add("bundle", FAIL if altered else PASS, f"altered or unknown contexts: {altered}" if altered else "")
    inner = verify_credential(credential, chain=view, now=moment, status_resolver=_resolver(view))
    report.checks.extend(inner.checks)
    report.freshness = {
        "captured_at": bundle["capturedAt"],
        "snapshot_age_seconds": int((moment - captured).total_seconds()),
        "status_fetched_at": _iso(min(fetched)) if fetched else None,
        "status_age_seconds": int((moment - min(fetched)).total_seconds()) if fetched else None,
    }
    age = report.freshness["status_age_seconds"]
    if max_status_age is not None and age is not None and age > max_status_age:
        report.checks = [
            c if c.name != "status" or c.result == FAIL
            else type(c)("status", UNKNOWN, f"the status list is {age:,} s old (limit {max_status_age:,.0f} s); fetch a fresh one")
            for c in report.checks
        ]
    return report


def _digest(text: Any) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if isinstance(text, str) else None


def _resolver(view: BundleView) -> Callable[[str], dict[str, Any]]:
    return view.status_list
