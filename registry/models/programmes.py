"""Selection programmes (遴选/推荐): the programme and its quotas, nominees, panel scores, objections
raised during the public notice (公示), recommendations up a level, collections (收藏), and the
programme's append-only, hash-chained decision events."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Float, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow

__all__ = ["Collection", "Nominee", "Objection", "PanelScore", "Programme", "ProgrammeEvent", "Recommendation"]


class Programme(Base):
    """One yearly selection run by a bureau at a level. ``chain_id`` is the bytes32 its certificates
    carry on chain (``programmeId``). Quotas left None do not limit."""

    __tablename__ = "programmes"

    id: Mapped[int] = mapped_column(primary_key=True)
    chain_id: Mapped[str] = mapped_column(String(66), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    year: Mapped[int] = mapped_column(Integer)
    level: Mapped[str] = mapped_column(String(20))  # district, city, province
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"))  # the organising bureau
    created_by: Mapped[str] = mapped_column(String(42))
    resource_types: Mapped[list[str]] = mapped_column(JSON)  # empty: every type
    catalogue_scope: Mapped[list[str]] = mapped_column(JSON)  # catalogue node ids whose subtrees are eligible; empty: all
    quota_total: Mapped[int] = mapped_column(Integer)
    quota_per_school: Mapped[int | None] = mapped_column(Integer, default=None)
    quota_per_teacher: Mapped[int | None] = mapped_column(Integer, default=None)
    quota_per_node: Mapped[int | None] = mapped_column(Integer, default=None)
    node_level: Mapped[str] = mapped_column(String(20))  # the catalogue level a per-node quota counts at (chapter, volume, …)
    nomination_closes_at: Mapped[datetime] = mapped_column(UtcDateTime)
    notice_days: Mapped[int] = mapped_column(Integer)  # the 公示 window's length, from publication
    panel: Mapped[list[str]] = mapped_column(JSON)  # reviewer addresses
    rubric: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # [{criterion, max}]
    min_scores: Mapped[int] = mapped_column(Integer)
    blind_review: Mapped[bool] = mapped_column(Boolean)
    recommend_count: Mapped[int] = mapped_column(Integer, default=0)  # the top selected recommended upward (0: none)
    state: Mapped[str] = mapped_column(String(20), default="open")  # open, notice, selected
    notice_opens_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    notice_closes_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    selected_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class Nominee(Base):
    """A resource version nominated to a programme: by its lead author (self), by a school, or taken
    in from a lower level's recommendation. ``bucket`` is the catalogue node its per-node quota counts in."""

    __tablename__ = "nominees"
    __table_args__ = (UniqueConstraint("programme_id", "resource_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    resource_id: Mapped[int] = mapped_column(ForeignKey("resources.id"))
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), index=True)
    teacher: Mapped[str] = mapped_column(String(42), index=True)  # the lead author
    school_id: Mapped[str | None] = mapped_column(String(66), default=None, index=True)
    bucket: Mapped[str] = mapped_column(String(120))
    route: Mapped[str] = mapped_column(String(20))  # self, school, recommendation
    nominated_by: Mapped[str] = mapped_column(String(42))
    status: Mapped[str] = mapped_column(String(20), default="nominated")  # nominated, proposed, removed, selected, dropped
    mean_score: Mapped[float | None] = mapped_column(Float, default=None)
    rank: Mapped[int | None] = mapped_column(Integer, default=None)  # within its bucket
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PanelScore(Base):
    """One panel reviewer's rubric scores for one nominee; never changed once given."""

    __tablename__ = "panel_scores"
    __table_args__ = (UniqueConstraint("nominee_id", "reviewer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    nominee_id: Mapped[int] = mapped_column(ForeignKey("nominees.id"), index=True)
    reviewer: Mapped[str] = mapped_column(String(42))
    scores: Mapped[dict[str, int]] = mapped_column(JSON)
    total: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Objection(Base):
    """An objection (异议) to a proposed nominee during the notice window, and its recorded decision."""

    __tablename__ = "objections"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    nominee_id: Mapped[int] = mapped_column(ForeignKey("nominees.id"), index=True)
    filed_by: Mapped[str] = mapped_column(String(42))
    reason: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status: Mapped[str] = mapped_column(String(10), default="open")  # open, upheld, rejected
    decision_reason: Mapped[str | None] = mapped_column(Text, default=None)
    decided_by: Mapped[str | None] = mapped_column(String(42), default=None)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class Recommendation(Base):
    """A 推荐 record: a selected nominee recommended to the next level, with its certificate;
    the next level's programme takes it in as a nominee."""

    __tablename__ = "recommendations"

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    nominee_id: Mapped[int] = mapped_column(ForeignKey("nominees.id"), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"))
    to_level: Mapped[str] = mapped_column(String(20))
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    decision_hash: Mapped[str] = mapped_column(String(66))  # the programme event that decided it
    taken_in_by: Mapped[int | None] = mapped_column(ForeignKey("nominees.id"), default=None, unique=True)  # the next level's nominee
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Collection(Base):
    """收藏: a platform or the national level collected an included resource version."""

    __tablename__ = "collections"
    __table_args__ = (UniqueConstraint("version_id", "level"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("resource_versions.id"), index=True)
    level: Mapped[str] = mapped_column(String(20))
    collected_by: Mapped[str] = mapped_column(String(42))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ProgrammeEvent(Base):
    """One append-only event of a programme. ``hash`` is sha256 of the event's JCS form, which holds
    the previous event's hash; an event about a nominee has its hash recorded on chain under the
    nominee's resource (ResourceRegistry.recordDecisions), which commits to every earlier event."""

    __tablename__ = "programme_events"
    __table_args__ = (UniqueConstraint("programme_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(ForeignKey("programmes.id"), index=True)
    seq: Mapped[int] = mapped_column(Integer)
    action: Mapped[str] = mapped_column(String(30))
    nominee_id: Mapped[int | None] = mapped_column(ForeignKey("nominees.id"), default=None)
    actor: Mapped[str] = mapped_column(String(42))
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    prev_hash: Mapped[str] = mapped_column(String(66))
    hash: Mapped[str] = mapped_column(String(66), unique=True)
    chain_job_id: Mapped[int | None] = mapped_column(ForeignKey("chain_jobs.id"), default=None)
    chain_tx: Mapped[str | None] = mapped_column(String(66), default=None)
    chain_block: Mapped[int | None] = mapped_column(BigInteger, default=None)
