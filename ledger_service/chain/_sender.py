"""The batched signed sender: nonce manager, gas estimation, journal-then-send, receipts.

One sender owns one key. ``submit`` estimates gas (one JSON-RPC batch), assigns nonces, signs
with coincurve, journals the signed bytes in the outbox, then sends them as JSON-RPC batches of
``eth_sendRawTransaction``. ``wait`` collects receipts with the configured confirmation depth.
``reconcile`` (run on start) re-sends what the chain does not have, with the same bytes.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable, Mapping, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from eth_utils.address import to_checksum_address

from .._exceptions import (
    ChainUnavailableError,
    ContractRevertError,
    JsonRpcError,
    TransactionRejectedError,
    TransactionTimeoutError,
)
from ._contracts import ContractCall
from ._outbox import NewEntry, Outbox, OutboxEntry, OutboxStatus
from ._revert import RevertDecoder
from ._rpc import RpcClient
from ._signer import Signer, UnsignedTransaction

__all__ = ["ReconcileReport", "Receipt", "TransactionSender"]

_ALREADY_KNOWN = ("already known", "already imported", "known transaction", "transaction already exists")


@dataclass(frozen=True, slots=True)
class Receipt:
    """A mined transaction. ``gas_used`` is None when success was read from the block's logs."""

    tx_hash: str
    succeeded: bool
    block_number: int
    block_hash: str
    gas_used: int | None
    contract_address: str | None
    logs: list[dict[str, Any]] = field(default_factory=list)

    @classmethod
    def from_rpc(cls, data: Mapping[str, Any]) -> Receipt:
        address = data.get("contractAddress")
        return cls(
            tx_hash=str(data["transactionHash"]),
            succeeded=int(data["status"], 16) == 1,
            block_number=int(data["blockNumber"], 16),
            block_hash=str(data["blockHash"]),
            gas_used=int(data["gasUsed"], 16),
            contract_address=to_checksum_address(address) if address else None,
            logs=list(data.get("logs") or []),
        )


@dataclass(frozen=True, slots=True)
class ReconcileReport:
    """What ``reconcile`` found: entries confirmed, re-sent with their original bytes, or dropped."""

    confirmed: int = 0
    resent: int = 0
    dropped: int = 0
    failed: int = 0
    resent_hashes: tuple[str, ...] = ()


def _hexint(value: Any) -> int:
    return int(value, 16) if isinstance(value, str) else int(value)


