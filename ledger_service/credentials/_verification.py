"""Verifying a credential: every check reported on its own, and an outcome that is never "valid" by
default — "valid" only when every check passed, "invalid" naming the first failed check, "cannot
tell" when a check could not be made (chain unreachable, status list not at hand).

Checks: schema (and pinned contexts only), canonical hash, Merkle path, anchored on chain with the
confirmations asked, the anchoring institution named as issuer and authorised for the credential
type *at the anchoring time* (later rotation or revocation never invalidates it), issuer signature,
the signing key registered to that institution at that time, status, validity dates.

A selectively disclosed copy (an ecdsa-sd-2023 *derived* proof, :mod:`._disclosure`) is judged the
same way, except that it cannot be hashed whole: ``canonical_hash`` checks that the issuer's base
proof signed the anchored hash (its nonce equals the anchor proof's ``credentialHash``), the Merkle
path starts from that hash, ``issuer_signature`` is the derived proof (any changed, added or hidden
mandatory field fails it), ``signing_key`` is the issuer's P-256 key (registered on chain by its
sha256 fingerprint) at the anchoring time, and only the VC 2.0 schema applies (the OB 3.0 schema
requires fields, such as the narrative, that the holder may withhold).

Bad input — malformed JSON, oversize documents, unknown contexts, anything not a credential — gets
an "invalid" report naming the check, never an exception.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from .._exceptions import ChainError, CredentialError, InvalidJsonError, InvalidKeyError
from .._json import check_json_value, strict_loads
from ._chain_view import ChainFacts
from ._data_integrity import signature_proof
from ._data_integrity import verify as verify_signature
from ._did_web import DidResolver, did_document_disagreement, did_web_institution
from ._disclosure import anchored_hash_of
from ._ecdsa_sd import P256PublicKey, is_derived, sd_proof_of, verify_sd_derived
from ._issuance import ANCHOR_PROOF_TYPE, institution_uri
from ._jsonld import PINNED_CONTEXTS
from ._keys import Ed25519PublicKeyRef
from ._merkle import leaf_hash, verify_proof
from ._schema import schema_errors
from ._status_list import LEGACY_LIFECYCLE_MESSAGES, status_list_hash, status_value

__all__ = [
    "CANNOT_TELL",
    "INVALID",
    "MAX_CREDENTIAL_BYTES",
    "MAX_MERKLE_PROOF",
    "MAX_STATUS_ENTRIES",
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
# The status list credential(s) at hand for a URL: one, or several candidates best first (e.g. the
# list the registry hosts, then the one a bundle carries). Raise when none is at hand.
StatusResolver = Callable[[str], "dict[str, Any] | Sequence[dict[str, Any]]"]


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
        # Details quote the input; a lone surrogate in it must not break whoever prints or serialises them.
        self.checks.append(Check(name, result, detail.encode("utf-8", "backslashreplace").decode("utf-8")))

    def as_dict(self) -> dict[str, Any]:
        failed = self.failed
        return {
            "outcome": self.outcome,
            "failed_check": failed.name if failed else None,
            "checks": [{"name": c.name, "result": c.result, "detail": c.detail} for c in self.checks],
            **({"freshness": self.freshness} if self.freshness is not None else {}),
        }


def parse_credential(text: str | bytes) -> Any:
    """Parse a credential's JSON text strictly (no duplicate keys, no lone surrogates, bounded
    nesting: see :func:`~ledger_service.strict_loads`); :class:`CredentialError` names what is wrong."""
    size = len(text.encode("utf-8", "surrogatepass") if isinstance(text, str) else text)
    if size > MAX_CREDENTIAL_BYTES:
        raise CredentialError(f"the document is {size:,} bytes; credentials are limited to {MAX_CREDENTIAL_BYTES:,}")
    try:
        return strict_loads(text)
    except InvalidJsonError as exc:
        raise CredentialError(f"the document is not JSON: {exc}" if exc.reason == "syntax" else f"refused JSON: {exc}") from None


_HEX32 = re.compile(r"0x[0-9a-fA-F]{64}")
MAX_MERKLE_PROOF = 64  # a tree of 2^64 leaves: more is not a proof


def _hex32(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not _HEX32.fullmatch(value):
        raise ValueError(f"{name} must be 32 bytes of 0x-hex, got {_clip(value)}")
    return bytes.fromhex(value[2:])


def _clip(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _time(text: Any, name: str) -> datetime:
    """An XML Schema ``dateTimeStamp`` (a date, a time and a time zone), as VC 2.0 requires."""
    if not isinstance(text, str):
        raise ValueError(f"{name} must be a date-time string, got {_clip(text)}")
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{name} {_clip(text)} is not a date-time") from None
    if "T" not in text.upper() or moment.tzinfo is None:
        raise ValueError(f"{name} {_clip(text)} needs a time and a time zone (e.g. 2026-09-01T00:00:00Z)")
    return moment


def verify_credential(
    credential: Any,
    *,
    chain: ChainFacts | None,
    now: datetime | None = None,
    confirmations: int = 1,
    status_resolver: StatusResolver | None = None,
    did_resolver: DidResolver | None = None,
) -> VerificationReport:
    """Run every check on ``credential`` (a parsed document, or its JSON text); never raises for a
    bad credential, only reports. ``did_resolver`` fetches a did:web issuer's DID document."""
    report = VerificationReport()
    if isinstance(credential, (str, bytes)):
        try:
            credential = parse_credential(credential)
        except CredentialError as exc:
            report.add("schema", FAIL, str(exc))
            return report
    else:
        try:
            check_json_value(credential)
        except InvalidJsonError as exc:
            report.add("schema", FAIL, f"refused JSON: {exc}")
            return report
    if not isinstance(credential, dict):
        report.add("schema", FAIL, "the credential is not a JSON object")
        return report
    derived = is_derived(credential)
    problems = schema_errors(credential)
    if derived:  # a selectively disclosed copy: what OB 3.0 requires of a whole credential may be withheld
        problems = [p for p in problems if not p.startswith("OB 3.0")]
        problems[:0] = _derived_shape_problems(credential)
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
            claimed = _hex32(anchor_proof.get("credentialHash"), "credentialHash")
            proof_root = _hex32(anchor_proof.get("merkleRoot"), "merkleRoot")
            nodes = anchor_proof.get("merkleProof")
            if not isinstance(nodes, list) or len(nodes) > MAX_MERKLE_PROOF:
                raise ValueError(f"merkleProof must be a list of at most {MAX_MERKLE_PROOF} hashes, got {_clip(nodes)}")
            path = [_hex32(node, "merkleProof") for node in nodes]
            value = anchored_hash_of(credential)
        except (ValueError, CredentialError) as exc:
            report.add("canonical_hash", FAIL, f"unreadable anchor proof: {exc}")
        else:
            root = proof_root
            changed = "the issuer's base proof signed another credential hash" if derived else "the credential was changed"
            report.add("canonical_hash", PASS if value == claimed else FAIL, "" if value == claimed else changed)
            ok = verify_proof(root, leaf_hash(value), path)
            report.add("merkle_path", PASS if ok else FAIL, "" if ok else "the path does not lead to the root")

    anchor = _check_anchor(report, chain, credential, anchor_proof, root, confirmations) if root is not None else None
    if derived:
        method = _check_derived_signature(report, credential)
    else:
        method = str((signature_proof(credential) or {}).get("verificationMethod", ""))
        try:
            signed = verify_signature(credential, jcs_document_hash=value)
        except CredentialError as exc:
            signed = False
            report.add("issuer_signature", FAIL, str(exc))
        else:
            report.add("issuer_signature", PASS if signed else FAIL, "" if signed else "the Data Integrity proof does not verify")
    _check_signing_key(report, chain, method, anchor, p256=derived)
    _check_did_document(report, chain, credential, method, anchor, did_resolver, now or datetime.now(timezone.utc))
    _check_status(report, chain, credential, status_resolver, anchor)
    _check_dates(report, credential, now or datetime.now(timezone.utc))
    return report


