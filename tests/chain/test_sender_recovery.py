"""A journaled transaction whose nonce went to another one can never land: reconcile says so, and
the work is built again under its key (issue 11: an institution's outbox held nonces the chain
never received, and every later write of that school timed out)."""

from __future__ import annotations

from pathlib import Path

from ledger_service.chain import ContractCall, Outbox, OutboxStatus, TransactionSender
from tests.utils.pyevm import DECODER, PyEvmSuite

PAYEE = "0x000000000000000000000000000000000000bEEF"


def test_a_lost_entry_gives_its_key_up_and_the_call_is_signed_again(suite: PyEvmSuite, tmp_path: Path) -> None:
    sender = suite.sender(4)
    call = ContractCall(to=PAYEE, data=b"", value=7, key="fund:beef", label="fund")
    (lost,) = sender._sign_and_journal([call])  # journaled, then the process died before sending it
    # Meanwhile another journal of the same key (a second process on a copy of the data) used the nonce.
    rival = TransactionSender(
        suite.rpc, suite.signer(4), Outbox(tmp_path / "rival.sqlite3", chain_id=suite.chain_id), decoder=DECODER, poll_interval=0
    )
    rival.transact(ContractCall(to=PAYEE, data=b"", value=1, label="other"))
    rival.close()

    report = sender.reconcile()
    assert report.dropped == 1 and sender.outbox.by_hash(lost.tx_hash).status == OutboxStatus.FAILED  # type: ignore[union-attr]
    balance = int(suite.rpc.request("eth_getBalance", [PAYEE, "latest"]), 16)

    (again,) = sender.submit([call])
    assert again.tx_hash != lost.tx_hash and again.nonce > lost.nonce, "built again under a nonce of its own"
    (receipt,) = sender.wait([again.tx_hash])
    assert receipt.succeeded and int(suite.rpc.request("eth_getBalance", [PAYEE, "latest"]), 16) == balance + 7
    assert sender.submit([call])[0].tx_hash == again.tx_hash, "and the key is idempotent again"
    assert sender.outbox.by_hash(lost.tx_hash).key == f"fund:beef#lost:{sender.outbox.by_hash(lost.tx_hash).id}"  # type: ignore[union-attr]


def test_a_reverted_entry_keeps_its_key(suite: PyEvmSuite) -> None:
    """A revert landed on chain: building it again would not change the answer, and must not send twice."""
    sender = suite.sender(4)
    (entry,) = sender._sign_and_journal([ContractCall(to=PAYEE, data=b"", value=1, key="k", label="x")])
    sender.outbox.mark_failed([(entry.tx_hash, "reverted", 1)])
    assert sender.submit([ContractCall(to=PAYEE, data=b"", value=1, key="k", label="x")])[0].tx_hash == entry.tx_hash
