"""Certificate verification for many concurrent callers: chain facts read once, kept until the
chain logs something that changes them.

What a certificate's verification depends on changes on chain only through events: the
certificate's own (CertificateIssued, CertificateRevoked), its resource's (ResourceStatusChanged)
and the institution registry's (accreditations and keys, which may be revoked retroactively).
:class:`ServiceMonitor` hands over the logs of every new block before it publishes the block, and
each event marks what it touches stale from its block on; a fact read at an earlier block is
not used again. So an answer is as fresh as the monitor's view of the head (0.2 s), and the chain
is read again only for what changed. The chain worker hands over the logs of what this registry
itself changed as soon as they land. What the registry expects a certificate to certify (its own record) never changes.
"""

from __future__ import annotations

import asyncio
import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Any

from eth_hash.auto import keccak

from ledger_service.certificates import CertificateFacts, CertificateReader, verify_certificate
from ledger_service.chain import abi_type
from ledger_service.credentials import VerificationReport

from .monitor import ServiceMonitor

__all__ = ["CertificateChecker"]

Verified = tuple[VerificationReport, CertificateFacts | None]


class CertificateChecker:
    def __init__(
        self, reader: CertificateReader, monitor: ServiceMonitor, expected_hash: Callable[[int], bytes | None], *, size: int = 100_000
    ) -> None:
        self.reader = reader
        self.monitor = monitor
        self.expected_hash = expected_hash  # the registry's record of what the certificate certifies, if any
        self.size = size
        self._facts: OrderedDict[int, Verified] = OrderedDict()
        self._expected: OrderedDict[int, bytes | None] = OrderedDict()
        self._lock = threading.Lock()
        self._reading: dict[int, asyncio.Future[Verified]] = {}  # event loop only
        # Staleness marks: a fact read before the block recorded here is not used.
        self._stale_from = 0
        self._certificate_stale: dict[int, int] = {}
        self._resource_stale: dict[int, int] = {}
        self._topics = self._event_topics()
        monitor.listeners.append(self.on_blocks)

    def _event_topics(self) -> dict[str, tuple[str, str]]:
        """topic0 (hex) → (contract, event) for the events that change a verification."""
        topics = {}
        for contract in (self.reader.certificates, self.reader.resources, self.reader.directory):
            for item in contract.abi:
                if item.get("type") == "event":
                    signature = f"{item['name']}({','.join(abi_type(i) for i in item['inputs'])})"
                    topics["0x" + keccak(signature.encode()).hex()] = (contract.name, str(item["name"]))
        return topics

    # Staleness...

    def on_blocks(self, first: int, last: int, logs: list[dict[str, Any]] | None) -> None:
        """The monitor's news: logs of blocks ``first``..``last`` (None: unknown, so everything is stale)."""
        with self._lock:
            if logs is None:
                self._stale_from = max(self._stale_from, last + 1)
                return
            for entry in logs:
                topics = entry.get("topics") or []
                contract, event = self._topics.get(str(topics[0]) if topics else "", ("", ""))
                block = int(entry["blockNumber"], 16)
                if contract == "InstitutionRegistry":
                    self._stale_from = max(self._stale_from, block)
                elif event in ("CertificateIssued", "CertificateRevoked"):
                    number = int(topics[1], 16)
                    self._certificate_stale[number] = max(self._certificate_stale.get(number, 0), block)
                elif event == "ResourceStatusChanged":
                    resource = int(topics[1], 16)
                    self._resource_stale[resource] = max(self._resource_stale.get(resource, 0), block)

    def _usable(self, certificate_id: int, verified: Verified) -> bool:
        facts = verified[1]
        if facts is None:
            return False
        floor = max(self._stale_from, self._certificate_stale.get(certificate_id, 0), self._resource_stale.get(facts.resource_id, 0))
        return facts.block_number >= floor

    # Checking...

    def _remember(self, cache: OrderedDict, key: int, value: object) -> None:  # type: ignore[type-arg]
        with self._lock:
            cache[key] = value
            cache.move_to_end(key)
            while len(cache) > self.size:
                cache.popitem(last=False)

    def check_now(self, certificate_id: int) -> Verified:
        """Verify against the chain's current head, without the facts cache (blocking)."""
        if certificate_id in self._expected:
            expected = self._expected[certificate_id]
        else:
            expected = self.expected_hash(certificate_id)
            if expected is not None:  # a certificate the registry does not know yet may be issued later
                self._remember(self._expected, certificate_id, expected)
        return verify_certificate(self.reader, certificate_id, expected_content_hash=expected)

    async def check(self, certificate_id: int) -> Verified:
        """Verify, from facts already read if nothing on chain changed them since. Callers asking
        about the same certificate while it is being read wait for that one read."""
        cached = self._facts.get(certificate_id)
        if cached is not None and self.monitor.latest.age < 2 and self._usable(certificate_id, cached):
            return cached
        reading = self._reading.get(certificate_id)
        if reading is None:
            reading = asyncio.ensure_future(asyncio.to_thread(self.check_now, certificate_id))
            self._reading[certificate_id] = reading
            reading.add_done_callback(lambda _: self._reading.pop(certificate_id, None))
        verified = await asyncio.shield(reading)
        report, facts = verified
        if facts is not None and not any(c.result == "unknown" for c in report.checks):
            self._remember(self._facts, certificate_id, verified)
        return verified
