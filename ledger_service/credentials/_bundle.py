"""Verification bundles: a credential and what is needed to verify it, online or without a network.

A bundle (version 2) is made at one block: it carries that block's header, ``eth_getProof``
account and storage proofs of every contract slot verification reads (the batch's anchor, the
issuer key, the accreditation chain, the signing key, each status list's record), the status-list
credentials in force at that block, and the pinned JSON-LD contexts the credential uses.

Verifying it **online** (a chain at hand) ignores every chain fact in it: the live chain decides,
and the bundle contributes only the status lists' bytes (whose hashes the chain anchors).
Verifying it **offline** needs a :class:`~ledger_service.credentials.TrustAnchor` the verifier
held beforehand: the header must hash to one of its checkpoints, and each fact is read from
proofs against that header's state root. An offline "valid" therefore means: every fact was
proven against the state of a block whose hash the verifier trusted, with the status as of that
block's time (refused as "cannot tell" past ``max_status_age``). Without a trust anchor, or for a
version-1 bundle (self-asserted records), the chain facts are "cannot tell", never "valid".
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone
from typing import Any

from .._exceptions import ChainError, CredentialError, InvalidJsonError, InvalidProofError
from .._json import check_json_value
from ..chain import HEADER_FIELDS, block_header_hash, fetch_state_proofs
from ._chain_view import ChainFacts, ChainView
from ._did_web import DidResolver, did_web_institution
from ._issuance import ANCHOR_PROOF_TYPE
from ._jsonld import PINNED_CONTEXTS, pinned_context_text
from ._proven import TRUSTED_CONTRACTS, RecordingWords, StateChainView, TrustAnchor, proven_chain_view
from ._status_list import status_list_hash
from ._verification import (
    FAIL,
    PASS,
    UNKNOWN,
    StatusResolver,
    VerificationReport,
    _status_entries,
    verify_credential,
)

__all__ = ["BUNDLE_TYPE", "BUNDLE_VERSION", "DEFAULT_MAX_STATUS_AGE", "make_bundle", "verify_bundle"]

BUNDLE_TYPE = "EduLedgerVerificationBundle"
BUNDLE_VERSION = 2
DEFAULT_MAX_STATUS_AGE = 30 * 86400.0  # seconds: a status older than this is "cannot tell" offline
MAX_BUNDLED_LISTS = 8


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def _anchor_proof(credential: dict[str, Any]) -> dict[str, Any]:
    proofs = credential.get("proof")
    for proof in proofs if isinstance(proofs, list) else [proofs]:
        if isinstance(proof, dict) and proof.get("type") == ANCHOR_PROOF_TYPE:
            return proof
    raise CredentialError("the credential carries no EduLedger anchor proof; nothing to bundle")


def _candidates(found: Any) -> list[Any]:
    return [found] if isinstance(found, dict) else list(found)


def make_bundle(
    credential: dict[str, Any],
    *,
    chain: ChainView,
    status_resolver: StatusResolver | None = None,
    at_block: int | None = None,
    now: datetime | None = None,
    did_resolver: DidResolver | None = None,
) -> dict[str, Any]:
    """Collect what verifies ``credential`` at block ``at_block`` (default: the head): the header,
    the proofs of every slot verification reads there, and the status lists then in force. Reads
    the chain; raises :class:`CredentialError` (or :class:`ChainError`) when it cannot."""
    moment = now or datetime.now(timezone.utc)
    proof = _anchor_proof(credential)
    block = chain.head() if at_block is None else at_block
    header = chain.rpc.request("eth_getBlockByNumber", [hex(block), False])
    if not header:
        raise CredentialError(f"the chain has no block {block}")
    fields = {name: header[name] for name, _ in HEADER_FIELDS if name in header}
    if "0x" + block_header_hash(fields).hex() != str(header.get("hash", "")).lower():
        raise InvalidProofError(
            "this node's block headers do not hash as Ethereum headers (a QBFT chain?); bundles with block proofs cannot be made from it"
        )
    contracts = {"CredentialAnchor": chain.anchor.address, "InstitutionRegistry": chain.directory.address}
    words = RecordingWords(chain.rpc, block)
    view = StateChainView(chain_id=chain.chain_id, contracts=contracts, block_number=block, word=words)
    root = str(proof.get("merkleRoot", ""))
    try:
        anchored = view.anchor_of(bytes.fromhex(root[2:]))["anchoredAt"] if len(root) == 66 else 0
    except ValueError:
        anchored = 0
    if not anchored:
        raise CredentialError(f"root {root[:66]} is not anchored on chain at block {block}")
    in_force: dict[str, dict[str, Any]] = {}
    if credential.get("credentialStatus") is not None:
        for entry in _status_entries(credential["credentialStatus"]):
            if status_resolver is None:
                raise CredentialError(f"the credential refers to status list {entry.url}; give a status resolver")
            record = view.status_list_of(entry.url)
            listed = next(
                (
                    c
                    for c in _candidates(status_resolver(entry.url))
                    if isinstance(c, dict) and status_list_hash(c) == bytes(record["listHash"])
                ),
                None,
            )
            if listed is None:
                raise CredentialError(
                    f"the status list at hand for {entry.url} is not the one in force at block {block} "
                    f"(version {record['version']}); fetch the current one"
                )
            in_force[entry.url] = listed
    # A did:web issuer's DID document travels in the bundle: offline, it is compared with the proven
    # chain state like any other claim (the slots that takes are proven below).
    dids: dict[str, Any] = {}
    issuer = credential.get("issuer")
    did = issuer.get("id") if isinstance(issuer, dict) else issuer
    if isinstance(did, str) and did_web_institution(did) is not None:
        if did_resolver is None:
            raise CredentialError(f"the credential's issuer is {did}; give a DID resolver to bundle its DID document")
        dids[did] = did_resolver(did)
    # Run the verification itself on the live state at that block: every slot it reads is one the bundle must prove.
    verify_credential(
        credential, chain=view, now=moment, status_resolver=lambda url: in_force[url], did_resolver=lambda wanted: dids[wanted]
    )
    urls = {c for c in credential.get("@context", []) if isinstance(c, str)}
    for listed in in_force.values():
        urls |= {c for c in listed.get("@context", []) if isinstance(c, str)}
    return {
        "type": BUNDLE_TYPE,
        "version": BUNDLE_VERSION,
        "credential": credential,
        "chain": {"chainId": chain.chain_id, "contracts": contracts},
        "block": {**fields, "hash": header["hash"]},
        "proofs": fetch_state_proofs(chain.rpc, block, words.read),
        "contexts": {url: pinned_context_text(url) for url in sorted(urls) if url in PINNED_CONTEXTS},
        "statusLists": [{"url": url, "credential": listed} for url, listed in in_force.items()],
        **({"didDocuments": dids} if dids else {}),
        "madeAt": _iso(moment),
    }


def _bundled_lists(bundle: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    listed = bundle.get("statusLists", [])
    if not isinstance(listed, list) or len(listed) > MAX_BUNDLED_LISTS:
        raise CredentialError(f"statusLists must be a list of at most {MAX_BUNDLED_LISTS}")
    by_url: dict[str, list[dict[str, Any]]] = {}
    for item in listed:
        if not isinstance(item, dict) or not isinstance(item.get("url"), str) or not isinstance(item.get("credential"), dict):
            raise CredentialError("each of statusLists must be {url, credential: a status list credential}")
        by_url.setdefault(item["url"], []).append(item["credential"])
    return by_url


def _digest(text: Any) -> str | None:
    return hashlib.sha256(text.encode()).hexdigest() if isinstance(text, str) else None


def verify_bundle(
    bundle: Any,
    *,
    chain: ChainFacts | None = None,
    trust: TrustAnchor | None = None,
    now: datetime | None = None,
    max_status_age: float | None = DEFAULT_MAX_STATUS_AGE,
    confirmations: int = 1,
    status_resolver: StatusResolver | None = None,
    did_resolver: DidResolver | None = None,
) -> VerificationReport:
    """Verify a bundle: online against ``chain`` if given (the bundle's status lists are used after
    ``status_resolver``'s, its DID documents after ``did_resolver``'s), else offline against ``trust``
    (see the module's description)."""
    moment = now or datetime.now(timezone.utc)
    report = VerificationReport()
    try:
        if not isinstance(bundle, dict) or bundle.get("type") != BUNDLE_TYPE:
            raise CredentialError(f"not an {BUNDLE_TYPE}")
        if bundle.get("version") not in (1, BUNDLE_VERSION):
            raise CredentialError(f"bundle version {str(bundle.get('version'))[:20]} is not one this verifier reads (1, 2)")
        check_json_value(bundle)
        credential = bundle["credential"]
        bundled = _bundled_lists(bundle)
        contexts = bundle.get("contexts", {})
        if not isinstance(contexts, dict):
            raise CredentialError("contexts must be an object")
        bundled_dids = bundle.get("didDocuments", {})
        if not isinstance(bundled_dids, dict):
            raise CredentialError("didDocuments must be an object")
    except (CredentialError, InvalidJsonError, KeyError) as exc:
        report.add("bundle", FAIL, f"unreadable bundle: {exc}")
        return report
    altered = [url for url, text in contexts.items() if url not in PINNED_CONTEXTS or _digest(text) != PINNED_CONTEXTS[url][1]]
    report.add("bundle", FAIL if altered else PASS, f"altered or unknown contexts: {altered}" if altered else "")

    def resolve(url: str) -> list[dict[str, Any]]:
        found: list[Any] = []
        if status_resolver is not None:
            try:
                found = _candidates(status_resolver(url))
            except (CredentialError, ChainError, LookupError, ValueError, OSError):
                found = []
        found += bundled.get(url, [])
        if not found:
            raise CredentialError(f"status list {url} is neither at hand nor in the bundle")
        return found

    def resolve_did(did: str) -> Any:
        if did_resolver is not None:
            try:
                return did_resolver(did)
            except (CredentialError, ChainError, LookupError, ValueError, OSError):
                pass
        if did not in bundled_dids:
            raise LookupError(f"the DID document of {did[:120]} is neither at hand nor in the bundle")
        return bundled_dids[did]

    if chain is not None:  # online: the live chain decides every fact
        inner = verify_credential(
            credential, chain=chain, now=moment, confirmations=confirmations, status_resolver=resolve, did_resolver=resolve_did
        )
        report.checks.extend(inner.checks)
        return report
    view, block = None, None
    if bundle["version"] != BUNDLE_VERSION:
        report.add(
            "checkpoint", UNKNOWN, "a version-1 bundle asserts its chain records without proofs: verify it online, or ask for a new bundle"
        )
    elif trust is None:
        report.add(
            "checkpoint",
            UNKNOWN,
            "no trust anchor: offline, chain facts count only when proven against a block "
            "you trusted beforehand (edu-wallet trust export, then verify --trust)",
        )
    else:
        claimed = bundle.get("chain")
        try:
            if (
                not isinstance(claimed, dict)
                or claimed.get("chainId") != trust.chain_id
                or any(
                    str((claimed.get("contracts") or {}).get(name, "")).lower() != trust.contracts[name].lower()
                    for name in TRUSTED_CONTRACTS
                )
            ):
                raise InvalidProofError("the bundle was made for another chain or other contracts than the trust anchor's")
            view, block = proven_chain_view(trust, bundle.get("block"), bundle.get("proofs"))
        except (InvalidProofError, TypeError, ValueError, KeyError) as exc:
            report.add("checkpoint", UNKNOWN, str(exc) if isinstance(exc, InvalidProofError) else f"unreadable block header: {exc}")
        else:
            report.add("checkpoint", PASS, f"block {block.number} ({bundle['block'].get('hash', '')}) is a trusted checkpoint")
    inner = verify_credential(credential, chain=view, now=moment, status_resolver=resolve, did_resolver=resolve_did)
    report.checks.extend(inner.checks)
    if block is not None:
        age = int((moment - block.timestamp).total_seconds())
        report.freshness = {"block": block.number, "block_time": _iso(block.timestamp), "status_age_seconds": age}
        if max_status_age is not None and age > max_status_age:
            report.checks = [
                c
                if c.name != "status" or c.result == FAIL or c.detail.startswith("no status entry")
                else type(c)(
                    "status",
                    UNKNOWN,
                    f"the status is as of {_iso(block.timestamp)}, {age:,} s ago (limit {max_status_age:,.0f} s): ask for a newer bundle",
                )
                for c in report.checks
            ]
    return report
