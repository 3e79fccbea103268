"""What the registry reads from the on-chain InstitutionRegistry: who is governance, a reviewer,
the bureau's administrator; and the ids and codes the contracts use.

Roles are asked on every request, so the answers are kept until the chain logs something in the
InstitutionRegistry: :class:`~registry.chain.monitor.ServiceMonitor` and the chain worker hand
over the logs of new blocks (:meth:`Directory.on_blocks`), and any log of that contract — a role
granted or revoked, an administrator changed — drops every kept answer. A read that began before
such a log is not kept (a generation counter), and nothing is kept longer than ``max_age`` seconds — unless the node stops
answering: then the last answer stands (no role change can be seen either), and an account asked
about for the first time gets no chain role until the node is back.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict
from typing import Any

from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from ledger_service import ChainUnavailableError
from ledger_service.chain import (  # derived from the compiled contracts; re-exported for the registry
    CERTIFICATE_KINDS,
    CERTIFICATE_LEVELS,
    DEFAULT_ADMIN_ROLE,
    INSTITUTION_KINDS,
    REVIEWER_ROLE,
    BoundContract,
    Ledger,
)

from .contracts import DirectoryContract

__all__ = [
    "DEFAULT_ADMIN_ROLE",
    "CERTIFICATE_KINDS",
    "CERTIFICATE_LEVELS",
    "INSTITUTION_KINDS",
    "REVIEWER_ROLE",
    "Directory",
    "institution_id_for",
]


log = logging.getLogger("registry.chain")


def institution_id_for(name: str) -> bytes:
    """The bytes32 id of a named institution (stable: the same name gives the same id)."""
    return keccak(("eduledger:institution:" + name).encode())


class Directory:
    """Role questions about accounts, answered by the chain (kept until the chain changes them)."""

    def __init__(self, ledger: Ledger, bureau_id: bytes, *, max_age: float = 30.0, size: int = 100_000) -> None:
        self.ledger = ledger
        self.bureau_id = bureau_id
        self.contract: BoundContract = ledger.contracts["InstitutionRegistry"]
        self.calls = DirectoryContract(self.contract)
        self.max_age = max_age
        self.size = size
        self._lock = threading.Lock()
        self._generation = 0
        self._kept: OrderedDict[str, tuple[int, float, frozenset[str]]] = OrderedDict()

    def is_governance(self, address: str) -> bool:
        return bool(self.calls.has_role(DEFAULT_ADMIN_ROLE, to_checksum_address(address)))

    def is_reviewer(self, address: str) -> bool:
        return "reviewer" in self.chain_roles(address)

    def bureau_admin(self) -> str | None:
        record = self.calls.institution(self.bureau_id)
        return None if record["kind"] == 0 else str(record["admin"])

    def chain_roles(self, address: str) -> frozenset[str]:
        """The roles the chain grants ``address``: reviewer (REVIEWER_ROLE), admin (the bureau's administrator)."""
        address = to_checksum_address(address)
        now = time.monotonic()
        with self._lock:
            generation = self._generation
            kept = self._kept.get(address)
            if kept is not None and kept[0] == generation and now - kept[1] < self.max_age:
                return kept[2]
        try:
            roles = set()
            if self.calls.has_role(REVIEWER_ROLE, address):
                roles.add("reviewer")
            if self.bureau_admin() == address:
                roles.add("admin")
        except ChainUnavailableError as exc:
            # The node does not answer (nor, then, can a change of roles be seen): the last answer
            # still current stands, and without one the chain grants nothing.
            log.warning("roles of %s read without the chain (%s): %s", address, exc, "last known" if kept else "none")
            return kept[2] if kept is not None and kept[0] == generation else frozenset()
        answer = frozenset(roles)
        with self._lock:
            if generation == self._generation:  # no role changed on chain while we read
                self._kept[address] = (generation, now, answer)
                self._kept.move_to_end(address)
                while len(self._kept) > self.size:
                    self._kept.popitem(last=False)
        return answer

    def forget(self) -> None:
        """Drop every kept answer (the chain changed roles, or we cannot tell whether it did)."""
        with self._lock:
            self._generation += 1
            self._kept.clear()

    def on_blocks(self, first: int, last: int, logs: list[dict[str, Any]] | None) -> None:
        """News of blocks ``first``..``last`` from the monitor or the worker (None: the logs are unknown)."""
        address = self.contract.address.lower()
        if logs is None or any(str(entry.get("address", "")).lower() == address for entry in logs):
            self.forget()
