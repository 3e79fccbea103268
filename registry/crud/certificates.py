"""The registry's records of the certificates it had issued."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from ..models import Certificate, ResourceVersion

__all__ = ["certificate_record", "expected_content_hash"]


def certificate_record(*, session: Session, certificate_id: int) -> tuple[Certificate, ResourceVersion] | None:
    """The registry's certificate with chain id ``certificate_id`` and the version it certifies."""
    certificate = session.scalar(select(Certificate).where(Certificate.chain_certificate_id == certificate_id))
    if certificate is None:
        return None
    return certificate, session.get_one(ResourceVersion, certificate.version_id)


def expected_content_hash(sessions: sessionmaker[Session], certificate_id: int) -> bytes | None:
    """The content hash the registry recorded for the certified version (None: not one of ours)."""
    with sessions() as session:
        record = certificate_record(session=session, certificate_id=certificate_id)
    return bytes.fromhex(record[1].content_hash[2:]) if record else None
