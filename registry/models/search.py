"""What the search index follows: a log of changes, written in the transaction that makes them.

The index (registry.search) lives outside the database; these rows tell it what to look at again.
A row names a resource version whose searchable state may have changed (accepted, superseded,
withdrawn, reinstated) or a catalogue node that was renamed (every accepted version under it
changes its facets and path). The index reads the rows past its watermark and re-derives each
named thing from the database, so applying a row twice, or late, does no harm.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow

__all__ = ["SearchChange"]


class SearchChange(Base):
    __tablename__ = "search_changes"
    __table_args__ = {"sqlite_autoincrement": True}  # ids never reused: the watermark only moves forward

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    version_id: Mapped[int | None] = mapped_column(Integer, default=None)
    node_id: Mapped[str | None] = mapped_column(String(120), default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)