def _derived_shape_problems(credential: dict[str, Any]) -> list[str]:
    """What in a derived copy's JSON differs in form from how EduLedger issues it.

    A derived proof signs statements, not JSON: the holder may rewrite the JSON into any form with the
    same statements. The checks below read the JSON (``credentialStatus``, ``validFrom``/``validUntil``,
    ``credentialSubject.id``, the credit bank's rules), so a copy that spelled ``credentialStatus`` as its
    full IRI, a keyword (``@nest``, ``@graph``, ``@id``) or a compact IRI would keep the signature and
    hide its status entry or its validity from them (a revoked record read as "not revocable"); and a
    subject or achievement given as a list would be read as none. A derived copy must use the terms
    (no keyword but the top-level ``@context``, no IRI as a key) and the subject as one object."""
    problems: list[str] = []

    def walk(value: Any, path: str, top: bool) -> None:
        if len(problems) >= 3:
            return
        if isinstance(value, list):
            for index, item in enumerate(value):
                walk(item, f"{path}/{index}", False)
        elif isinstance(value, dict):
            for key, item in value.items():
                if top and key in ("@context", "proof"):
                    continue
                if key.startswith("@") or ":" in key:
                    problems.append(f"{path}/{key[:60]}: a derived copy names its fields by the contexts' terms, not a keyword or an IRI")
                    continue
                walk(item, f"{path}/{key}", False)

    walk(credential, "", True)
    subject = credential.get("credentialSubject")
    if not isinstance(subject, dict):
        problems.append("credentialSubject: a derived copy's subject must be one object")
    elif "achievement" in subject and not isinstance(subject["achievement"], dict):
        problems.append("credentialSubject/achievement: a derived copy's achievement must be one object")
    elif "identifier" in subject and not isinstance(subject["identifier"], list):
        problems.append("credentialSubject/identifier: a derived copy's identifier must be a list, as issued")
    return problems


