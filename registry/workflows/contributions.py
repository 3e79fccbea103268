"""Contribution records (教师评优评先, 职级评价): what a teacher's or a school's resources achieved,
and the signed contribution statement a teacher hands to their school.

Counts per teacher (the lead author) or school (the version's institution when submitted):
resources registered, accepted (入库), withdrawn (出库), certificates in force per kind and level
(入选 by level, 推荐, 收藏), and views and downloads of accepted versions — counters only, nothing
about who viewed. The statement is an Open Badges 3.0 AchievementCredential issued by the bureau,
anchored on chain like certificate credentials, listing the counts (OB 3.0 results) and the
certificate ids (evidence), so a school checks it with ``POST /verify``, ``edu-wallet verify`` or
the web verification page, and each listed certificate against the chain.
"""

from __future__ import annotations

import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, func, select, update
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session

from ledger_service.chain import Ledger
from ledger_service.credentials import IssuedBatch, achievement_credential, institution_uri

from ..chain.bureau import CONTRIBUTION_STATEMENT_TYPE, Bureau
from ..core.errors import ConflictError
from ..core.labels import CERTIFICATE_NAMES, level_name
from ..models import Certificate, ContributionStatement, ResourceStat, ResourceVersion
from .issuance import BureauBatches, ChainWriteWaiting, Issuing
from .review import State

__all__ = ["BATCHES", "SOURCE", "ContributionRecord", "count_use", "counts_as_use", "issue_statement", "school_record", "teacher_record"]

_STATEMENT_VALIDITY = timedelta(days=365)
COUNTS = ("registered", "accepted", "withdrawn", "selected", "recommended", "collected", "views", "downloads")
_LABELS = {
    "registered": "确权资源",
    "accepted": "入库资源",
    "withdrawn": "出库资源",
    "selected": "入选",
    "recommended": "推荐",
    "collected": "收藏",
    "views": "浏览次数",
    "downloads": "下载次数",
}


def counts_as_use(version: ResourceVersion, viewer: str | None, roles: frozenset[str]) -> bool:
    """A view by the public or a teacher counts; the author's own and staff at work (review, administration) do not."""
    return viewer != version.author and not roles & {"admin", "reviewer"}


def count_use(session: Session, version: ResourceVersion, what: str) -> None:
    """Count a view or a download of an accepted version (nothing about the viewer is kept)."""
    if version.state != State.ACCEPTED:
        return
    column = ResourceStat.views if what == "view" else ResourceStat.downloads
    try:
        changed = session.execute(update(ResourceStat).where(ResourceStat.version_id == version.id).values({column: column + 1}))
        if not getattr(changed, "rowcount", 0):
            session.add(ResourceStat(version_id=version.id, views=int(what == "view"), downloads=int(what != "view")))
        session.commit()
    except (IntegrityError, OperationalError):  # a first count raced by another, or a busy database: the read goes on uncounted
        session.rollback()


@dataclass
class ContributionRecord:
    subject: str  # a teacher's address or a school's institution id
    counts: dict[str, int] = field(default_factory=dict)
    selected_by_level: dict[str, int] = field(default_factory=dict)
    certificates: list[dict[str, Any]] = field(default_factory=list)  # in force: {id, kind, level, resource_id, version}


def _record(session: Session, subject: str, where: ColumnElement[bool]) -> ContributionRecord:
    versions = list(session.scalars(select(ResourceVersion).where(where)))
    ids = [v.id for v in versions]
    counts = dict.fromkeys(COUNTS, 0)
    counts["registered"] = len({v.resource_id for v in versions})
    counts["accepted"] = len({v.resource_id for v in versions if v.accepted_at is not None})
    counts["withdrawn"] = len({v.resource_id for v in versions if v.state == State.WITHDRAWN})
    record = ContributionRecord(subject, counts)
    if not ids:
        return record
    by_id = {v.id: v for v in versions}
    levels: Counter[str] = Counter()
    for certificate in session.scalars(
        select(Certificate)
        .where(Certificate.version_id.in_(ids), Certificate.status == "issued")
        .order_by(Certificate.chain_certificate_id)
    ):
        version = by_id[certificate.version_id]
        if certificate.kind == "selection":
            counts["selected"] += 1
            levels[certificate.level] += 1
        elif certificate.kind == "recommendation":
            counts["recommended"] += 1
        elif certificate.kind == "collection":
            counts["collected"] += 1
        if certificate.chain_certificate_id is not None:
            record.certificates.append(
                {
                    "id": certificate.chain_certificate_id,
                    "kind": certificate.kind,
                    "level": certificate.level,
                    "resource_id": version.resource_id,
                    "version": version.number,
                }
            )
    record.selected_by_level = dict(sorted(levels.items()))
    views, downloads = session.execute(
        select(func.coalesce(func.sum(ResourceStat.views), 0), func.coalesce(func.sum(ResourceStat.downloads), 0)).where(
            ResourceStat.version_id.in_(ids)
        )
    ).one()
    counts["views"], counts["downloads"] = int(views), int(downloads)
    return record


