"""The recommendation package for the national platform (推荐国家平台), and taking one in.

Export: a selected programme's recommendations as a package (``ledger_service.packages``): each
resource's metadata mapped to LRMI / schema.org ``LearningResource`` fields and the national
catalogue keys (学段/年级/学科/版本/册次/章节), its content as one CAR, its certificates still in
force as verifiable credentials with their status lists, signed by the bureau's signing key (the
one the chain holds for it). Teachers are named only with their consent, like on public pages.

Import: the package is verified end to end against this registry's chain; only a valid one has its
content taken into the content store, all CARs or none (each CAR is itself all or nothing).
"""

from __future__ import annotations

import hashlib
import io
import json
import threading
import zipfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from ledger_service.certificates import CertificateReader
from ledger_service.chain import Ledger
from ledger_service.content import CID, KuboContentStore, LocalContentStore
from ledger_service.credentials import ChainView, VerificationReport
from ledger_service.packages import MANIFEST_TYPE, build_package, verify_package

from ..chain.bureau import Bureau
from ..core.errors import ConflictError, InvalidRequestError, TooManyRequestsError
from ..crud import people as people_crud
from ..models import CatalogueNode, Certificate, Institution, Programme, Recommendation, ResourceVersion, StatusListRecord
from .issuance import Issuing

__all__ = ["Imported", "VerificationSlots", "chain_view", "export_package", "import_package", "licence_url", "verify"]


class VerificationSlots:
    """How many packages are verified or imported at once: each is held in memory and hashed whole, so
    a caller past the limit gets 429 before its upload is read, not a queue that grows with the uploads."""

    RETRY_AFTER = 5  # seconds: a package of the upload limit verifies in about that

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self._free = threading.BoundedSemaphore(limit)

    @contextmanager
    def hold(self) -> Iterator[None]:
        if not self._free.acquire(blocking=False):
            raise TooManyRequestsError(f"{self.limit} packages are being verified now; try again shortly", retry_after=self.RETRY_AFTER)
        try:
            yield
        finally:
            self._free.release()


_CC = {
    "CC-BY-4.0": "by",
    "CC-BY-SA-4.0": "by-sa",
    "CC-BY-NC-4.0": "by-nc",
    "CC-BY-NC-SA-4.0": "by-nc-sa",
    "CC-BY-ND-4.0": "by-nd",
    "CC-BY-NC-ND-4.0": "by-nc-nd",
}
_CONTRACTS = ("CertificateRegistry", "ResourceRegistry", "InstitutionRegistry", "CredentialAnchor")


def licence_url(licence: str) -> str:
    """schema.org ``license`` as a URL where the licence has one, else its SPDX identifier."""
    if licence in _CC:
        return f"https://creativecommons.org/licenses/{_CC[licence]}/4.0/"
    if licence == "CC0-1.0":
        return "https://creativecommons.org/publicdomain/zero/1.0/"
    return licence


def _catalogue_keys(session: Session, node: CatalogueNode) -> dict[str, Any]:
    chapter = None
    if node.level == "chapter":
        chapter_node = session.get(CatalogueNode, ".".join(node.id.split(".")[:6])) or node
        chapter = chapter_node.name
    return {
        "学段": node.stage,
        "年级": node.grade,
        "学科": node.subject,
        "版本": node.edition,
        "册次": node.volume,
        "章节": chapter,
        "catalogueKey": node.id,
        "path": node.path,
    }