def _check_derived_signature(report: VerificationReport, credential: dict[str, Any]) -> str:
    """Checks ``issuer_signature`` of a derived copy with the P-256 key its verification method names; returns the method."""
    try:
        method = str(sd_proof_of(credential).get("verificationMethod", ""))
        key = _p256_of(method)
    except (CredentialError, InvalidKeyError) as exc:
        report.add("issuer_signature", FAIL, str(exc))
        return ""
    ok, why = verify_sd_derived(credential, key)
    report.add("issuer_signature", PASS if ok else FAIL, "" if ok else f"the ecdsa-sd-2023 derived proof does not verify: {why}")
    return method


def _p256_of(method: str) -> P256PublicKey:
    """The P-256 key a ``did:web:…#zDn…`` or ``did:key:zDn…`` verification method names."""
    if method.startswith("did:web:") and "#" in method:
        return P256PublicKey.from_multibase(method.split("#", 1)[1])
    if method.startswith("did:key:"):
        return P256PublicKey.from_multibase(method[len("did:key:") :].split("#", 1)[0])
    raise InvalidKeyError(f"only did:key and did:web#key verification methods are resolved here, not {method[:40]!r}")


def _unavailable(exc: ChainError) -> str:
    return f"chain facts unavailable: {exc}"


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
        report.add("anchored", UNKNOWN, _unavailable(exc))
        report.add("issuer_accredited", UNKNOWN, "the chain could not be read")
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
        seen = "" if chain.reads_transactions else f", proven in the state of trusted block {head} (transaction not looked up)"
        report.add("anchored", PASS, f"block {anchor['blockNumber']}, {depth} confirmations{seen}")
    issuer = credential.get("issuer")
    named = issuer.get("id") if isinstance(issuer, dict) else issuer
    anchoring_institution = institution_uri(bytes(anchor["institutionId"]))
    if named != anchoring_institution and did_web_institution(named) != bytes(anchor["institutionId"]):
        report.add("issuer_accredited", FAIL, f"the credential names issuer {str(named)[:100]!r} but {anchoring_institution} anchored it")
        return anchor
    try:
        authorised = chain.issuer_authorized(
            anchor["issuer"], bytes(anchor["institutionId"]), bytes(anchor["credentialType"]), int(anchor["anchoredAt"])
        )
    except ChainError as exc:
        report.add("issuer_accredited", UNKNOWN, _unavailable(exc))
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
    named_block = proof.get("blockNumber")
    if not isinstance(named_block, int) or isinstance(named_block, bool) or not 0 <= named_block < 2**63:
        return "the anchor proof's block number is malformed"
    other_block = named_block != int(anchor["blockNumber"])
    if other_block and not chain.reads_transactions:
        return "the anchor proof names another block than the chain records"
    tx_hash = proof.get("transactionHash")
    if not isinstance(tx_hash, str) or not _HEX32.fullmatch(tx_hash):
        return "the anchor proof's transaction hash is malformed"
    if not chain.reads_transactions:
        return ""  # a proven snapshot holds the anchor record itself; the transaction is only a pointer to it
    # Online, the transaction decides: the same signed transaction, mined again in a later block
    # after the issuer's chain was restored from a snapshot, anchored the root all the same; the
    # block a copy names is then only out of date (the check below still ties the transaction to the
    # block the chain records).
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
    report: VerificationReport, chain: ChainFacts | None, method: str, anchor: dict[str, Any] | None, *, p256: bool = False
) -> None:
    """The Data Integrity key must be registered on chain to the anchoring institution at the anchoring time
    (a P-256 key, of a derived copy, under its fingerprint: sha256 of its multikey)."""
    key: Ed25519PublicKeyRef | P256PublicKey
    try:
        key = _p256_of(method) if p256 else Ed25519PublicKeyRef.from_verification_method(method)
    except InvalidKeyError as exc:
        report.add("signing_key", FAIL, f"no usable signing key: {exc}")
        return
    if chain is None or anchor is None:
        report.add("signing_key", UNKNOWN, "no anchor on chain to judge the key at")
        return
    try:
        valid = chain.signing_key_valid(key.chain_key, bytes(anchor["institutionId"]), int(anchor["anchoredAt"]))
    except ChainError as exc:
        report.add("signing_key", UNKNOWN, _unavailable(exc))
        return
    report.add(
        "signing_key",
        PASS if valid else FAIL,
        "" if valid else f"key {key.multibase} was not registered to the issuer, or not valid, at the anchoring time",
    )


