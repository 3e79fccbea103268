"""Chain jobs: what the registry has decided to write on chain, carried out by the chain worker.

A job is committed in the same database transaction as the decision that needs it, so an
accepted request never loses its chain write; the worker sends each job under the idempotency
key ``job:<id>`` through the durable outbox, so a restart never sends it twice.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow

__all__ = ["ChainJob", "JobStatus"]


class JobStatus:
    PENDING = "pending"  # committed, not yet journaled by the sender
    SENT = "sent"  # journaled and sent; waiting for the receipt
    DONE = "done"
    FAILED = "failed"


class ChainJob(Base):
    __tablename__ = "chain_jobs"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True, default=lambda: "job:" + uuid.uuid4().hex)
    kind: Mapped[str] = mapped_column(String(40))
    subject: Mapped[str | None] = mapped_column(String(80), default=None, index=True)
    # The key that sends it: an institution's own issuer key (its address), or None for the relayer's.
    sender: Mapped[str | None] = mapped_column(String(42), default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    status: Mapped[str] = mapped_column(String(10), default=JobStatus.PENDING, index=True)
    depends_on: Mapped[int | None] = mapped_column(ForeignKey("chain_jobs.id"), default=None)
    tx_hash: Mapped[str | None] = mapped_column(String(66), default=None)
    block_number: Mapped[int | None] = mapped_column(BigInteger, default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
