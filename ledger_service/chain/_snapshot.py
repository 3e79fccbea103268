"""Write an atomic, consistent snapshot of an anvil chain's state: run as a separate process.

``EmbeddedNode.snapshot`` runs this file as a script, so the decompressing and parsing of the whole
state (megabytes of JSON, growing with the chain) happens outside the service's process and never
holds its interpreter lock while it serves requests. Self-contained on purpose: the standard
library and httpx only, nothing of this package, so the process starts quickly.

    python _snapshot.py RPC_URL STATE_PATH (automine|interval)   → prints the block the snapshot holds
"""

from __future__ import annotations

import gzip
import json
import os
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

import httpx

__all__ = ["consistent", "write_snapshot"]


def consistent(state_hex: str) -> bool:
    """Whether a dump's account nonces agree with the transactions it holds.

    anvil writes a block's state before its transactions and receipts; a dump taken in between
    holds effects without the transactions, and the outbox would wrongly think them lost.
    """
    dump = json.loads(gzip.decompress(bytes.fromhex(state_hex.removeprefix("0x"))))
    sent = Counter(str(tx["info"]["from"]).lower() for tx in dump.get("transactions", []))
    for address, account in dump.get("accounts", {}).items():
        if account.get("code") in (None, "", "0x") and int(account.get("nonce", 0)) != sent.get(address.lower(), 0):
            return False
    return True


def _rpc(client: httpx.Client, url: str, method: str, params: list[Any] | None = None) -> Any:
    answer = client.post(url, json={"jsonrpc": "2.0", "id": 1, "method": method, "params": params or []}).json()
    if "error" in answer:
        raise RuntimeError(f"{method}: {answer['error']}")
    return answer["result"]


def write_snapshot(url: str, state_path: Path, *, automine: bool) -> int:
    """Dump (mining paused under automine), check, write atomically; returns the block it holds."""
    with httpx.Client(timeout=300) as client:
        if automine:
            _rpc(client, url, "evm_setAutomine", [False])
        try:
            for _attempt in range(50):
                block = int(_rpc(client, url, "eth_blockNumber"), 16)
                state = str(_rpc(client, url, "anvil_dumpState"))
                if consistent(state):
                    break
                time.sleep(0.02)  # a block was still being written; dump again
            else:
                raise RuntimeError("anvil kept returning inconsistent state dumps; snapshot skipped")
        finally:
            if automine:
                _rpc(client, url, "evm_setAutomine", [True])
                # Transactions that arrived during the pause wait in the pool until something mines them.
                if int(_rpc(client, url, "txpool_status")["pending"], 16):
                    _rpc(client, url, "evm_mine")
    tmp = state_path.with_suffix(".tmp")
    with open(tmp, "wb") as handle:
        handle.write(bytes.fromhex(state.removeprefix("0x")))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, state_path)
    directory = os.open(state_path.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return block


if __name__ == "__main__":
    try:
        print(write_snapshot(sys.argv[1], Path(sys.argv[2]), automine=sys.argv[3] == "automine"))
    except (RuntimeError, httpx.HTTPError, OSError, ValueError) as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        sys.exit(1)
