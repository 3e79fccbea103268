"""Contribution records (教师评优评先, 职级评价): how often accepted resources are viewed and downloaded
(counts only: nothing about who viewed), and the contribution statements issued to teachers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow

__all__ = ["ContributionStatement", "ResourceStat"]


class ResourceStat(Base):
    __tablename__ = "resource_stats"

    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), primary_key=True)
    views: Mapped[int] = mapped_column(BigInteger, default=0)
    downloads: Mapped[int] = mapped_column(BigInteger, default=0)


class ContributionStatement(Base):
    """A signed contribution statement (a verifiable credential anchored on chain) issued to a teacher."""

    __tablename__ = "contribution_statements"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the credential's id (urn:uuid:…)
    teacher: Mapped[str] = mapped_column(String(42), index=True)
    document: Mapped[dict[str, Any]] = mapped_column(JSON)  # unsigned until its chain job anchors it, then the credential
    root: Mapped[str | None] = mapped_column(String(66), nullable=True)  # None: its chain job has not completed it yet
    tx_hash: Mapped[str | None] = mapped_column(String(66), nullable=True)
    chain_job_id: Mapped[int | None] = mapped_column(default=None)  # the job that signs and anchors it
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
