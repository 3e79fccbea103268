"""Verifying a resource certificate against the chain: it exists, is not revoked, certifies the
content it names (the hash the resource was registered with, and the one expected, if given), was
issued by a key authorised for its kind at the time of issue, and its resource is not withdrawn.

Every check is reported on its own; the outcome is valid, invalid (naming the failed check) or
cannot tell (the chain did not answer) — never valid by default.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from .._exceptions import ChainError
from ..chain import BoundContract, Ledger
from ..chain import _vocabulary as chain_vocabulary
from ..credentials import Check, VerificationReport

__all__ = [
    "CERTIFICATE_KINDS",
    "CERTIFICATE_LEVELS",
    "RESOURCE_STATUSES",
    "CertificateFacts",
    "CertificateReader",
    "credential_type_of",
    "verify_certificate",
]

# The enums' names in the order of their codes on chain (ledger_service.chain derives them from the artifacts).
CERTIFICATE_KINDS = tuple(sorted(chain_vocabulary.CERTIFICATE_KINDS, key=chain_vocabulary.CERTIFICATE_KINDS.__getitem__))
CERTIFICATE_LEVELS = tuple(sorted(chain_vocabulary.CERTIFICATE_LEVELS, key=chain_vocabulary.CERTIFICATE_LEVELS.__getitem__))
RESOURCE_STATUSES = tuple(sorted(chain_vocabulary.RESOURCE_STATUSES, key=chain_vocabulary.RESOURCE_STATUSES.__getitem__))


def credential_type_of(kind: str) -> bytes:
    """The credential type an issuer must be accredited for to issue ``kind`` (CertificateRegistry.credentialTypeOf)."""
    return chain_vocabulary.CERTIFICATE_TYPES[kind]


@dataclass(frozen=True)
class CertificateFacts:
    """What the chain says about a certificate and its resource, at ``block_number``."""

    certificate_id: int
    block_number: int
    exists: bool
    resource_id: int = 0
    content_hash: bytes = b""
    institution_id: bytes = b""
    issuer: str = ""
    issued_at: int = 0
    revoked_at: int = 0
    revocation_reason: int = 0
    kind: str = ""
    level: str = ""
    programme_id: bytes = b""
    resource_content_hash: bytes = b""
    resource_status: str = "none"
    resource_cid: str = ""
    registrant: str = ""
    issuer_authorised: bool = False

    def as_dict(self) -> dict[str, Any]:
        return {
            "certificate_id": self.certificate_id,
            "block_number": self.block_number,
            "exists": self.exists,
            "resource_id": self.resource_id,
            "content_hash": "0x" + self.content_hash.hex(),
            "institution_id": "0x" + self.institution_id.hex(),
            "issuer": self.issuer,
            "issued_at": self.issued_at,
            "revoked_at": self.revoked_at,
            "revocation_reason": self.revocation_reason,
            "kind": self.kind,
            "level": self.level,
            "resource_status": self.resource_status,
            "resource_cid": self.resource_cid,
            "registrant": self.registrant,
        }


class CertificateReader:
    """Reads certificates in two JSON-RPC round trips (the certificate, then its resource and issuer)."""

    def __init__(self, certificates: BoundContract, resources: BoundContract, directory: BoundContract) -> None:
        self.certificates = certificates
        self.resources = resources
        self.directory = directory
        self.rpc = certificates.rpc

    @classmethod
    def of(cls, ledger: Ledger) -> CertificateReader:
        return cls(ledger.contracts["CertificateRegistry"], ledger.contracts["ResourceRegistry"], ledger.contracts["InstitutionRegistry"])

    def read(self, certificate_id: int) -> CertificateFacts:
        """The facts at the current head (raises :class:`ChainError` if the chain does not answer)."""
        head, raw = self.rpc.batch(
            [
                ("eth_blockNumber", []),
                ("eth_call", [self.certificates.call_request("certificate", certificate_id), "latest"]),
            ]
        )
        if isinstance(head, Exception):
            raise head
        block = int(head, 16)
        record = self.certificates.decode_result("certificate", raw)
        if record["issuedAt"] == 0:
            return CertificateFacts(certificate_id, block, exists=False)
        kind = CERTIFICATE_KINDS[record["kind"]]
        resource_raw, authorised_raw = self.rpc.batch(
            [
                ("eth_call", [self.resources.call_request("resource", record["resourceId"]), hex(block)]),
                (
                    "eth_call",
                    [
                        self.directory.call_request(
                            "isAuthorizedIssuer", record["issuer"], record["institutionId"], credential_type_of(kind), record["issuedAt"]
                        ),
                        hex(block),
                    ],
                ),
            ]
        )
        resource = self.resources.decode_result("resource", resource_raw)
        return CertificateFacts(
            certificate_id=certificate_id,
            block_number=block,
            exists=True,
            resource_id=int(record["resourceId"]),
            content_hash=bytes(record["contentHash"]),
            institution_id=bytes(record["institutionId"]),
            issuer=str(record["issuer"]),
            issued_at=int(record["issuedAt"]),
            revoked_at=int(record["revokedAt"]),
            revocation_reason=int(record["revocationReason"]),
            kind=kind,
            level=CERTIFICATE_LEVELS[record["level"]],
            programme_id=bytes(record["programmeId"]),
            resource_content_hash=bytes(resource["contentHash"]),
            resource_status=RESOURCE_STATUSES[resource["status"]],
            resource_cid=str(resource["cid"]),
            registrant=str(resource["registrant"]),
            issuer_authorised=bool(self.directory.decode_result("isAuthorizedIssuer", authorised_raw)),
        )


def _when(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def verify_certificate(
    reader: CertificateReader, certificate_id: int, *, expected_content_hash: bytes | None = None
) -> tuple[VerificationReport, CertificateFacts | None]:
    """Check certificate ``certificate_id`` on chain; ``expected_content_hash`` is the content the
    verifier holds (a file's, or the registry's record) and must be the one certified."""
    report = VerificationReport()
    try:
        facts = reader.read(certificate_id)
    except ChainError as exc:
        report.checks.append(Check("on_chain", "unknown", f"the chain did not answer: {exc}"))
        return report, None
    if not facts.exists:
        report.checks.append(Check("on_chain", "fail", f"no certificate {certificate_id} on chain (block {facts.block_number})"))
        return report, facts
    report.add("on_chain", "pass", f"{facts.kind} certificate of resource #{facts.resource_id}, issued {_when(facts.issued_at)}")
    if facts.revoked_at:
        report.add("not_revoked", "fail", f"revoked {_when(facts.revoked_at)} (reason code {facts.revocation_reason})")
    else:
        report.add("not_revoked", "pass", f"not revoked as of block {facts.block_number}")
    if facts.content_hash != facts.resource_content_hash:
        report.add("resource_hash", "fail", "the certificate's content hash is not the resource's registered content hash")
    elif expected_content_hash is not None and expected_content_hash != facts.content_hash:
        report.add("resource_hash", "fail", f"the content certified is 0x{facts.content_hash.hex()}, not 0x{expected_content_hash.hex()}")
    else:
        report.add("resource_hash", "pass", f"certifies content 0x{facts.content_hash.hex()} ({facts.resource_cid})")
    if facts.issuer_authorised:
        report.add("issuer_authorised", "pass", f"{facts.issuer} was authorised for {facts.kind} certificates when it issued")
    else:
        report.add("issuer_authorised", "fail", f"{facts.issuer} was not authorised for {facts.kind} certificates {_when(facts.issued_at)}")
    if facts.resource_status == "withdrawn":
        report.add("resource_status", "fail", "the resource was withdrawn (出库)")
    else:
        note = "; a newer version supersedes it" if facts.resource_status == "superseded" else ""
        report.add("resource_status", "pass", f"the resource is {facts.resource_status}{note}")
    return report, facts
