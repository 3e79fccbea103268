"""What a verifier reads from the chain, behind one small interface.

Three sources answer it: :class:`ChainView` asks a node (one call per question),
:class:`CachedChainView` remembers the answers that cannot change (an anchor, once deep enough)
and, for a bounded time, those that rarely do (authorisation at a past time), and
:class:`~ledger_service.credentials.ProvenChainView` answers from Merkle-Patricia proofs against a
block header whose hash the verifier trusted beforehand (offline bundles, see ``_proven``). Every
method raises :class:`~ledger_service.ChainError` when it cannot answer; the verifier then says
"cannot tell".
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from eth_hash.auto import keccak

from ..chain import BoundContract, RpcClient

__all__ = ["CachedChainView", "ChainFacts", "ChainView", "status_list_id"]


def status_list_id(url: str) -> bytes:
    """The on-chain id of a status list: keccak256 of its URL."""
    return keccak(url.encode())


class ChainFacts(Protocol):
    """The facts verification needs; ``anchor_of`` returns the contract's record (``anchoredAt`` 0: none)."""

    @property
    def chain_id(self) -> int: ...

    @property
    def anchor_address(self) -> str: ...

    @property
    def reads_transactions(self) -> bool:
        """Whether :meth:`transaction` can look transactions up (a proven snapshot cannot)."""
        ...

    def anchor_of(self, root: bytes) -> dict[str, Any]: ...

    def transaction(self, tx_hash: str) -> dict[str, Any] | None: ...

    def head(self) -> int: ...

    def issuer_authorized(self, key: str, institution_id: bytes, credential_type: bytes, at: int) -> bool: ...

    def signing_key_valid(self, public_key: bytes, institution_id: bytes, at: int) -> bool: ...

    def status_list_of(self, url: str) -> dict[str, Any]:
        """The contract's record of the list in force (``listHash``, ``version`` — 0: never anchored —,
        ``institutionId``, ``issuer``, ``updatedAt``)."""
        ...

    def status_list_versions(self, url: str) -> dict[bytes, int]:
        """Every hash ever anchored for the list, with the version it was (to tell a stale list from a forged one)."""
        ...


@dataclass(frozen=True)
class ChainView:
    """Facts read live from a node: the anchor contract and the institution directory."""

    rpc: RpcClient
    anchor: BoundContract
    directory: BoundContract
    chain_id: int

    @property
    def anchor_address(self) -> str:
        return self.anchor.address

    @property
    def reads_transactions(self) -> bool:
        return True

    def anchor_of(self, root: bytes) -> dict[str, Any]:
        return dict(self.anchor.call("anchorOf", root))

    def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        """``to``, ``input`` and ``blockNumber`` of a mined transaction (None if unknown or pending)."""
        found = self.rpc.request("eth_getTransactionByHash", [tx_hash])
        if not found or found.get("blockNumber") is None:
            return None
        return {"to": found["to"], "input": found["input"], "blockNumber": int(found["blockNumber"], 16)}

    def head(self) -> int:
        return int(self.rpc.request("eth_blockNumber"), 16)

    def issuer_authorized(self, key: str, institution_id: bytes, credential_type: bytes, at: int) -> bool:
        return bool(self.directory.call("isAuthorizedIssuer", key, institution_id, credential_type, at))

    def signing_key_valid(self, public_key: bytes, institution_id: bytes, at: int) -> bool:
        return bool(self.directory.call("isValidSigningKey", public_key, institution_id, at))

    def status_list_of(self, url: str) -> dict[str, Any]:
        return dict(self.anchor.call("statusListOf", status_list_id(url)))

    def status_list_versions(self, url: str) -> dict[bytes, int]:
        logs = (
            self.rpc.request(
                "eth_getLogs",
                [
                    {
                        "fromBlock": "0x0",
                        "toBlock": "latest",
                        "address": self.anchor.address,
                        "topics": ["0x" + self.anchor.event_topic("StatusListUpdated").hex(), "0x" + status_list_id(url).hex()],
                    }
                ],
            )
            or []
        )
        return {
            bytes(event.args["listHash"]): int(event.args["version"])
            for event in self.anchor.decode_logs(logs)
            if event.name == "StatusListUpdated"
        }


class CachedChainView:
    """A :class:`ChainFacts` that remembers answers.

    Anchors and their transactions are kept for good once ``final_depth`` blocks deep (a root is anchored once and never
    changes). Authorisation answers are kept ``ttl`` seconds: a retroactive revocation shows up
    within that time. The chain head is re-read at most every ``head_ttl`` seconds. Status-list
    records and their history are never cached: a revocation must show at once.
    """

    def __init__(
        self,
        inner: ChainFacts,
        *,
        ttl: float = 60.0,
        head_ttl: float = 1.0,
        final_depth: int = 12,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.inner = inner
        self.ttl = ttl
        self.head_ttl = head_ttl
        self.final_depth = final_depth
        self._clock = clock
        self._anchors: dict[bytes, dict[str, Any]] = {}
        self._transactions: dict[str, dict[str, Any]] = {}
        self._answers: dict[tuple[Any, ...], tuple[float, bool]] = {}
        self._head: tuple[float, int] | None = None
        self._lock = threading.Lock()

    @property
    def chain_id(self) -> int:
        return self.inner.chain_id

    @property
    def anchor_address(self) -> str:
        return self.inner.anchor_address

    @property
    def reads_transactions(self) -> bool:
        return self.inner.reads_transactions

    def anchor_of(self, root: bytes) -> dict[str, Any]:
        cached = self._anchors.get(root)
        if cached is not None:
            return cached
        record = self.inner.anchor_of(root)
        if record["anchoredAt"] and self.head() - int(record["blockNumber"]) + 1 >= self.final_depth:
            with self._lock:
                self._anchors[root] = record
        return record

    def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        cached = self._transactions.get(tx_hash)
        if cached is not None:
            return cached
        found = self.inner.transaction(tx_hash)
        if found is not None and self.head() - int(found["blockNumber"]) + 1 >= self.final_depth:
            with self._lock:
                self._transactions[tx_hash] = found
        return found

    def head(self) -> int:
        now = self._clock()
        cached = self._head
        if cached is not None and now - cached[0] < self.head_ttl:
            return cached[1]
        number = self.inner.head()
        self._head = (now, number)
        return number

    def _remembered(self, key: tuple[Any, ...], ask: Callable[[], bool]) -> bool:
        now = self._clock()
        cached = self._answers.get(key)
        if cached is not None and now - cached[0] < self.ttl:
            return cached[1]
        answer = ask()
        with self._lock:
            self._answers[key] = (now, answer)
        return answer

    def issuer_authorized(self, key: str, institution_id: bytes, credential_type: bytes, at: int) -> bool:
        return self._remembered(
            ("issuer", key, institution_id, credential_type, at),
            lambda: self.inner.issuer_authorized(key, institution_id, credential_type, at),
        )

    def signing_key_valid(self, public_key: bytes, institution_id: bytes, at: int) -> bool:
        return self._remembered(
            ("signing", public_key, institution_id, at),
            lambda: self.inner.signing_key_valid(public_key, institution_id, at),
        )

    def status_list_of(self, url: str) -> dict[str, Any]:
        return self.inner.status_list_of(url)

    def status_list_versions(self, url: str) -> dict[bytes, int]:
        return self.inner.status_list_versions(url)
