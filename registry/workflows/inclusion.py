"""What 入库 and 出库 change beyond the state: certificates, the search index, the older version.

Accepting a version issues its inclusion certificate (收录证书) on chain, supersedes the resource's
previously accepted version, and logs both for the search index (which then shows the new version
instead of the old). Withdrawing an accepted version revokes its certificates (with the
withdrawal's reason code) and logs it for the search index, which drops it.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ..chain.bureau import Bureau
from ..chain.jobs import enqueue
from ..crud import search as search_crud
from ..models import Certificate, ResourceVersion, utcnow
from .resource_types import WITHDRAWAL_REASONS
from .review import State, pending_certificates, supersede

__all__ = ["issue_certificate", "on_accept", "on_withdraw"]


def issue_certificate(session: Session, version: ResourceVersion, *, kind: str, level: str, programme_id: int | None = None) -> Certificate:
    certificate = Certificate(version_id=version.id, kind=kind, level=level, programme_id=programme_id)
    session.add(certificate)
    session.flush()
    job = enqueue(session, "issue_certificate", {"certificate_id": certificate.id}, subject=f"version:{version.id}")
    certificate.issue_job_id = job.id
    return certificate


def on_accept(session: Session, version: ResourceVersion, *, bureau: Bureau) -> None:
    if version.accepted_at is None:
        version.accepted_at = utcnow()
    older = session.scalars(
        select(ResourceVersion).where(
            ResourceVersion.resource_id == version.resource_id,
            ResourceVersion.id != version.id,
            ResourceVersion.state == State.ACCEPTED,
        )
    )
    for previous in list(older):
        supersede(session, previous, by_version=version)
        search_crud.record_version_change(session, previous.id)
    issue_certificate(session, version, kind="inclusion", level=bureau.certificate_level)
    search_crud.record_version_change(session, version.id)


def on_withdraw(session: Session, version: ResourceVersion, reason_code: str) -> None:
    for certificate in pending_certificates(session, version):
        certificate.revocation_reason = reason_code
        enqueue(
            session,
            "revoke_certificate",
            {"certificate_id": certificate.id, "reason_code": WITHDRAWAL_REASONS[reason_code]},
            subject=f"version:{version.id}",
        )
    search_crud.record_version_change(session, version.id)
