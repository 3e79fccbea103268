"""Benchmark: resource registrations per second, naive web3.py vs the batched signed sender.

Both run on the same embedded anvil in the same run:

(a) naive: web3.py ``contract.functions.register(...).transact()`` one call at a time (the node
    signs for an unlocked account, gas is estimated per call) and waits for each receipt;
(b) batched: ``TransactionSender.submit`` — coincurve signing, journaled in the outbox, sent as
    JSON-RPC batches of raw transactions — then all receipts.

The authors' EIP-712 signatures are made beforehand for both (a teacher signs on their own
device; the relayer's throughput is what is measured).

    python bench/chain_throughput.py [--naive N] [--batched N] [--batch-size N]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

from web3 import HTTPProvider, Web3

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from ledger_service.chain import (  # noqa: E402
    REGISTRAR_ROLE,
    ChainConfig,
    Eip712Domain,
    Ledger,
    Registration,
    Signer,
    register_call,
)


def signed_registrations(ledger: Ledger, author: Signer, prefix: str, count: int) -> list[tuple[Registration, bytes]]:
    domain = Eip712Domain(chain_id=ledger.chain_id, verifying_contract=ledger.contracts["ResourceRegistry"].address)
    items = []
    for i in range(count):
        label = f"{prefix}-{i}".encode()
        registration = Registration(
            content_hash=hashlib.sha256(label).digest(),
            cid="bafkrei" + hashlib.sha256(b"cid" + label).hexdigest()[:52],
            metadata_hash=hashlib.sha256(b"meta" + label).digest(),
            authors=[author.address],
            shares=[10_000],
            licence="CC-BY-4.0",
            nonce=i,
            deadline=2**40,
        )
        items.append((registration, author.sign_digest(domain.digest(registration.struct_hash()))))
    return items


def run_naive(ledger: Ledger, relayer: str, items: list[tuple[Registration, bytes]]) -> float:
    w3 = Web3(HTTPProvider(ledger.node.url if ledger.node else ""))
    registry = w3.eth.contract(address=ledger.contracts["ResourceRegistry"].address, abi=ledger.contracts["ResourceRegistry"].abi)
    start = time.perf_counter()
    for registration, signature in items:
        tx_hash = registry.functions.register(registration.as_abi_tuple(), signature).transact({"from": relayer})
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash)
        assert receipt["status"] == 1
    return time.perf_counter() - start


def run_batched(ledger: Ledger, items: list[tuple[Registration, bytes]], batch_size: int) -> tuple[float, list[str]]:
    registry = ledger.contracts["ResourceRegistry"]
    ledger.sender.batch_size = batch_size  # transactions per JSON-RPC batch
    start = time.perf_counter()
    entries = ledger.sender.submit([register_call(registry, r, s) for r, s in items])
    hashes = [e.tx_hash for e in entries]
    receipts = ledger.sender.wait(hashes)
    elapsed = time.perf_counter() - start
    assert all(r.succeeded for r in receipts), "a batched registration reverted"
    return elapsed, hashes


def gas_of(ledger: Ledger, hashes: list[str], sample: int = 100) -> int:
    """Mean gas used over a sample of full receipts (the sender confirms from logs, without gas)."""
    step = max(1, len(hashes) // sample)
    receipts = ledger.rpc.batch([("eth_getTransactionReceipt", [h]) for h in hashes[::step]])
    return int(statistics.mean(int(r["gasUsed"], 16) for r in receipts if isinstance(r, dict)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--naive", type=int, default=30, help="registrations sent the naive way")
    parser.add_argument("--batched", type=int, default=10_000, help="registrations sent by the batched sender (a sustained run)")
    parser.add_argument("--batch-size", type=int, default=1000, help="transactions per JSON-RPC batch")
    parser.add_argument("--block-time", type=float, default=1.0, help="anvil block period in seconds (the embedded default); 0 = automine")
    args = parser.parse_args()

    with (
        tempfile.TemporaryDirectory() as tmp,
        Ledger.open(ChainConfig(data_dir=Path(tmp), anvil_port=0, snapshot_interval=0, block_time=args.block_time or None)) as ledger,
    ):
        from ledger_service.chain import dev_signer

        naive_relayer = dev_signer(1).address  # unlocked on anvil; web3 transact() lets the node sign
        ledger.sender.transact(ledger.contracts["InstitutionRegistry"].transaction("grantRole", REGISTRAR_ROLE, naive_relayer))
        naive_items = signed_registrations(ledger, dev_signer(2), "naive", args.naive)
        batched_items = signed_registrations(ledger, dev_signer(3), "batched", args.batched)

        naive_seconds = run_naive(ledger, naive_relayer, naive_items)
        batched_seconds, hashes = run_batched(ledger, batched_items, args.batch_size)
        gas_per_registration = gas_of(ledger, hashes)

    naive_rate = args.naive / naive_seconds
    batched_rate = args.batched / batched_seconds
    ratio = batched_rate / naive_rate
    print(f"naive   web3 transact(), one at a time: {args.naive:>6} registrations in {naive_seconds:6.2f} s = {naive_rate:8.1f} tx/s")
    print(
        f"batched signed sender ({args.batch_size}/batch):   {args.batched:>6} registrations"
        f" in {batched_seconds:6.2f} s = {batched_rate:8.1f} tx/s"
    )
    print(f"ratio batched/naive: {ratio:.1f}x   gas per registration: {gas_per_registration}")
    print(
        "RESULT "
        + json.dumps(
            {
                "bench": "chain_throughput",
                "ratio": round(ratio, 1),
                "tx_per_s": round(batched_rate, 1),
                "naive_tx_per_s": round(naive_rate, 1),
                "gas_per_registration": gas_per_registration,
            }
        )
    )


if __name__ == "__main__":
    main()