def _check_did_document(
    report: VerificationReport,
    chain: ChainFacts | None,
    credential: dict[str, Any],
    method: str,
    anchor: dict[str, Any] | None,
    resolver: DidResolver | None,
    now: datetime,
) -> None:
    """A did:web issuer: its DID document must agree with the chain (urn issuers have none to check)."""
    issuer = credential.get("issuer")
    did = issuer.get("id") if isinstance(issuer, dict) else issuer
    if not isinstance(did, str) or not did.startswith("did:"):
        return
    institution = did_web_institution(did)
    if institution is None:
        report.add("did_document", FAIL, f"issuer {did[:100]!r} is not an EduLedger did:web (did:web:<host>:institutions:0x<id>)")
        return
    if not method.startswith(did + "#"):
        report.add("did_document", FAIL, f"the proof's verification method {method[:100]!r} is not one of the issuer's")
        return
    if chain is None or anchor is None:
        report.add("did_document", UNKNOWN, "no anchor on chain to compare the DID document with")
        return
    if resolver is None:
        report.add("did_document", UNKNOWN, "no DID resolver given: the issuer's DID document is not at hand")
        return
    try:
        document = resolver(did)
    except (CredentialError, ChainError, LookupError, ValueError, OSError) as exc:
        report.add("did_document", UNKNOWN, f"the DID document could not be fetched: {str(exc)[:200]}")
        return
    try:
        disagreement = did_document_disagreement(document, did, method, chain, bytes(anchor["institutionId"]), int(now.timestamp()))
    except CredentialError as exc:
        report.add("did_document", FAIL, f"the DID document is malformed: {exc}")
        return
    except ChainError as exc:
        report.add("did_document", UNKNOWN, _unavailable(exc))
        return
    report.add("did_document", FAIL if disagreement else PASS, disagreement)


