"""The one way EduLedger opens its small local SQLite stores (outbox, pins, vault, journals)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

__all__ = ["open_durable"]


def open_durable(path: Path | str, schema: str) -> sqlite3.Connection:
    """A connection shared across threads (callers lock), autocommit unless a statement opens a
    transaction, WAL journal, and ``synchronous=FULL``: a committed write survives a crash."""
    connection = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
    connection.execute("PRAGMA journal_mode=WAL")
    connection.execute("PRAGMA synchronous=FULL")
    connection.executescript(schema)
    return connection