def teacher_record(session: Session, address: str) -> ContributionRecord:
    return _record(session, address, ResourceVersion.author == address)


def school_record(session: Session, institution_id: str) -> ContributionRecord:
    return _record(session, institution_id, ResourceVersion.institution_id == institution_id)


def statement_document(record: ContributionRecord, *, bureau: Bureau, chain_id: int, base_url: str, now: datetime) -> dict[str, Any]:
    credential_id = f"urn:uuid:{uuid.uuid4()}"
    achievement_id = f"{credential_id}#achievement"
    descriptions = [
        {"id": f"{achievement_id}-{name}", "type": ["ResultDescription"], "name": _LABELS[name], "resultType": "ext:Count"}
        for name in COUNTS
    ]
    descriptions += [
        {
            "id": f"{achievement_id}-selected-{level}",
            "type": ["ResultDescription"],
            "name": f"入选（{level_name(level)}）",
            "resultType": "ext:Count",
        }
        for level in record.selected_by_level
    ]
    results = [{"type": ["Result"], "resultDescription": f"{achievement_id}-{name}", "value": str(record.counts[name])} for name in COUNTS]
    results += [
        {"type": ["Result"], "resultDescription": f"{achievement_id}-selected-{level}", "value": str(count)}
        for level, count in record.selected_by_level.items()
    ]
    summary = "；".join(f"{_LABELS[name]} {record.counts[name]}" for name in COUNTS)
    evidence = [
        {
            "id": f"urn:eduledger:certificate:{chain_id}:{c['id']}",
            "type": ["Evidence"],
            "name": f"{CERTIFICATE_NAMES[c['kind']].title} #{c['id']}（{level_name(c['level'])}）",
            "description": f"resource {c['resource_id']} v{c['version']}; verify: {base_url}/certificates/{c['id']}/verify",
        }
        for c in record.certificates
    ]
    stamp = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    return achievement_credential(
        credential_id=credential_id,
        issuer_id=institution_uri(bureau.id),
        issuer_name=bureau.name,
        identifier=None,
        subject_id=f"did:pkh:eip155:{chain_id}:{record.subject}",
        achievement={
            "id": achievement_id,
            "type": ["Achievement"],
            "achievementType": "ext:ContributionStatement",
            "name": "教师资源建设贡献证明",
            "description": f"截至 {stamp}：{summary}。",
            "criteria": {"narrative": f"{bureau.name}依链上记录统计；所列证书可逐一在链上核验。"},
            "resultDescription": descriptions,
        },
        valid_from=stamp,
        valid_until=(now + _STATEMENT_VALIDITY).strftime("%Y-%m-%dT%H:%M:%SZ"),
        name="教师资源建设贡献证明",
        evidence=evidence,
        subject_extra={"result": results},
    )


def _documents(session: Session, key: str) -> list[dict[str, Any]] | None:
    statement = session.get(ContributionStatement, key.removeprefix("contribution:"))
    if statement is None or statement.root is not None:
        return None
    return [statement.document]


def _complete(session: Session, key: str, issued: IssuedBatch) -> None:
    statement = session.get_one(ContributionStatement, key.removeprefix("contribution:"))
    statement.document = issued.credentials[0]
    statement.root, statement.tx_hash = "0x" + issued.root.hex(), issued.tx_hash


BATCHES = BureauBatches(_documents, _complete)
"""Where contribution statements keep their documents (given to :meth:`Issuing.add_bureau_batches`)."""
SOURCE = "contributions"


def issue_statement(
    session: Session,
    address: str,
    *,
    bureau: Bureau,
    ledger: Ledger,
    issuing: Issuing,
    base_url: str,
) -> ContributionStatement:
    """A contribution statement for ``address`` now: its document committed with the chain job that
    signs and anchors it, then waited for (:class:`ChainWriteWaiting` when it is not mined in time:
    it completes in the background; its ``batch_key`` is the statement's id)."""
    if bureau.signing_key is None or not bureau.issues_certificates:
        raise ConflictError("this registry's bureau cannot issue credentials on chain (not accredited)", code="issuer_unavailable")
    now = datetime.now(UTC).replace(microsecond=0)
    document = statement_document(teacher_record(session, address), bureau=bureau, chain_id=ledger.chain_id, base_url=base_url, now=now)
    statement = ContributionStatement(id=document["id"], teacher=address, document=document, issued_at=now)
    session.add(statement)
    job = issuing.enqueue_bureau_batch(
        session, bureau.id_hex, source=SOURCE, key=f"contribution:{document['id']}", credential_type=CONTRIBUTION_STATEMENT_TYPE
    )
    statement.chain_job_id = job.id
    session.commit()
    try:
        issuing.await_job(session, job.id)
    except ChainWriteWaiting as waiting:
        waiting.batch_key = document["id"]  # the statement's id: where to follow it
        raise
    session.expire_all()  # the worker completed it in its own session
    return session.get_one(ContributionStatement, document["id"])