MAX_STATUS_ENTRIES = 8


@dataclass(frozen=True)
class _StatusEntry:
    url: str
    index: int
    size: int
    purpose: str
    messages: tuple[tuple[str, str], ...]


def _status_entries(value: Any) -> list[_StatusEntry]:
    """The credential's status entries, read strictly (raises :class:`CredentialError` naming the field)."""
    entries = value if isinstance(value, list) else [value]
    if not entries or len(entries) > MAX_STATUS_ENTRIES:
        raise CredentialError(f"credentialStatus holds {len(entries)} entries (1 to {MAX_STATUS_ENTRIES})")
    parsed = []
    for entry in entries:
        if not isinstance(entry, dict):
            raise CredentialError(f"a credentialStatus entry must be an object, got {_clip(entry)}")
        url = entry.get("statusListCredential")
        if not isinstance(url, str) or not url or len(url) > 2000:
            raise CredentialError(f"statusListCredential must be a URL, got {_clip(url)}")
        index = entry.get("statusListIndex")
        if not (isinstance(index, str) and index.isascii() and index.isdigit() and len(index) <= 12):
            raise CredentialError(f"statusListIndex must be a string of decimal digits, got {_clip(index)}")
        size = entry.get("statusSize", 1)
        if type(size) is not int or not 1 <= size <= 8:
            raise CredentialError(f"statusSize must be an integer from 1 to 8, got {_clip(size)}")
        meanings = _status_messages(entry.get("statusMessage"), size)
        parsed.append(_StatusEntry(url, int(index), size, str(entry.get("statusPurpose", "status"))[:100], meanings))
    return parsed


_STATUS_HEX = re.compile(r"0x[0-9a-f]{1,2}")


def _status_messages(messages: Any, size: int) -> tuple[tuple[str, str], ...]:
    """``statusMessage`` read per Bitstring Status List §2.1: with ``statusSize`` above 1 it names
    each of the 2^statusSize values once. EduLedger's entries issued before that rule (three
    lifecycle messages, the fourth value never set) are still read."""
    if messages is None and size == 1:
        return ()
    if messages == LEGACY_LIFECYCLE_MESSAGES and size == 2:
        return tuple((m["status"], m["message"]) for m in LEGACY_LIFECYCLE_MESSAGES)
    if not isinstance(messages, list) or len(messages) != 2**size:
        count = len(messages) if isinstance(messages, list) else "no"
        raise CredentialError(f"statusMessage must name all {2**size} values of statusSize {size}, got {count} entries")
    meanings = []
    for message in messages:
        status = message.get("status") if isinstance(message, dict) else None
        text = message.get("message") if isinstance(message, dict) else None
        if not isinstance(status, str) or not _STATUS_HEX.fullmatch(status.lower()) or not isinstance(text, str):
            raise CredentialError(f"each statusMessage is {{status: hex string, message: text}}, got {_clip(message)}")
        meanings.append((hex(int(status, 16)), text[:200]))
    if sorted(int(status, 16) for status, _ in meanings) != list(range(2**size)):
        raise CredentialError(f"statusMessage must name each value 0x0 to {2**size - 1:#x} once")
    return tuple(meanings)


