"""The durable outbox: every write is journaled, signed, before it is sent.

A transaction's raw signed bytes are committed (SQLite, WAL, ``synchronous=FULL``) before the
first byte goes to the node, so after a crash the exact same transaction (same hash) can be
re-sent, and a transaction can never be sent under two hashes. Entries carry an optional
idempotency key: journaling a key twice returns the first entry.

States::

    signed ──receipt status 1──▶ mined ──durable on chain──▶ final
       │                           │
       │                           └──lost in a chain restore──▶ signed (re-sent, same bytes)
       └──receipt status 0 / nonce taken by another tx──▶ failed
                                    (never landed: its key is released and the call built again)
"""

from __future__ import annotations

import sqlite3
import threading
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from .._exceptions import OutboxError
from .._sqlite import open_durable

__all__ = ["Outbox", "OutboxEntry", "OutboxStatus"]


class OutboxStatus:
    SIGNED = "signed"
    MINED = "mined"
    FINAL = "final"
    FAILED = "failed"


@dataclass(frozen=True, slots=True)
class OutboxEntry:
    id: int
    key: str | None
    label: str
    sender: str
    nonce: int
    to: str | None
    tx_hash: str
    raw_tx: bytes
    status: str
    block_number: int | None = None
    block_hash: str | None = None
    contract_address: str | None = None
    error: str | None = None