def _learning_resource(session: Session, version: ResourceVersion, chain_id: int) -> dict[str, Any]:
    node = session.get_one(CatalogueNode, version.catalogue_node_id)
    keys = _catalogue_keys(session, node)
    labels = people_crud.describe(session=session, addresses=[a["address"] for a in version.authors])  # as the public sees them
    authors = []
    for author in version.authors:
        label = labels[author["address"]]
        person: dict[str, Any] = {
            "@type": "Person",
            "identifier": f"did:pkh:eip155:{chain_id}:{author['address']}",
            "share": author["share"],
        }
        if label.name:
            person["name"] = label.name
            if label.institution:
                person["affiliation"] = {"@type": "Organization", "name": label.institution}
        authors.append(person)
    alignment = [
        {"@type": "AlignmentObject", "alignmentType": kind, "targetName": value}
        for kind, value in (("educationalLevel", keys["学段"]), ("educationalSubject", keys["学科"]), ("educationalGrade", keys["年级"]))
        if value
    ]
    return {
        "@type": "LearningResource",
        "identifier": f"ipfs://{version.root_cid}",
        "name": version.title,
        "description": version.description,
        "keywords": version.keywords,
        "learningResourceType": version.resource_type,
        "educationalLevel": keys["学段"],
        "about": keys["学科"],
        "inLanguage": "zh-CN",
        "license": licence_url(version.licence),
        "author": authors,
        "educationalAlignment": alignment,
        "dateCreated": version.created_at.isoformat().replace("+00:00", "Z"),
        "catalogue": keys,
        "hasPart": [
            {
                "@type": "MediaObject",
                "name": p["name"],
                "encodingFormat": p.get("media_type"),
                "contentSize": p.get("size"),
                "identifier": f"ipfs://{p['cid']}",
                "role": p.get("role"),
            }
            for p in version.parts
        ],
        "contentCid": version.root_cid,
        "contentHash": version.content_hash,
        "chainResourceId": version.chain_resource_id,
    }


def export_package(
    session: Session,
    programme: Programme,
    *,
    store: LocalContentStore | KuboContentStore,
    bureau: Bureau,
    ledger: Ledger,
    issuing: Issuing,
) -> bytes:
    """The signed package of ``programme``'s recommendations (refused until they are all on chain)."""
    if programme.state != "selected":
        raise ConflictError(f"programme {programme.id} has not selected yet: there is nothing to recommend", code="not_selected")
    if bureau.signing_key is None:
        raise ConflictError("this registry's bureau has no signing key on chain: it cannot sign a package", code="no_signing_key")
    recommendations = list(
        session.scalars(select(Recommendation).where(Recommendation.programme_id == programme.id).order_by(Recommendation.id))
    )
    if not recommendations:
        raise ConflictError(
            f"programme {programme.id} recommends nothing (its recommend_count is {programme.recommend_count})", code="nothing_to_export"
        )
    members: dict[str, bytes] = {}
    resources = []
    lists: dict[str, StatusListRecord] = {}
    for recommendation in recommendations:
        version = session.get_one(ResourceVersion, recommendation.version_id)
        certificates = list(
            session.scalars(
                select(Certificate).where(Certificate.version_id == version.id, Certificate.status == "issued").order_by(Certificate.id)
            )
        )
        if any(c.credential is None or c.chain_certificate_id is None for c in certificates) or version.chain_resource_id is None:
            raise ConflictError(
                "some certificates of the recommended resources are still being issued on chain; try again shortly",
                code="credential_pending",
            )
        entry = _learning_resource(session, version, ledger.chain_id)
        car = b"".join(store.export_car(CID.parse(version.root_cid)))
        car_name = f"resources/{version.root_cid}.car"
        members[car_name] = car
        entry["car"], entry["carSha256"] = car_name, _sha256(car)
        entry["certificates"] = []
        for certificate in certificates:
            credential = json.dumps(certificate.credential, ensure_ascii=False, sort_keys=True).encode()
            name = f"credentials/{certificate.chain_certificate_id}.json"
            members[name] = credential
            entry["certificates"].append(
                {
                    "id": certificate.chain_certificate_id,
                    "kind": certificate.kind,
                    "level": certificate.level,
                    "credential": name,
                    "credentialSha256": _sha256(credential),
                }
            )
            if certificate.status_list_id is not None:
                record = session.get_one(StatusListRecord, certificate.status_list_id)
                lists[record.id] = record
        entry["recommendation"] = {"decisionHash": recommendation.decision_hash, "toLevel": recommendation.to_level}
        resources.append(entry)
    dids = sorted(
        {
            str((c.credential or {}).get("issuer", {}).get("id", ""))
            for r in recommendations
            for c in session.scalars(select(Certificate).where(Certificate.version_id == r.version_id, Certificate.status == "issued"))
        }
    )
    resolver = issuing.did_resolver(session, bureau.id_hex, bureau.signing_key)
    did_documents = []
    for index, did in enumerate(d for d in dids if d.startswith("did:")):
        body = json.dumps(resolver(did), ensure_ascii=False, sort_keys=True).encode()
        name = f"dids/{index}.json"
        members[name] = body
        did_documents.append({"id": did, "file": name, "sha256": _sha256(body)})
    status_lists = []
    for index, record in enumerate(sorted(lists.values(), key=lambda r: r.id)):
        body = json.dumps(record.credential, ensure_ascii=False, sort_keys=True).encode()
        name = f"status-lists/{index}.json"
        members[name] = body
        status_lists.append({"url": issuing.list_url(record.id), "file": name, "sha256": _sha256(body)})
    organiser = session.get_one(Institution, programme.institution_id)
    manifest = {
        "@context": "https://schema.org",
        "type": MANIFEST_TYPE,
        "version": 1,
        "createdAt": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        "recommendingInstitution": {"id": bureau.id_hex, "name": bureau.name},
        "programme": {
            "programmeId": programme.chain_id,
            "name": programme.name,
            "year": programme.year,
            "level": programme.level,
            "organiser": organiser.name,
        },
        "chain": {"chainId": ledger.chain_id, "contracts": {name: ledger.contracts[name].address for name in _CONTRACTS}},
        "resources": resources,
        "statusLists": status_lists,
        "didDocuments": did_documents,
    }
    return build_package(manifest, members, key=bureau.signing_key, institution_id=bureau.id)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def chain_view(ledger: Ledger) -> ChainView:
    return ChainView(ledger.rpc, ledger.contracts["CredentialAnchor"], ledger.contracts["InstitutionRegistry"], ledger.chain_id)


