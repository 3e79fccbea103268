"""The outbox journal: durable, idempotent by key, with the state changes reconciliation needs."""

from __future__ import annotations

from pathlib import Path

import pytest

from ledger_service import OutboxError
from ledger_service.chain import Outbox, OutboxStatus
from ledger_service.chain._outbox import NewEntry


def entry(nonce: int, key: str | None = None) -> NewEntry:
    return NewEntry(key, "test", "0xSender", nonce, "0xTo", f"0x{nonce:064x}", bytes([nonce % 256]) * 10)


def test_entries_survive_reopening(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    outbox = Outbox(path, chain_id=5)
    outbox.journal([entry(0, "a"), entry(1, "b")])
    outbox.close()
    reopened = Outbox(path, chain_id=5)
    assert [e.nonce for e in reopened.open_entries()] == [0, 1]
    assert reopened.by_keys(["b"])["b"].raw_tx == bytes([1]) * 10
    assert reopened.next_nonce("0xSender") == 2
    assert Outbox(path, chain_id=6).open_entries() == [], "entries belong to their chain id"


def test_a_batch_is_journaled_whole_or_not_at_all(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", chain_id=1)
    outbox.journal([entry(0, "a")])
    with pytest.raises(OutboxError):
        outbox.journal([entry(1, "b"), entry(2, "a")])  # key "a" again
    assert [e.key for e in outbox.open_entries()] == ["a"]


def test_state_changes(tmp_path: Path) -> None:
    outbox = Outbox(tmp_path / "o.sqlite3", chain_id=1)
    first, second, third = (e.tx_hash for e in outbox.journal([entry(0), entry(1), entry(2)]))
    outbox.mark_mined([(first, 10, "0xb10", None), (second, 12, "0xb12", "0xContract")])
    outbox.mark_failed([(third, "reverted", 13)])
    assert outbox.by_hash(second).contract_address == "0xContract"  # type: ignore[union-attr]
    outbox.mark_final_through(11)
    assert outbox.counts() == {OutboxStatus.FINAL: 1, OutboxStatus.MINED: 1, OutboxStatus.FAILED: 1}
    outbox.mark_unmined([second])
    (reopened,) = outbox.open_entries()
    assert reopened.status == OutboxStatus.SIGNED and reopened.block_number is None


def test_an_unusable_path_is_a_clear_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(OutboxError, match="cannot open the transaction outbox"):
        Outbox(blocker / "outbox.sqlite3", chain_id=1)
