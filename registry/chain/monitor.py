"""Watching the chain head and the database from one background thread.

Requests that only need "is it up, which block is the head" read the latest observation instead
of making a round trip each: the chain head is polled every ``interval`` seconds, so a new block
is seen within that time. Answers say how old their observation is.

When the head moves, the logs of the watched contracts in the new blocks are read and handed to
the listeners *before* the new head is published, so a cache keyed on chain facts (certificates)
learns of a revocation no later than a request learns of the block holding it.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from ledger_service import ChainError
from ledger_service.chain import RpcClient

__all__ = ["LogListener", "Observation", "ServiceMonitor"]

log = logging.getLogger("registry.chain")


@dataclass(frozen=True)
class Observation:
    head: int | None  # the chain's latest block, None if the node did not answer
    chain_error: str | None
    database_error: str | None
    observed_at: float  # time.monotonic()
    open_chain_jobs: int | None = None  # chain writes committed and not yet mined (the worker's queue)
    oldest_open_write: float | None = None  # seconds the oldest of them (or of any outbox's unmined transactions) has waited
    failed_writes: int = 0  # institutions' chain writes that failed, nothing of theirs done since (not retried)
    failed_write: str | None = None  # the latest of them: its job and error

    @property
    def age(self) -> float:
        return time.monotonic() - self.observed_at


# A listener gets (first block, last block, the logs in them — or None when they could not be read).
LogListener = Callable[[int, int, list[dict[str, Any]] | None], None]


class ServiceMonitor:
    def __init__(
        self,
        rpc: RpcClient,
        ping_database: Callable[[], int | None],
        *,
        watch: Sequence[str] = (),
        interval: float = 0.2,
        oldest_write: Callable[[], float | None] | None = None,
        failed_writes: Callable[[], tuple[int, str | None]] | None = None,
    ) -> None:
        self.rpc = rpc
        self.ping_database = ping_database
        self.oldest_write = oldest_write
        self.failed_writes = failed_writes
        self.watch = list(watch)  # contract addresses whose logs the listeners get
        self.interval = interval
        self.listeners: list[LogListener] = []
        self._processed: int | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self.latest = self.observe()

    def _follow(self, head: int) -> None:
        """Hand the logs of blocks after the last processed one, up to ``head``, to the listeners."""
        if self._processed is None or head == self._processed:
            self._processed = head
            return
        first, last = (self._processed + 1, head) if head > self._processed else (0, head)  # behind: the chain was reset
        logs: list[dict[str, Any]] | None = None
        if head > self._processed and self.watch:
            try:
                logs = list(self.rpc.request("eth_getLogs", [{"address": self.watch, "fromBlock": hex(first), "toBlock": hex(last)}]) or [])
            except ChainError as exc:
                log.warning("could not read the logs of blocks %d–%d: %s", first, last, exc)
        for listener in self.listeners:
            listener(first, last, logs)
        self._processed = head

    def observe(self) -> Observation:
        head: int | None = None
        chain_error = database_error = None
        try:
            head = int(self.rpc.request("eth_blockNumber"), 16)
            self._follow(head)
        except ChainError as exc:
            chain_error = f"{type(exc).__name__}: {exc}"
        open_jobs = oldest = None
        failed: tuple[int, str | None] = (0, None)
        try:
            open_jobs = self.ping_database()
            oldest = self.oldest_write() if self.oldest_write else None
            failed = self.failed_writes() if self.failed_writes else failed
        except Exception as exc:  # noqa: BLE001 - any failure to answer is "unavailable"
            database_error = type(exc).__name__
        return Observation(head, chain_error, database_error, time.monotonic(), open_jobs, oldest, *failed)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="service-monitor", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.latest = self.observe()