def _check_status(
    report: VerificationReport,
    chain: ChainFacts | None,
    credential: dict[str, Any],
    resolver: StatusResolver | None,
    anchor: dict[str, Any] | None,
) -> None:
    """The entry's bit in the status list in force on chain now (or at the proven block, offline).

    A list whose hash the chain records as the list in force decides. A list anchored earlier for
    the same URL is genuine but stale: "cannot tell" (fetch the current one). A list never anchored
    for that URL is forged: "invalid".
    """
    if credential.get("credentialStatus") is None:
        report.add("status", PASS, "no status entry: not revocable")
        return
    try:
        entries = _status_entries(credential["credentialStatus"])
    except CredentialError as exc:
        report.add("status", FAIL, str(exc))
        return
    if chain is None:
        report.add("status", UNKNOWN, "no chain to check the status list against")
        return
    if resolver is None:
        report.add("status", UNKNOWN, "the status list is not at hand")
        return
    for entry in entries:
        try:
            record = chain.status_list_of(entry.url)
        except ChainError as exc:
            report.add("status", UNKNOWN, _unavailable(exc))
            return
        version = int(record["version"])
        if version == 0:
            report.add("status", FAIL, f"the status list {entry.url} was never anchored on chain")
            return
        if anchor is not None and bytes(record["institutionId"]) != bytes(anchor["institutionId"]):
            report.add("status", FAIL, f"the status list {entry.url} belongs to another institution than the credential's issuer")
            return
        try:
            found = resolver(entry.url)
        except (CredentialError, ChainError, LookupError, ValueError, OSError) as exc:
            report.add("status", UNKNOWN, f"status list unavailable: {exc}")
            return
        candidates: list[Any] = [found] if isinstance(found, dict) else list(found)
        listed, others = _in_force(candidates, bytes(record["listHash"]))
        if listed is None:
            _judge_other_lists(report, chain, entry.url, others, version)
            return
        try:
            if not verify_signature(listed):
                report.add("status", FAIL, "the status list's signature does not verify")
                return
            value = status_value(listed, entry.index, entry.size)
        except CredentialError as exc:
            report.add("status", FAIL, str(exc))
            return
        if value:
            meaning = next((message for status, message in entry.messages if status == hex(value)), None)
            report.add("status", FAIL, f"{meaning or entry.purpose + ' set'} (index {entry.index}, value {hex(value)})")
            return
    report.add("status", PASS)


def _in_force(candidates: list[Any], current: bytes) -> tuple[dict[str, Any] | None, list[bytes | None]]:
    """The candidate whose hash is the one in force, else the hashes of the others (None: unreadable)."""
    others: list[bytes | None] = []
    for candidate in candidates:
        try:
            digest = status_list_hash(candidate) if isinstance(candidate, dict) else None
        except CredentialError:
            digest = None
        if digest == current:
            return candidate, others
        others.append(digest)
    return None, others


def _judge_other_lists(report: VerificationReport, chain: ChainFacts, url: str, hashes: list[bytes | None], current_version: int) -> None:
    if not hashes:
        report.add("status", UNKNOWN, f"the status list {url} is not at hand")
        return
    try:
        history = chain.status_list_versions(url)
    except ChainError as exc:
        report.add("status", UNKNOWN, f"the status list {url} given is not the one in force, and its history cannot be read: {exc}")
        return
    if any(digest is None or digest not in history for digest in hashes):
        report.add("status", FAIL, f"the status list {url} given was never anchored for it on chain (forged or altered)")
        return
    stale = max(history[digest] for digest in hashes if digest is not None)
    report.add(
        "status", UNKNOWN, f"the status list {url} given is stale (version {stale}, current {current_version}); fetch the current one"
    )


def _check_dates(report: VerificationReport, credential: dict[str, Any], now: datetime) -> None:
    try:
        valid_from = _time(credential["validFrom"], "validFrom") if "validFrom" in credential else None
        valid_until = _time(credential["validUntil"], "validUntil") if "validUntil" in credential else None
    except ValueError as exc:
        report.add("validity_dates", FAIL, f"unreadable date: {exc}")
        return
    if valid_from and now < valid_from:
        report.add("validity_dates", FAIL, f"not valid before {credential['validFrom']}")
    elif valid_until and now >= valid_until:
        report.add("validity_dates", FAIL, f"expired at {credential['validUntil']}")
    else:
        report.add("validity_dates", PASS)
