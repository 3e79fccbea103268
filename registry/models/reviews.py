"""Review (入库): reviewer assignments, rubric reviews, and the append-only workflow events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow

__all__ = ["Review", "ReviewAssignment", "WorkflowEvent"]


class ReviewAssignment(Base):
    __tablename__ = "review_assignments"
    __table_args__ = (UniqueConstraint("version_id", "round", "reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(42), index=True)
    assigned_by: Mapped[str] = mapped_column(String(42))  # an administrator, or the reviewer (claimed)
    same_school: Mapped[bool] = mapped_column(Boolean, default=False)  # from the author's school (only with an override)
    conflict: Mapped[str | None] = mapped_column(String(300), default=None)  # the conflict of interest an administrator overrode
    override_reason: Mapped[str | None] = mapped_column(Text, default=None)  # why (also an override_conflict event)
    assigned_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class Review(Base):
    """A completed rubric review; never changed once submitted."""

    __tablename__ = "reviews"
    __table_args__ = (UniqueConstraint("version_id", "round", "reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), index=True)
    round: Mapped[int] = mapped_column(Integer)
    reviewer: Mapped[str] = mapped_column(String(42))
    orientation_pass: Mapped[bool] = mapped_column(Boolean)  # 政治性/导向性
    scores: Mapped[dict[str, int]] = mapped_column(JSON)  # review.RUBRIC's dimensions: 0–3 each
    comments: Mapped[dict[str, str]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    recommendation: Mapped[str] = mapped_column(String(20))  # accept, revise, decline
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WorkflowEvent(Base):
    """One append-only event of a version's history. ``hash`` is sha256 of the event's canonical
    (JCS) form, which includes the previous event's hash; the hash is recorded on chain."""

    __tablename__ = "workflow_events"
    __table_args__ = (UniqueConstraint("version_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(24), default=None)
    to_state: Mapped[str | None] = mapped_column(String(24), default=None)
    actor: Mapped[str] = mapped_column(String(42))
    role: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    reason_code: Mapped[str | None] = mapped_column(String(30), default=None)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    prev_hash: Mapped[str] = mapped_column(String(66))
    hash: Mapped[str] = mapped_column(String(66), unique=True)
    chain_job_id: Mapped[int | None] = mapped_column(ForeignKey("chain_jobs.id"), default=None, index=True)
    chain_tx: Mapped[str | None] = mapped_column(String(66), default=None)
    chain_block: Mapped[int | None] = mapped_column(BigInteger, default=None)
