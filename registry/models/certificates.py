"""Resource certificates (收录 / 收藏 / 入选 / 推荐) as the registry knows them; the chain is the authority."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow

__all__ = ["Certificate"]


class Certificate(Base):
    __tablename__ = "certificates"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # inclusion, collection, selection, recommendation
    level: Mapped[str] = mapped_column(String(20))  # school, district, city, province, national
    status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, issued, revoked, failed
    chain_certificate_id: Mapped[int | None] = mapped_column(BigInteger, default=None, unique=True)
    issue_job_id: Mapped[int | None] = mapped_column(ForeignKey("chain_jobs.id"), default=None)
    issued_tx: Mapped[str | None] = mapped_column(String(66), default=None)
    revocation_reason: Mapped[str | None] = mapped_column(String(30), default=None)
    revoked_tx: Mapped[str | None] = mapped_column(String(66), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    programme_id: Mapped[int | None] = mapped_column(ForeignKey("programmes.id"), default=None, index=True)  # 入选 / 推荐
    # The certificate as a verifiable credential, issued by the bureau once the certificate is on chain.
    credential_batch: Mapped[str | None] = mapped_column(String(100), default=None)
    credential_document: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # unsigned, fixed first
    credential: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    status_list_id: Mapped[str | None] = mapped_column(ForeignKey("status_lists.id"), default=None)
    status_index: Mapped[int | None] = mapped_column(Integer, default=None)
    credential_revoked: Mapped[bool] = mapped_column(Boolean, default=False)
