"""Recommendation packages for the national platform: a zip that a receiving platform checks end to
end without trusting the sender's database.

Layout::

    manifest.json              LRMI / schema.org LearningResource entries + catalogue keys, each naming
                               its CAR and certificate credentials with their sha256
    signature.json             the recommending institution's Ed25519 signature over manifest.json's bytes
    resources/<cid>.car        each resource's content, one CAR v1 per resource (root = its CID)
    credentials/<n>.json       each certificate as a verifiable credential
    status-lists/<i>.json      the status list credentials those credentials point at
    dids/<i>.json              the issuers' DID documents (did:web), which the chain must agree with

Verification (:func:`verify_package`): the archive is well-formed and holds exactly the listed
members; the signature is over the manifest's exact bytes with a key the chain holds for the
named institution now; each member's bytes match the sha256 the signed manifest gives; each CAR's
root is the resource's CID, every block matches its CID and the DAG is complete; each certificate
is on chain, certifies that content, and is not revoked; each credential verifies against the
chain. Any changed byte fails one of these, and the report names which.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import zipfile
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .._exceptions import ContentCorruptedError, CredentialError, EduLedgerError, InvalidCarError, InvalidJsonError
from .._json import strict_loads
from ..certificates import CertificateReader, verify_certificate
from ..content import CID, RAW, decode_pbnode, read_car
from ..credentials import ChainFacts, DidResolver, Ed25519KeyPair, Ed25519PublicKeyRef, VerificationReport, verify_credential

__all__ = [
    "MANIFEST_TYPE",
    "PackageLimits",
    "SIGNATURE_TYPE",
    "build_package",
    "check_car",
    "sign_manifest",
    "verify_package",
]

MANIFEST_TYPE = "EduLedgerRecommendationPackage"
SIGNATURE_TYPE = "EduLedgerPackageSignature"
_MEMBER = re.compile(
    r"^(manifest\.json|signature\.json|resources/[A-Za-z0-9]{20,100}\.car|credentials/[0-9]{1,19}\.json|"
    r"status-lists/[0-9]{1,6}\.json|dids/[0-9]{1,4}\.json)$"
)


@dataclass(frozen=True)
class PackageLimits:
    """What a receiver reads at most (a zip's declared sizes are checked before anything is inflated)."""

    max_members: int = 20_000
    max_member_bytes: int = 2 * 1024**3
    max_total_bytes: int = 8 * 1024**3


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sign_manifest(manifest: bytes, key: Ed25519KeyPair, institution_id: bytes) -> dict[str, Any]:
    """The signature document over ``manifest``'s exact bytes."""
    return {
        "type": SIGNATURE_TYPE,
        "institutionId": "0x" + institution_id.hex(),
        "publicKeyMultibase": key.public.multibase,
        "manifestSha256": _sha256(manifest),
        "signature": "0x" + key.sign(manifest).hex(),
    }


def build_package(manifest: dict[str, Any], members: Mapping[str, bytes], *, key: Ed25519KeyPair, institution_id: bytes) -> bytes:
    """The zip: ``manifest`` (serialised once, signed as those bytes) and ``members`` (path → bytes)."""
    manifest_bytes = _dumps(manifest)
    signature = _dumps(sign_manifest(manifest_bytes, key, institution_id))
    for name in members:
        if not _MEMBER.match(name) or name in ("manifest.json", "signature.json"):
            raise ValueError(f"{name!r} is not a package member name")
    return _canonical_zip({"manifest.json": manifest_bytes, "signature.json": signature, **members})


def _canonical_zip(members: Mapping[str, bytes]) -> bytes:
    """The one zip a package's members make: fixed order, times and attributes, stored. A receiver
    rebuilds it and compares, so no byte of the archive (headers included) can change unnoticed."""
    buffer = io.BytesIO()
    # Stored, not deflated: CARs of video are incompressible, and a receiver's size checks stay exact.
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_STORED) as archive:
        for name in ["manifest.json", "signature.json", *sorted(set(members) - {"manifest.json", "signature.json"})]:
            info = zipfile.ZipInfo(name, date_time=(1980, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            info.create_system = 3
            archive.writestr(info, members[name])
    return buffer.getvalue()


def _dumps(document: Any) -> bytes:
    return json.dumps(document, ensure_ascii=False, sort_keys=True, indent=1).encode()


def check_car(car: bytes, root: CID) -> int:
    """Check a CAR holds exactly ``root``'s complete DAG, every block matching its CID; returns the block count."""
    roots, sections = read_car(io.BytesIO(car))
    if [str(r) for r in roots] != [str(root)]:
        raise InvalidCarError(f"the CAR's root is {', '.join(str(r) for r in roots)}, not {root}")
    blocks: dict[bytes, tuple[CID, bytes]] = {}
    for cid, block in sections:
        if hashlib.sha256(block).digest() != cid.digest:
            raise InvalidCarError(f"block {cid} does not match its CID (its bytes were changed)")
        blocks[cid.digest] = (cid, block)
    stack, seen = [root], set()
    while stack:
        cid = stack.pop()
        if cid.digest in seen:
            continue
        seen.add(cid.digest)
        if cid.digest not in blocks:
            raise InvalidCarError(f"the CAR lacks block {cid} (reachable from {root})")
        if cid.codec != RAW:
            try:
                stack.extend(link.cid for link in decode_pbnode(blocks[cid.digest][1], cid=cid).links)
            except ContentCorruptedError as exc:
                raise InvalidCarError(str(exc)) from None
    extra = len(blocks) - len(seen)
    if extra:
        raise InvalidCarError(f"the CAR holds {extra} blocks not reachable from {root}")
    return len(seen)


def _read_archive(data: bytes, limits: PackageLimits, report: VerificationReport) -> dict[str, bytes] | None:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
        names = [info.filename for info in infos]
        if len(infos) > limits.max_members:
            raise ValueError(f"{len(infos)} members; a package holds at most {limits.max_members}")
        if len(set(names)) != len(names):
            raise ValueError("a member name appears twice")
        bad = [name for name in names if not _MEMBER.match(name)]
        if bad:
            raise ValueError(f"unexpected member {bad[0]!r}")
        if any(info.file_size > limits.max_member_bytes for info in infos) or sum(i.file_size for i in infos) > limits.max_total_bytes:
            raise ValueError("the members are larger than a package may be")
        members = {}
        for info in infos:
            with archive.open(info) as handle:  # the CRC is checked as the member is read to its end
                content = handle.read(limits.max_member_bytes + 1)
            if len(content) != info.file_size:
                raise ValueError(f"{info.filename} is not the size its entry declares")
            members[info.filename] = content
    except (zipfile.BadZipFile, zipfile.LargeZipFile, ValueError, EOFError, OSError, NotImplementedError, RuntimeError) as exc:
        report.add("archive", "fail", f"not a readable package zip: {exc}")
        return None
    for required in ("manifest.json", "signature.json"):
        if required not in members:
            report.add("archive", "fail", f"the package has no {required}")
            return None
    if _canonical_zip(members) != data:
        report.add("archive", "fail", "the zip is not in the package's canonical form: bytes outside its members were changed")
        return None
    report.add("archive", "pass", f"{len(members)} members, every CRC intact, canonical form")
    return members


def _check_signature(members: dict[str, bytes], chain: ChainFacts | None, now: int, report: VerificationReport) -> dict[str, Any] | None:
    manifest_bytes = members["manifest.json"]
    try:
        signature = strict_loads(members["signature.json"])
        if not isinstance(signature, dict) or signature.get("type") != SIGNATURE_TYPE:
            raise ValueError(f"signature.json is not an {SIGNATURE_TYPE}")
        public = Ed25519PublicKeyRef.from_multibase(str(signature["publicKeyMultibase"]))
        institution = bytes.fromhex(str(signature["institutionId"]).removeprefix("0x"))
        raw_signature = bytes.fromhex(str(signature["signature"]).removeprefix("0x"))
        if len(institution) != 32:
            raise ValueError("institutionId is not 32 bytes")
    except (InvalidJsonError, CredentialError, KeyError, ValueError, TypeError) as exc:
        report.add("signature", "fail", f"unreadable signature.json: {exc}")
        return None
    if signature.get("manifestSha256") != _sha256(manifest_bytes) or not public.verify(raw_signature, manifest_bytes):
        report.add(
            "signature", "fail", "the signature does not cover these manifest bytes (the manifest was changed, or the signature forged)"
        )
        return None
    report.add("signature", "pass", f"manifest signed by key {public.multibase[:16]}… of institution 0x{institution.hex()[:12]}…")
    if chain is None:
        report.add("signing_key", "unknown", "no chain to ask whether the key belongs to the institution")
    else:
        try:
            valid = chain.signing_key_valid(public.raw, institution, now)
        except EduLedgerError as exc:
            report.add("signing_key", "unknown", f"the chain did not answer: {exc}")
        else:
            if valid:
                report.add("signing_key", "pass", "the chain holds this signing key for the institution, valid now")
            else:
                report.add("signing_key", "fail", "the chain does not hold this key for the named institution (or it was revoked)")
    try:
        manifest = strict_loads(manifest_bytes)
        if not isinstance(manifest, dict) or manifest.get("type") != MANIFEST_TYPE or not isinstance(manifest.get("resources"), list):
            raise ValueError(f"manifest.json is not an {MANIFEST_TYPE}")
        if manifest.get("recommendingInstitution", {}).get("id") != signature["institutionId"]:
            raise ValueError("the manifest names another recommending institution than the signature")
    except (InvalidJsonError, ValueError, AttributeError) as exc:
        report.add("manifest", "fail", str(exc))
        return None
    report.add("manifest", "pass", f"{len(manifest['resources'])} resources")
    return manifest


def _member(members: dict[str, bytes], name: Any, sha256: Any, report: VerificationReport) -> bytes | None:
    if not isinstance(name, str) or name not in members:
        report.add("members", "fail", f"the manifest lists {name!r}, which the package lacks")
        return None
    if _sha256(members[name]) != sha256:
        report.add("members", "fail", f"{name}: its bytes differ from the sha256 in the signed manifest")
        return None
    return members[name]


def verify_package(
    data: bytes,
    *,
    chain: ChainFacts | None,
    certificates: CertificateReader | None,
    status_resolver: Callable[[str], list[dict[str, Any]]] | None = None,
    did_resolver: DidResolver | None = None,
    confirmations: int = 1,
    limits: PackageLimits = PackageLimits(),
    now: datetime | None = None,
) -> VerificationReport:
    """Every check of a package, reported separately; never raises for a bad package (``did_resolver``: for
    did:web issuers whose DID document the package does not carry; their credentials are cannot tell otherwise)."""
    report = VerificationReport()
    members = _read_archive(data, limits, report)
    if members is None:
        return report
    moment = int((now or datetime.now(UTC)).timestamp())
    manifest = _check_signature(members, chain, moment, report)
    if manifest is None:
        return report
    listed = {"manifest.json", "signature.json"}
    lists: dict[str, list[dict[str, Any]]] = {}
    for entry in manifest.get("statusLists") or []:
        content = _member(members, entry.get("file"), entry.get("sha256"), report) if isinstance(entry, dict) else None
        if content is None:
            return report
        listed.add(entry["file"])
        try:
            lists.setdefault(str(entry["url"]), []).append(strict_loads(content))
        except (InvalidJsonError, KeyError) as exc:
            report.add("members", "fail", f"{entry.get('file')}: unreadable status list: {exc}")
            return report

    dids: dict[str, Any] = {}
    for entry in manifest.get("didDocuments") or []:  # issuers' DID documents (each compared with the chain all the same)
        content = _member(members, entry.get("file"), entry.get("sha256"), report) if isinstance(entry, dict) else None
        if content is None:
            return report
        listed.add(entry["file"])
        try:
            dids[str(entry["id"])] = strict_loads(content)
        except (InvalidJsonError, KeyError) as exc:
            report.add("members", "fail", f"{entry.get('file')}: unreadable DID document: {exc}")
            return report

    def resolve_did(did: str) -> Any:
        if did in dids:
            return dids[did]
        if did_resolver is not None:
            return did_resolver(did)
        raise CredentialError(f"the DID document of {did[:100]} is not in the package")

    def resolve(url: str) -> list[dict[str, Any]]:
        found = list(lists.get(url, []))
        if status_resolver is not None:
            try:
                found += status_resolver(url)
            except EduLedgerError:
                pass
        if not found:
            raise CredentialError(f"status list {url} is not in the package")
        return found

    for resource in manifest["resources"]:
        if not _verify_resource(resource, members, listed, chain, certificates, resolve, resolve_did, confirmations, report):
            return report
    unlisted = sorted(set(members) - listed)
    if unlisted:
        report.add("members", "fail", f"{unlisted[0]} is in the package but not in the signed manifest")
    else:
        report.add("members", "pass", "every member is listed in the signed manifest with its sha256")
    return report


def _verify_resource(
    resource: Any,
    members: dict[str, bytes],
    listed: set[str],
    chain: ChainFacts | None,
    certificates: CertificateReader | None,
    resolve: Callable[[str], list[dict[str, Any]]],
    resolve_did: DidResolver,
    confirmations: int,
    report: VerificationReport,
) -> bool:
    try:
        cid = CID.parse(str(resource["contentCid"]))
        content_hash = bytes.fromhex(str(resource["contentHash"]).removeprefix("0x"))
        car_name, car_sha = resource["car"], resource["carSha256"]
        entries = list(resource["certificates"])
    except (KeyError, TypeError, ValueError, EduLedgerError) as exc:
        report.add("manifest", "fail", f"a resource entry is malformed: {exc}")
        return False
    car = _member(members, car_name, car_sha, report)
    if car is None:
        return False
    listed.add(car_name)
    if cid.digest != content_hash:
        report.add("content", "fail", f"{cid}: the manifest's contentHash is not this CID's digest")
        return False
    try:
        blocks = check_car(car, cid)
    except (InvalidCarError, EduLedgerError) as exc:
        report.add("content", "fail", f"{car_name}: {exc}")
        return False
    report.add("content", "pass", f"{cid}: {blocks} blocks, each matching its CID")
    for entry in entries:
        try:
            number, credential_name, credential_sha = int(entry["id"]), entry["credential"], entry["credentialSha256"]
        except (KeyError, TypeError, ValueError) as exc:
            report.add("manifest", "fail", f"a certificate entry is malformed: {exc}")
            return False
        if certificates is None:
            report.add("certificate", "unknown", f"#{number}: no chain to read certificates from")
        else:
            certificate_report, facts = verify_certificate(certificates, number, expected_content_hash=content_hash)
            failed = certificate_report.failed
            if failed is not None:
                report.add("certificate", "fail", f"#{number}: {failed.name}: {failed.detail}")
                return False
            if certificate_report.outcome != "valid":
                report.add("certificate", "unknown", f"#{number}: the chain could not tell")
            elif facts is not None and facts.kind != entry.get("kind"):
                report.add("certificate", "fail", f"#{number} is a {facts.kind} certificate on chain, listed as {entry.get('kind')}")
                return False
            else:
                report.add(
                    "certificate",
                    "pass",
                    f"#{number} ({facts.kind if facts else '?'}, {facts.level if facts else '?'}) certifies {cid} on chain, not revoked",
                )
        credential = _member(members, credential_name, credential_sha, report)
        if credential is None:
            return False
        listed.add(credential_name)
        credential_report = verify_credential(
            credential, chain=chain, confirmations=confirmations, status_resolver=resolve, did_resolver=resolve_did
        )
        failed = credential_report.failed
        if failed is not None:
            report.add("credential", "fail", f"{credential_name}: {failed.name}: {failed.detail}")
            return False
        document = strict_loads(credential)
        if not isinstance(document, dict) or not str(document.get("id", "")).endswith(f":{number}"):
            report.add("credential", "fail", f"{credential_name} is not the credential of certificate #{number}")
            return False
        unsure = next((c for c in credential_report.checks if c.result != "pass"), None)
        report.add(
            "credential",
            "pass" if credential_report.outcome == "valid" else "unknown",
            f"{credential_name}: {credential_report.outcome}" + (f" ({unsure.name}: {unsure.detail})" if unsure else ""),
        )
    return True
