"""Resources (works) and their versions: content, metadata, rights, review state, chain record."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow

__all__ = ["AuthorConfirmation", "ContentCid", "ContentPart", "Fingerprint", "Resource", "ResourceVersion"]


class Resource(Base):
    """A work; each revision of it is a :class:`ResourceVersion` with its own review."""

    __tablename__ = "resources"

    id: Mapped[int] = mapped_column(primary_key=True)
    owner: Mapped[str] = mapped_column(String(42), index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ResourceVersion(Base):
    __tablename__ = "resource_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    predecessor_id: Mapped[int | None] = mapped_column(ForeignKey("resource_versions.id"), default=None)
    author: Mapped[str] = mapped_column(String(42), index=True)  # the lead author, who signed
    institution_id: Mapped[str | None] = mapped_column(String(66), default=None)  # author's school then
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text)
    keywords: Mapped[list[str]] = mapped_column(JSON)
    resource_type: Mapped[str] = mapped_column(String(40))
    catalogue_node_id: Mapped[str] = mapped_column(ForeignKey("catalogue_nodes.id"), index=True)
    licence: Mapped[str] = mapped_column(String(64))
    authors: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{address, share}] in signed order
    parts: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{name, role, cid, size, media_type, sha256}]
    root_cid: Mapped[str] = mapped_column(String(100))
    content_hash: Mapped[str] = mapped_column(String(66), unique=True)
    metadata_hash: Mapped[str] = mapped_column(String(66))
    signature: Mapped[str] = mapped_column(String(132))
    nonce: Mapped[int] = mapped_column(BigInteger)
    deadline: Mapped[int] = mapped_column(BigInteger)
    # Review workflow (registry.workflows.review); lock_version guards concurrent transitions.
    state: Mapped[str] = mapped_column(String(24), index=True)
    round: Mapped[int] = mapped_column(Integer, default=1)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)
    near_duplicates: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    accepted_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    # The 数据驾驶舱's facts (registry.crud.dashboard), written with the submission and the first decision
    # (registry.workflows.review) so its aggregates are GROUP BYs over this table's indexes: the catalogue
    # node's 学段 and 学科, the months in China Standard Time, the first decision (accept, decline or
    # request_revisions; a later one does not replace it), when it was taken and its turnaround.
    stage: Mapped[str | None] = mapped_column(String(50), default=None)
    subject: Mapped[str | None] = mapped_column(String(50), default=None)
    submitted_month: Mapped[str | None] = mapped_column(String(7), default=None)
    first_decision: Mapped[str | None] = mapped_column(String(24), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    decided_month: Mapped[str | None] = mapped_column(String(7), default=None)
    turnaround_s: Mapped[float | None] = mapped_column(Float, default=None)
    # On chain (ResourceRegistry), filled in by the chain worker.
    chain_status: Mapped[str] = mapped_column(String(10), default="pending", index=True)  # (counted by the dashboard)
    chain_resource_id: Mapped[int | None] = mapped_column(BigInteger, default=None, index=True)
    registration_tx: Mapped[str | None] = mapped_column(String(66), default=None)
    registration_block: Mapped[int | None] = mapped_column(BigInteger, default=None)
    chain_error: Mapped[str | None] = mapped_column(Text, default=None)

    __mapper_args__ = {"version_id_col": lock_version}
    __table_args__ = (
        UniqueConstraint("resource_id", "number"),
        UniqueConstraint("author", "nonce"),
        # The dashboard's counts read this index alone (not the wide rows); its percentiles walk the
        # turnaround in order within each group (registry.crud.dashboard).
        Index(
            "ix_resource_versions_dashboard",
            "stage",
            "subject",
            "institution_id",
            "submitted_month",
            "decided_month",
            "first_decision",
            "created_at",
            "decided_at",
        ),
        Index("ix_resource_versions_turnaround", "turnaround_s", "decided_at"),
        Index("ix_resource_versions_stage_turnaround", "stage", "turnaround_s", "decided_at"),
        Index("ix_resource_versions_subject_turnaround", "subject", "turnaround_s", "decided_at"),
        Index("ix_resource_versions_school_turnaround", "institution_id", "turnaround_s", "decided_at"),
        Index("ix_resource_versions_month_turnaround", "decided_month", "turnaround_s", "decided_at"),
    )


class AuthorConfirmation(Base):
    """A co-author's EIP-712 confirmation of their authorship and share of a version: until it is on
    chain (ResourceRegistry.confirmAuthorship) they hold no share."""

    __tablename__ = "author_confirmations"
    __table_args__ = (UniqueConstraint("version_id", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), index=True)
    address: Mapped[str] = mapped_column(String(42))
    share: Mapped[int] = mapped_column(Integer)
    deadline: Mapped[int] = mapped_column(BigInteger)
    signature: Mapped[str] = mapped_column(String(132))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    chain_status: Mapped[str] = mapped_column(String(10), default="pending")  # pending, mined, failed
    chain_tx: Mapped[str | None] = mapped_column(String(66), default=None)
    chain_error: Mapped[str | None] = mapped_column(Text, default=None)


class ContentPart(Base):
    """One file of a version, by its bytes' sha256: exact duplicates of a part are found here."""

    __tablename__ = "content_parts"

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64), index=True)
    size: Mapped[int] = mapped_column(BigInteger)


class ContentCid(Base):
    """A CID a version holds (its root, or a part), by the CID's sha2-256 digest (CIDv0 and v1 of the
    same block share it): who may read content through ``/ipfs`` follows the versions holding it."""

    __tablename__ = "content_cids"
    __table_args__ = (UniqueConstraint("digest", "version_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    digest: Mapped[str] = mapped_column(String(66), index=True)  # 0x + 64 hex digits
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), index=True)


class Fingerprint(Base):
    """A 64-bit similarity code of a part (ISCC data or content code), split into four 16-bit bands
    so that near-duplicates are found through indexes (see ledger_service.content.band_probes)."""

    __tablename__ = "fingerprints"
    __table_args__ = tuple(Index(f"ix_fingerprints_kind_b{band}", "kind", f"b{band}") for band in range(4))

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), index=True)
    part_name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(10))
    code: Mapped[int] = mapped_column(BigInteger)  # signed: the unsigned code minus 2**63
    b0: Mapped[int] = mapped_column(Integer)
    b1: Mapped[int] = mapped_column(Integer)
    b2: Mapped[int] = mapped_column(Integer)
    b3: Mapped[int] = mapped_column(Integer)