_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    key TEXT UNIQUE,
    label TEXT NOT NULL,
    chain_id INTEGER NOT NULL,
    sender TEXT NOT NULL,
    nonce INTEGER NOT NULL,
    to_address TEXT,
    tx_hash TEXT NOT NULL UNIQUE,
    raw_tx BLOB NOT NULL,
    status TEXT NOT NULL,
    block_number INTEGER,
    block_hash TEXT,
    contract_address TEXT,
    error TEXT,
    created_at REAL NOT NULL,
    UNIQUE (chain_id, sender, nonce)
);
CREATE INDEX IF NOT EXISTS outbox_open ON outbox (status) WHERE status IN ('signed', 'mined');
"""

_COLUMNS = "id, key, label, sender, nonce, to_address, tx_hash, raw_tx, status, block_number, block_hash, contract_address, error"


@dataclass(frozen=True, slots=True)
class NewEntry:
    key: str | None
    label: str
    sender: str
    nonce: int
    to: str | None
    tx_hash: str
    raw_tx: bytes


class Outbox:
    """A journal of signed transactions for one chain id, in one SQLite file."""

    def __init__(self, path: Path | str, *, chain_id: int) -> None:
        self.path = Path(path)
        self.chain_id = chain_id
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = open_durable(self.path, _SCHEMA)
        except (OSError, sqlite3.Error) as exc:
            raise OutboxError(f"cannot open the transaction outbox at {self.path}: {exc}") from exc
        self._lock = threading.Lock()

    def close(self) -> None:
        self._db.close()

    @staticmethod
    def _entry(row: tuple[object, ...]) -> OutboxEntry:
        return OutboxEntry(*row)  # type: ignore[arg-type]

    def _select(self, where: str, params: Sequence[object] = ()) -> list[OutboxEntry]:
        with self._lock:
            rows = self._db.execute(f"SELECT {_COLUMNS} FROM outbox WHERE chain_id = ? AND {where}", (self.chain_id, *params)).fetchall()
        return [self._entry(row) for row in rows]

    def by_keys(self, keys: Iterable[str]) -> dict[str, OutboxEntry]:
        wanted = list(keys)
        found: dict[str, OutboxEntry] = {}
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            for entry in self._select(f"key IN ({marks})", chunk):
                found[entry.key or ""] = entry
        return found

    def by_hash(self, tx_hash: str) -> OutboxEntry | None:
        rows = self._select("tx_hash = ?", (tx_hash,))
        return rows[0] if rows else None

    def journal(self, entries: Sequence[NewEntry]) -> list[OutboxEntry]:
        """Commit ``entries`` durably in one transaction (all or nothing)."""
        now = time.time()
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(
                    "INSERT INTO outbox (key, label, chain_id, sender, nonce, to_address, tx_hash, raw_tx, status, created_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, 'signed', ?)",
                    [(e.key, e.label, self.chain_id, e.sender, e.nonce, e.to, e.tx_hash, e.raw_tx, now) for e in entries],
                )
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise OutboxError(f"cannot journal {len(entries)} transactions: {exc}") from exc
        return [OutboxEntry(0, e.key, e.label, e.sender, e.nonce, e.to, e.tx_hash, e.raw_tx, OutboxStatus.SIGNED) for e in entries]

    def next_nonce(self, sender: str) -> int | None:
        """One past the highest nonce ever journaled for ``sender``, or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT MAX(nonce) FROM outbox WHERE chain_id = ? AND sender = ?",
                (self.chain_id, sender),
            ).fetchone()
        return None if row[0] is None else int(row[0]) + 1

    def open_entries(self) -> list[OutboxEntry]:
        """Entries not yet final: signed (maybe sent) or mined but not yet durable."""
        return sorted(self._select("status IN ('signed', 'mined')"), key=lambda e: (e.sender, e.nonce))

    def mark_mined(self, updates: Sequence[tuple[str, int, str, str | None]]) -> None:
        """``(tx_hash, block_number, block_hash, contract_address)`` for each mined entry."""
        self._update(
            "UPDATE outbox SET status = 'mined', block_number = ?, block_hash = ?, contract_address = ?, error = NULL"
            " WHERE tx_hash = ? AND status != 'final'",
            [(n, h, c, tx) for tx, n, h, c in updates],
        )

    def mark_failed(self, updates: Sequence[tuple[str, str, int | None]]) -> None:
        """``(tx_hash, error, block_number)`` for each failed entry."""
        self._update(
            "UPDATE outbox SET status = 'failed', error = ?, block_number = ? WHERE tx_hash = ?",
            [(err, n, tx) for tx, err, n in updates],
        )

    def mark_unmined(self, tx_hashes: Sequence[str]) -> None:
        """The chain lost these mined entries (restored from an older snapshot): send them again."""
        self._update(
            "UPDATE outbox SET status = 'signed', block_number = NULL, block_hash = NULL WHERE tx_hash = ?",
            [(tx,) for tx in tx_hashes],
        )

    def release_keys(self, tx_hashes: Sequence[str]) -> None:
        """Failed entries that never landed give their idempotency key up (kept, suffixed, for the record)."""
        self._update(
            "UPDATE outbox SET key = key || '#lost:' || id WHERE tx_hash = ? AND status = 'failed' AND key IS NOT NULL",
            [(tx,) for tx in tx_hashes],
        )

    def mark_final_through(self, block_number: int) -> None:
        """Mined entries at or below ``block_number`` are durable: never look at them again."""
        self._update(
            "UPDATE outbox SET status = 'final' WHERE chain_id = ? AND status = 'mined' AND block_number <= ?",
            [(self.chain_id, block_number)],
        )

    def oldest_unmined(self) -> float | None:
        """When the oldest entry still waiting for a receipt was journaled (a Unix time), or None."""
        with self._lock:
            row = self._db.execute(
                "SELECT MIN(created_at) FROM outbox WHERE chain_id = ? AND status = 'signed'", (self.chain_id,)
            ).fetchone()
        return None if row[0] is None else float(row[0])

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT status, COUNT(*) FROM outbox WHERE chain_id = ? GROUP BY status", (self.chain_id,)).fetchall()
        return {str(status): int(count) for status, count in rows}

    def _update(self, sql: str, rows: Sequence[Sequence[object]]) -> None:
        if not rows:
            return
        with self._lock:
            try:
                self._db.execute("BEGIN IMMEDIATE")
                self._db.executemany(sql, rows)
                self._db.execute("COMMIT")
            except sqlite3.Error as exc:
                self._db.execute("ROLLBACK")
                raise OutboxError(f"cannot update the transaction outbox: {exc}") from exc