class TransactionSender:
    """Sends writes for one signer through the durable outbox."""

    def __init__(
        self,
        rpc: RpcClient,
        signer: Signer,
        outbox: Outbox,
        *,
        decoder: RevertDecoder,
        confirmations: int = 1,
        batch_size: int = 1000,
        gas_margin: float = 1.25,
        poll_interval: float = 0.02,
        receipt_timeout: float = 120.0,
        finalize_confirmed: bool = False,
    ) -> None:
        if confirmations < 1:
            raise ValueError("confirmations must be at least 1")
        self.rpc = rpc
        self.signer = signer
        self.outbox = outbox
        self.chain_id = outbox.chain_id
        self.decoder = decoder
        self.confirmations = confirmations
        self.batch_size = batch_size
        self.gas_margin = gas_margin
        self.poll_interval = poll_interval
        self.receipt_timeout = receipt_timeout
        # On a chain with finality (Besu QBFT) a confirmed receipt is durable; on the embedded
        # chain only a state snapshot is, and the node manager calls finalize() after each.
        self.finalize_confirmed = finalize_confirmed
        self._lock = threading.RLock()
        self._next_nonce: int | None = None
        # Block height seen just before each transaction was sent: where to start scanning for it.
        self._sent_after_block: dict[str, int] = {}
        self._creations: set[str] = set()  # deployments: their receipt carries the new address
        self._sending = ThreadPoolExecutor(max_workers=1, thread_name_prefix="tx-sender")

    @property
    def address(self) -> str:
        return self.signer.address

    def close(self) -> None:
        """Stop the sending thread (after any send in flight) and close the outbox."""
        self._sending.shutdown(wait=True)
        self.outbox.close()

    # Submitting...

    def submit(self, calls: Sequence[ContractCall]) -> list[OutboxEntry]:
        """Journal and send ``calls``; returns their outbox entries in order.

        A call whose ``key`` was journaled before is not sent again: its first entry is returned.
        If gas estimation shows any new call would revert, nothing is journaled and the decoded
        :class:`ContractRevertError` is raised (its ``index`` attribute says which call).
        """
        with self._lock:
            known = self.outbox.by_keys(c.key for c in calls if c.key)
            # An entry that can never land (its nonce went to another transaction, or the node
            # refused it) gives up its key: the call is built again, signed under a new nonce.
            lost = [e for e in known.values() if e.status == OutboxStatus.FAILED and e.error != "reverted"]
            if lost:
                self.outbox.release_keys([e.tx_hash for e in lost])
                for entry in lost:
                    del known[entry.key or ""]
            fresh = [(i, c) for i, c in enumerate(calls) if not (c.key and c.key in known)]
            seen: set[str] = set()
            for _, call in fresh:
                if call.key and call.key in seen:
                    raise ValueError(f"the same idempotency key appears twice in one submission: {call.key}")
                if call.key:
                    seen.add(call.key)
            results: dict[int, OutboxEntry] = {i: known[c.key] for i, c in enumerate(calls) if c.key and c.key in known}
            # One sending thread, in order: chunk k goes over the wire while chunk k+1 is signed.
            sends: list[Future[None]] = []
            try:
                for start in range(0, len(fresh), self.batch_size):
                    chunk = fresh[start : start + self.batch_size]
                    entries = self._sign_and_journal([c for _, c in chunk])
                    sends.append(self._sending.submit(self._send, entries))
                    for (index, _), entry in zip(chunk, entries, strict=True):
                        results[index] = entry
            finally:
                for send in sends:
                    send.result()  # re-raises a rejection
            return [results[i] for i in range(len(calls))]

    def _sign_and_journal(self, calls: Sequence[ContractCall]) -> list[OutboxEntry]:
        gases = self._estimate([c for c in calls])
        max_fee, tip, head = self._fees()
        nonce = self._allocate_nonces(len(calls))
        news: list[NewEntry] = []
        for offset, (call, gas) in enumerate(zip(calls, gases, strict=True)):
            signed = self.signer.sign_transaction(
                UnsignedTransaction(
                    chain_id=self.chain_id,
                    nonce=nonce + offset,
                    to=call.to,
                    data=call.data,
                    gas=gas,
                    max_fee_per_gas=max_fee,
                    max_priority_fee_per_gas=tip,
                    value=call.value,
                )
            )
            news.append(NewEntry(call.key, call.label, self.address, signed.nonce, call.to, signed.hash, signed.raw))
        entries = self.outbox.journal(news)  # durable before the first byte leaves
        self._next_nonce = nonce + len(calls)
        for entry in entries:
            self._sent_after_block[entry.tx_hash] = head
            if entry.to is None:
                self._creations.add(entry.tx_hash)
        return entries

    def _estimate(self, calls: Sequence[ContractCall]) -> list[int]:
        wanted = [(i, c) for i, c in enumerate(calls) if c.gas is None]
        gases = [c.gas or 0 for c in calls]
        answers = self.rpc.batch(
            [
                (
                    "eth_estimateGas",
                    [
                        {
                            "from": self.address,
                            **({"to": c.to} if c.to else {}),
                            "data": "0x" + c.data.hex(),
                            "value": hex(c.value),
                        }
                    ],
                )
                for _, c in wanted
            ]
        )
        for (index, _), answer in zip(wanted, answers, strict=True):
            if isinstance(answer, JsonRpcError):
                error = self._revert_from_rpc_error(answer)
                error.index = index  # type: ignore[attr-defined]
                raise error
            gases[index] = int(_hexint(answer) * self.gas_margin) + 5_000
        return gases

    def _revert_from_rpc_error(self, error: JsonRpcError) -> ContractRevertError:
        data = error.data
        if isinstance(data, dict):
            data = data.get("data")
        if isinstance(data, str) and data.startswith("0x"):
            return self.decoder.decode(data)
        return ContractRevertError(f"the node refused the call: {error}")

    def _fees(self) -> tuple[int, int, int]:
        """(max fee, priority fee, latest block number)."""
        block, tip = self.rpc.batch([("eth_getBlockByNumber", ["latest", False]), ("eth_maxPriorityFeePerGas", [])])
        if not isinstance(block, dict):
            raise ChainUnavailableError(f"the node did not return its latest block: {block}")
        base = _hexint(block.get("baseFeePerGas") or 0)
        priority = 0 if isinstance(tip, JsonRpcError) else _hexint(tip)
        return 2 * base + priority, priority, _hexint(block["number"])

    def _allocate_nonces(self, count: int) -> int:
        if self._next_nonce is None:
            on_chain = _hexint(self.rpc.request("eth_getTransactionCount", [self.address, "pending"]))
            journaled = self.outbox.next_nonce(self.address) or 0
            self._next_nonce = max(on_chain, journaled)
        return self._next_nonce

    def _send(self, entries: Sequence[OutboxEntry]) -> None:
        answers = self.rpc.batch([("eth_sendRawTransaction", ["0x" + e.raw_tx.hex()]) for e in entries])
        rejected = []
        for entry, answer in zip(entries, answers, strict=True):
            if isinstance(answer, JsonRpcError) and not any(s in str(answer).lower() for s in _ALREADY_KNOWN):
                rejected.append((entry, answer))
        if rejected:
            self._handle_rejections(rejected)

    def _handle_rejections(self, rejected: Sequence[tuple[OutboxEntry, JsonRpcError]]) -> None:
        # A rejected transaction may still be on chain (sent before a crash and mined since).
        receipts = self.rpc.batch([("eth_getTransactionReceipt", [e.tx_hash]) for e, _ in rejected])
        really_rejected = [(e, a) for (e, a), r in zip(rejected, receipts, strict=True) if not isinstance(r, dict)]
        if not really_rejected:
            return
        self.outbox.mark_failed([(e.tx_hash, f"rejected by the node: {a}", None) for e, a in really_rejected])
        self._next_nonce = None  # re-read from chain + journal next time
        first, answer = really_rejected[0]
        raise TransactionRejectedError(
            f"the node refused transaction {first.tx_hash} ({first.label}, nonce {first.nonce}): {answer}",
            tx_hash=first.tx_hash,
        )

    # Receipts...

    def wait(self, tx_hashes: Sequence[str], *, timeout: float | None = None) -> list[Receipt]:
        """Receipts for ``tx_hashes`` once each has ``confirmations`` blocks; records them in the outbox.

        Reverted transactions come back with ``succeeded=False``; use :meth:`raise_for_revert`.
        Transactions this sender sent are found by scanning new blocks and their logs (a
        transaction that logged anything succeeded: a revert discards logs); only the rest cost a
        receipt lookup each, which some nodes answer slowly for large blocks.
        """
        limit = self.receipt_timeout if timeout is None else timeout
        deadline = time.monotonic() + limit
        wanted = list(dict.fromkeys(tx_hashes))
        found: dict[str, Receipt] = {}
        hints = [self._sent_after_block[h] for h in wanted if h in self._sent_after_block]
        scanned_to = min(hints) - 1 if hints else None
        while True:
            head = _hexint(self.rpc.request("eth_blockNumber"))
            missing = [h for h in wanted if h not in found]
            if scanned_to is not None and missing and head > scanned_to:
                found.update(self._scan_blocks(set(missing), scanned_to + 1, head))
                scanned_to = head
            missing = [h for h in wanted if h not in found]
            unhinted = [h for h in missing if h not in self._sent_after_block or scanned_to is None]
            if unhinted:
                found.update(self._fetch_receipts(unhinted))
            outstanding = [h for h in wanted if h not in found or head - found[h].block_number + 1 < self.confirmations]
            if not outstanding:
                break
            if time.monotonic() > deadline:
                raise TransactionTimeoutError(
                    f"{len(outstanding)} transaction(s) not confirmed after {limit:.0f}s (first: {outstanding[0]})",
                    tx_hash=outstanding[0],
                )
            time.sleep(self.poll_interval)
        receipts = [found[h] for h in wanted]
        self._record(receipts)
        if self.finalize_confirmed and receipts:
            self.finalize(max(r.block_number for r in receipts))
        for h in wanted:
            self._sent_after_block.pop(h, None)
            self._creations.discard(h)
        by_hash = {r.tx_hash: r for r in receipts}
        return [by_hash[h] for h in tx_hashes]

    def _fetch_receipts(self, tx_hashes: Sequence[str]) -> dict[str, Receipt]:
        found = {}
        for start in range(0, len(tx_hashes), 1000):
            chunk = tx_hashes[start : start + 1000]
            answers = self.rpc.batch([("eth_getTransactionReceipt", [h]) for h in chunk])
            for tx_hash, answer in zip(chunk, answers, strict=True):
                if isinstance(answer, dict) and answer.get("blockNumber"):
                    found[tx_hash] = Receipt.from_rpc(answer)
        return found

    def _scan_blocks(self, wanted: set[str], first: int, last: int) -> dict[str, Receipt]:
        """Find ``wanted`` transactions in blocks ``first..last``: block bodies, then one log query."""
        located: dict[str, tuple[int, str]] = {}
        for start in range(first, last + 1, 200):
            numbers = range(start, min(start + 200, last + 1))
            blocks = self.rpc.batch([("eth_getBlockByNumber", [hex(n), False]) for n in numbers])
            for block in blocks:
                if not isinstance(block, dict):
                    continue
                for tx_hash in block.get("transactions", []):
                    if tx_hash in wanted:
                        located[tx_hash] = (_hexint(block["number"]), str(block["hash"]))
        if not located:
            return {}
        low = min(n for n, _ in located.values())
        high = max(n for n, _ in located.values())
        logs = self.rpc.request("eth_getLogs", [{"fromBlock": hex(low), "toBlock": hex(high)}]) or []
        by_tx: dict[str, list[dict[str, Any]]] = {}
        for log in logs:
            if log.get("transactionHash") in located:
                by_tx.setdefault(log["transactionHash"], []).append(log)
        found: dict[str, Receipt] = {}
        silent = []
        for tx_hash, (number, block_hash) in located.items():
            if tx_hash in by_tx and tx_hash not in self._creations:
                found[tx_hash] = Receipt(tx_hash, True, number, block_hash, None, None, by_tx[tx_hash])
            else:
                silent.append(tx_hash)  # reverted, a deployment, or a call that logs nothing
        found.update(self._fetch_receipts(silent))
        return found

    def _record(self, receipts: Iterable[Receipt]) -> None:
        mined, failed = [], []
        for receipt in receipts:
            if receipt.succeeded:
                mined.append((receipt.tx_hash, receipt.block_number, receipt.block_hash, receipt.contract_address))
            else:
                failed.append((receipt.tx_hash, "reverted", receipt.block_number))
        self.outbox.mark_mined(mined)
        self.outbox.mark_failed(failed)

    def revert_reason(self, receipt: Receipt) -> ContractRevertError:
        """Decode why a mined transaction reverted by replaying it with ``eth_call``.

        The replay runs on the state at the end of its block (where an earlier transaction of the
        same batch, e.g. a duplicate registration, has taken effect), then on its parent's.
        """
        entry = self.outbox.by_hash(receipt.tx_hash)
        tx = self.rpc.request("eth_getTransactionByHash", [receipt.tx_hash]) or {}
        call = {"from": tx.get("from", self.address), "data": tx.get("input", "0x"), "gas": tx.get("gas")}
        if tx.get("to"):
            call["to"] = tx["to"]
        for block in (receipt.block_number, max(receipt.block_number - 1, 0)):
            try:
                self.rpc.request("eth_call", [call, hex(block)])
            except JsonRpcError as exc:
                error = self._revert_from_rpc_error(exc)
                error.tx_hash = receipt.tx_hash
                return error
        label = entry.label if entry else "transaction"
        return ContractRevertError(
            f"{label} {receipt.tx_hash} reverted in block {receipt.block_number} (reason not reproducible)",
            tx_hash=receipt.tx_hash,
        )

    def raise_for_revert(self, receipts: Iterable[Receipt]) -> None:
        """Raise the decoded revert of the first failed receipt, if any."""
        for receipt in receipts:
            if not receipt.succeeded:
                raise self.revert_reason(receipt)

    def transact(self, call: ContractCall, *, timeout: float | None = None) -> Receipt:
        """Submit one call, wait for it, raise its decoded revert if it failed."""
        (entry,) = self.submit([call])
        (receipt,) = self.wait([entry.tx_hash], timeout=timeout)
        self.raise_for_revert([receipt])
        return receipt

    # Recovery...

    def reconcile(self) -> ReconcileReport:
        """Bring the outbox and the chain into agreement after a start or a crash.

        - receipt on chain: record it (mined or failed);
        - no receipt and the sender's nonce not yet used on chain: re-send the journaled bytes;
        - no receipt and the nonce used by another transaction: the entry can never land: dropped.
        """
        with self._lock:
            entries = self.outbox.open_entries()
            if not entries:
                return ReconcileReport()
            receipts = self.rpc.batch([("eth_getTransactionReceipt", [e.tx_hash]) for e in entries])
            senders = sorted({e.sender for e in entries})
            counts = self.rpc.batch([("eth_getTransactionCount", [s, "latest"]) for s in senders])
            chain_nonce = {s: _hexint(c) for s, c in zip(senders, counts, strict=True) if not isinstance(c, JsonRpcError)}
            landed, lost, resend, dropped = [], [], [], []
            for entry, receipt in zip(entries, receipts, strict=True):
                if isinstance(receipt, dict) and receipt.get("blockNumber"):
                    landed.append(Receipt.from_rpc(receipt))
                    continue
                if entry.status == OutboxStatus.MINED:
                    lost.append(entry.tx_hash)
                if entry.nonce >= chain_nonce.get(entry.sender, 0):
                    resend.append(entry)
                else:
                    dropped.append((entry.tx_hash, "nonce used by another transaction; never landed", None))
            self._record(landed)
            self.outbox.mark_unmined(lost)
            self.outbox.mark_failed(dropped)
            for start in range(0, len(resend), self.batch_size):
                self._send(resend[start : start + self.batch_size])
            self._next_nonce = None
            return ReconcileReport(
                confirmed=sum(1 for r in landed if r.succeeded),
                resent=len(resend),
                resent_hashes=tuple(e.tx_hash for e in resend),
                dropped=len(dropped),
                failed=sum(1 for r in landed if not r.succeeded),
            )

    def finalize(self, durable_block: int) -> None:
        """Entries mined at or below ``durable_block`` are durable and need no more checks."""
        self.outbox.mark_final_through(durable_block)
