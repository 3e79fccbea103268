"""What the registry reads from the on-chain InstitutionRegistry: who is governance, a reviewer,
the bureau's administrator; and the ids and codes the contracts use."""

from __future__ import annotations

from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from ledger_service.chain import BoundContract, Ledger

__all__ = [
    "DEFAULT_ADMIN_ROLE",
    "CERTIFICATE_KINDS",
    "CERTIFICATE_LEVELS",
    "INSTITUTION_KINDS",
    "REVIEWER_ROLE",
    "Directory",
    "institution_id_for",
]

DEFAULT_ADMIN_ROLE = b"\0" * 32
REVIEWER_ROLE = keccak(b"REVIEWER_ROLE")
INSTITUTION_KINDS = {"ministry": 1, "province": 2, "city": 3, "district": 4, "school": 5, "platform": 6}
CERTIFICATE_KINDS = {"inclusion": 0, "collection": 1, "selection": 2, "recommendation": 3}
CERTIFICATE_LEVELS = {"school": 0, "district": 1, "city": 2, "province": 3, "national": 4}


def institution_id_for(name: str) -> bytes:
    """The bytes32 id of a named institution (stable: the same name gives the same id)."""
    return keccak(("eduledger:institution:" + name).encode())


class Directory:
    """Role questions about accounts, answered by the chain."""

    def __init__(self, ledger: Ledger, bureau_id: bytes) -> None:
        self.ledger = ledger
        self.bureau_id = bureau_id
        self.contract: BoundContract = ledger.contracts["InstitutionRegistry"]

    def is_governance(self, address: str) -> bool:
        return bool(self.contract.call("hasRole", DEFAULT_ADMIN_ROLE, to_checksum_address(address)))

    def is_reviewer(self, address: str) -> bool:
        return bool(self.contract.call("hasRole", REVIEWER_ROLE, to_checksum_address(address)))

    def bureau_admin(self) -> str | None:
        record = self.contract.call("institution", self.bureau_id)
        return None if record["kind"] == 0 else str(record["admin"])

    def chain_roles(self, address: str) -> set[str]:
        """The roles the chain grants ``address``: reviewer (REVIEWER_ROLE), admin (the bureau's administrator)."""
        roles = set()
        if self.is_reviewer(address):
            roles.add("reviewer")
        if self.bureau_admin() == to_checksum_address(address):
            roles.add("admin")
        return roles