def verify(data: bytes, *, ledger: Ledger, session: Session, issuing: Issuing, bureau: Bureau) -> VerificationReport:
    """Verify a package against this registry's chain (status lists it hosts are the ones in force)."""
    prefix = issuing.list_url("")

    def hosted(url: str) -> list[dict[str, Any]]:
        if url.startswith(prefix):
            record = session.get(StatusListRecord, url[len(prefix) :])
            if record is not None and record.credential is not None:
                return [record.credential]
        return []

    return verify_package(
        data,
        chain=chain_view(ledger),
        certificates=CertificateReader.of(ledger),
        status_resolver=hosted,
        did_resolver=issuing.did_resolver(session, bureau.id_hex, bureau.signing_key),
        confirmations=ledger.sender.confirmations,
    )


@dataclass(frozen=True)
class Imported:
    report: VerificationReport
    cids: list[str]


def import_package(
    data: bytes, *, ledger: Ledger, session: Session, issuing: Issuing, bureau: Bureau, store: LocalContentStore | KuboContentStore
) -> Imported:
    """Verify, then take the content in; an invalid or unverifiable package changes nothing."""
    report = verify(data, ledger=ledger, session=session, issuing=issuing, bureau=bureau)
    if report.outcome != "valid":
        failed = report.failed or next((c for c in report.checks if c.result != "pass"), None)
        reason = f"{failed.name}: {failed.detail}" if failed else "no checks ran"
        raise InvalidRequestError(
            f"the package is {report.outcome.replace('_', ' ')}: {reason}", code="package_invalid", report=report.as_dict()
        )
    cids = []
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("resources/"):
                roots = store.import_car(io.BytesIO(archive.read(name)))
                cids += [str(root) for root in roots]
    return Imported(report, cids)
