"""Certificates delivered as verifiable credentials: each 收录 / 收藏 / 入选 / 推荐 certificate on chain
is also an Open Badges 3.0 AchievementCredential issued by the bureau.

The bureau's issuer key is the relayer, its signing key is derived from it (see
``chain.bureau``), and each credential carries a lifecycle status entry on the bureau's own status
list, so a certificate revoked on chain (a withdrawal, 出库) is revoked as a credential too. The chain
worker runs :func:`sync` after every cycle: documents of new certificates are fixed and committed
with the chain jobs that sign and anchor them (one batch per kind, after the list they name), so a
restart finishes the same batch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ledger_service.chain import Ledger
from ledger_service.credentials import REVOKED, IssuedBatch, achievement_credential

from ..chain.bureau import CERTIFICATE_TYPES, Bureau
from ..core.labels import CERTIFICATE_NAMES, level_name
from ..crud import resources as resources_crud
from ..models import Certificate, Programme, ResourceVersion, StatusListRecord
from .issuance import BureauBatches, Issuing

__all__ = ["BATCHES", "SOURCE", "certificate_document", "sync"]

SOURCE = "certificates"  # the source of the bureau's batches that hold certificates


def certificate_document(
    certificate: Certificate,
    version: ResourceVersion,
    path: str,
    *,
    bureau: Bureau,
    issuer_id: str,
    chain_id: int,
    base_url: str,
    status: dict[str, Any],
    issued_at: datetime,
    programme: Programme | None = None,
) -> dict[str, Any]:
    title, _, verb = CERTIFICATE_NAMES[certificate.kind]
    number = certificate.chain_certificate_id
    credential_id = f"urn:eduledger:certificate:{chain_id}:{number}"
    lead = version.authors[0]["address"]
    criteria = f"{bureau.name}依入库规范审核"
    tags = [title, level_name(certificate.level), path]
    if programme is not None:  # 入选 / 推荐: the programme is on the chain record too (programmeId)
        criteria = f"「{programme.name}」（{programme.year}，{level_name(programme.level)}）遴选，经公示，programmeId {programme.chain_id}"
        tags.append(programme.name)
    document = achievement_credential(
        credential_id=credential_id,
        issuer_id=issuer_id,
        issuer_name=bureau.name,
        identifier=None,
        subject_id=f"did:pkh:eip155:{chain_id}:{lead}",  # the lead author's account: on chain already as rights holder
        achievement={
            "id": f"{credential_id}#achievement",
            "type": ["Achievement"],
            "achievementType": f"ext:{certificate.kind.title()}Certificate",
            "name": f"{title}：《{version.title}》",
            "description": f"资源《{version.title}》{verb}（{level_name(certificate.level)}）。",
            "criteria": {"narrative": f"{criteria}，证书 #{number} 记录于区块链；核验：{base_url}/certificates/{number}/verify"},
            "tag": tags,
        },
        valid_from=issued_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        name=f"{title}：《{version.title}》",
        evidence=[
            {
                "id": f"ipfs://{version.root_cid}",
                "type": ["Evidence"],
                "name": version.title,
                "description": f"content sha256 {version.content_hash}; resource #{version.chain_resource_id} "
                f"(registry {version.resource_id} v{version.number}); certificate #{number} on chain {chain_id}",
            }
        ],
    )
    document["credentialStatus"] = status
    return document


def _fix_documents(session: Session, issuing: Issuing, bureau: Bureau, ledger: Ledger, base_url: str) -> int:
    fresh = list(
        session.scalars(
            select(Certificate)
            .where(Certificate.status == "issued", Certificate.chain_certificate_id.is_not(None), Certificate.credential_batch.is_(None))
            .order_by(Certificate.id)
        )
    )
    if not fresh:
        return 0
    record = issuing.open_list(session, bureau.id_hex, len(fresh))
    indexes = issuing.allocate(record, len(fresh))
    status = issuing.status_list(record)
    block = ledger.rpc.request("eth_getBlockByNumber", ["latest", False])
    issued_at = datetime.fromtimestamp(int(block["timestamp"], 16), UTC)
    for certificate, index in zip(fresh, indexes, strict=True):
        version = session.get_one(ResourceVersion, certificate.version_id)
        path = resources_crud.catalogue_node(session=session, version=version).path
        programme = session.get(Programme, certificate.programme_id) if certificate.programme_id is not None else None
        certificate.credential_document = certificate_document(
            certificate,
            version,
            path,
            bureau=bureau,
            issuer_id=issuing.did_of(bureau.id_hex),
            chain_id=ledger.chain_id,
            base_url=base_url,
            status=status.entry(index),
            issued_at=issued_at,
            programme=programme,
        )
        certificate.status_list_id, certificate.status_index = record.id, index
        certificate.credential_batch = f"certificates:{certificate.kind}:{fresh[0].id}-{fresh[-1].id}"
    if record.version == 0:  # verifiers check status against a list anchored on chain: its job runs before the batches'
        issuing.publish_bureau_list(session, record, bureau.id_hex)
    for key, kind in sorted({(str(c.credential_batch), c.kind) for c in fresh}):
        issuing.enqueue_bureau_batch(session, bureau.id_hex, source=SOURCE, key=key, credential_type=CERTIFICATE_TYPES[kind])
    session.commit()  # the documents and the jobs that sign and anchor them, together: a restart finishes these very documents
    return len(fresh)


def _documents(session: Session, key: str) -> list[dict[str, Any]] | None:
    certificates = list(session.scalars(select(Certificate).where(Certificate.credential_batch == key).order_by(Certificate.id)))
    if not certificates or all(c.credential is not None for c in certificates):
        return None
    return [c.credential_document or {} for c in certificates]


def _complete(session: Session, key: str, issued: IssuedBatch) -> None:
    certificates = list(session.scalars(select(Certificate).where(Certificate.credential_batch == key).order_by(Certificate.id)))
    for certificate, credential in zip(certificates, issued.credentials, strict=True):
        certificate.credential = credential


BATCHES = BureauBatches(_documents, _complete)
"""Where the certificate credentials' batches keep their documents (given to :meth:`Issuing.add_bureau_batches`)."""


