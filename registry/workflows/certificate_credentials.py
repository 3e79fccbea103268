"""Certificates delivered as verifiable credentials: each 收录 / 收藏 / 入选 / 推荐 certificate on chain
is also an Open Badges 3.0 AchievementCredential issued by the bureau.

The bureau's issuer key is the relayer, its signing key is derived from it (see
``chain.bureau``), and each credential carries a lifecycle status entry on the bureau's own status
list, so a certificate revoked on chain (a withdrawal, 出库) is revoked as a credential too. The chain
worker runs :func:`sync` after every cycle: documents of new certificates are fixed and committed
first, then signed and anchored (one transaction per kind), so a restart finishes the same batch.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ledger_service.chain import Ledger
from ledger_service.credentials import REVOKED, achievement_credential

from ..chain.bureau import CERTIFICATE_TYPES, Bureau
from ..core.labels import CERTIFICATE_NAMES, level_name
from ..crud import resources as resources_crud
from ..models import Certificate, Programme, ResourceVersion, StatusListRecord
from .issuance import Issuing

__all__ = ["certificate_document", "sync"]


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


def _fix_documents(session: Session, issuing: Issuing, bureau: Bureau, ledger: Ledger, base_url: str) -> None:
    fresh = list(
        session.scalars(
            select(Certificate)
            .where(Certificate.status == "issued", Certificate.chain_certificate_id.is_not(None), Certificate.credential_batch.is_(None))
            .order_by(Certificate.id)
        )
    )
    if not fresh:
        return
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
    session.commit()  # fixed before anything is signed: a restart finishes these very documents


def sync(sessions: sessionmaker[Session], issuing: Issuing, bureau: Bureau, ledger: Ledger, base_url: str) -> None:
    """Issue the credentials of certificates on chain that have none; carry revocations over."""
    if bureau.signing_key is None or not bureau.issues_certificates:
        return
    runtime = issuing.bureau_runtime(bureau.id_hex, bureau.signing_key)
    with sessions() as session, runtime.lock:
        _fix_documents(session, issuing, bureau, ledger, base_url)
        pending = list(
            session.scalars(
                select(Certificate)
                .where(Certificate.credential_batch.is_not(None), Certificate.credential.is_(None))
                .order_by(Certificate.id)
            )
        )
        for list_id in {c.status_list_id for c in pending}:
            record = session.scalar(select(StatusListRecord).where(StatusListRecord.id == list_id).with_for_update())
            if record is not None and record.version == 0:  # verifiers check status against a list anchored on chain
                issuing.publish(record, runtime, bureau.id_hex)
                session.commit()
        batches: dict[str, list[Certificate]] = {}
        for certificate in pending:
            batches.setdefault(str(certificate.credential_batch), []).append(certificate)
        for batch_key, certificates in batches.items():
            issued = runtime.issuer.issue(
                batch_key,
                [c.credential_document or {} for c in certificates],
                credential_type=CERTIFICATE_TYPES[certificates[0].kind],
                created=datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
            for certificate, credential in zip(certificates, issued.credentials, strict=True):
                certificate.credential = credential
            session.commit()
        revoked = list(
            session.scalars(
                select(Certificate).where(
                    Certificate.status == "revoked", Certificate.credential.is_not(None), Certificate.credential_revoked.is_(False)
                )
            )
        )
        for list_id in {c.status_list_id for c in revoked}:
            record = session.scalar(select(StatusListRecord).where(StatusListRecord.id == list_id).with_for_update())
            assert record is not None
            status = issuing.status_list(record)
            for certificate in revoked:
                if certificate.status_list_id == list_id and certificate.status_index is not None:
                    status.set_value(certificate.status_index, REVOKED)
                    certificate.credential_revoked = True
            record.bits = bytes(status.bits)
            issuing.publish(record, runtime, bureau.id_hex)
            session.commit()