def sync(sessions: sessionmaker[Session], issuing: Issuing, bureau: Bureau, ledger: Ledger, base_url: str) -> None:
    """Fix the credentials of certificates on chain that have none, and carry revocations over; each
    committed with the chain jobs that anchor it (run by the chain worker, in order: the list first,
    then the batches, revocations after)."""
    if bureau.signing_key is None or not bureau.issues_certificates:
        return
    with sessions() as session:
        jobs = _fix_documents(session, issuing, bureau, ledger, base_url)
        unanchored = {
            str(key)
            for key in session.scalars(
                select(Certificate.credential_batch).where(Certificate.credential_batch.is_not(None), Certificate.credential.is_(None))
            )
        }
        if unanchored:  # documents fixed before their batches were jobs (an older version of the service): their jobs now
            for key in sorted(unanchored - issuing.bureau_anchor_keys(session, unanchored)):
                kind = session.scalars(select(Certificate.kind).where(Certificate.credential_batch == key)).first()
                assert kind is not None
                issuing.enqueue_bureau_batch(session, bureau.id_hex, source=SOURCE, key=key, credential_type=CERTIFICATE_TYPES[kind])
                jobs += 1
            session.commit()
        revoked = list(
            session.scalars(
                select(Certificate).where(
                    Certificate.status == "revoked", Certificate.credential.is_not(None), Certificate.credential_revoked.is_(False)
                )
            )
        )
        for list_id in sorted({c.status_list_id for c in revoked if c.status_list_id is not None}):
            record = session.scalar(select(StatusListRecord).where(StatusListRecord.id == list_id).with_for_update())
            assert record is not None
            status = issuing.status_list(record)
            for certificate in revoked:
                if certificate.status_list_id == list_id and certificate.status_index is not None:
                    status.set_value(certificate.status_index, REVOKED)
                    certificate.credential_revoked = True
            record.bits = bytes(status.bits)
            issuing.publish_bureau_list(session, record, bureau.id_hex)
            session.commit()  # the revocation, the list as hosted, and the job that anchors it
            jobs += 1
    if jobs:
        issuing.notify()
