"""Typed calls from the registry to the contracts: each contract function it uses is named once,
here, with typed arguments (a test checks every one against the compiled ABI, so a contract that
renames or reshapes a function fails there, not at the first transaction).

Reads answer at once; writes return a :class:`~ledger_service.chain.ContractCall` for the chain
worker (or the set-up) to journal and send under its idempotency ``key``.
"""

from __future__ import annotations

from typing import Any, Self

from ledger_service.chain import BoundContract, ContractCall, Ledger

__all__ = ["CertificateContract", "DirectoryContract", "ResourceContract"]

_FOREVER = 2**63  # validity windows with no end


class _Typed:
    name = ""

    def __init__(self, contract: BoundContract) -> None:
        self.contract = contract

    @classmethod
    def of(cls, ledger: Ledger) -> Self:
        return cls(ledger.contracts[cls.name])

    @property
    def address(self) -> str:
        return self.contract.address


class DirectoryContract(_Typed):
    """``InstitutionRegistry``: roles, the institution tree, accreditation, issuer and signing keys."""

    name = "InstitutionRegistry"

    def has_role(self, role: bytes, account: str) -> bool:
        return bool(self.contract.call("hasRole", role, account))

    def institution(self, institution_id: bytes) -> dict[str, Any]:
        return dict(self.contract.call("institution", institution_id))

    def issuer_key(self, account: str) -> dict[str, Any]:
        return dict(self.contract.call("issuerKey", account))

    def signing_key(self, public_key: bytes) -> dict[str, Any]:
        return dict(self.contract.call("signingKey", public_key))

    def is_accredited(self, institution_id: bytes, credential_type: bytes, at: int) -> bool:
        return bool(self.contract.call("isAccredited", institution_id, credential_type, at))

    def is_authorized_issuer(self, account: str, institution_id: bytes, credential_type: bytes, at: int) -> bool:
        return bool(self.contract.call("isAuthorizedIssuer", account, institution_id, credential_type, at))

    def register_institution(
        self, institution_id: bytes, parent_id: bytes, kind: int, admin: str, *, key: str, gas: int | None = None
    ) -> ContractCall:
        return self.contract.transaction("registerInstitution", institution_id, parent_id, kind, admin, key=key, gas=gas)

    def set_institution_admin(self, institution_id: bytes, admin: str, *, key: str, gas: int | None = None) -> ContractCall:
        return self.contract.transaction("setInstitutionAdmin", institution_id, admin, key=key, gas=gas)

    def accredit(
        self,
        institution_id: bytes,
        credential_type: bytes,
        *,
        key: str,
        valid_from: int = 0,
        valid_until: int = _FOREVER,
        gas: int | None = None,
    ) -> ContractCall:
        return self.contract.transaction("accredit", institution_id, credential_type, valid_from, valid_until, key=key, gas=gas)

    def add_issuer_key(
        self, institution_id: bytes, account: str, *, key: str, valid_from: int = 0, valid_until: int = _FOREVER, gas: int | None = None
    ) -> ContractCall:
        return self.contract.transaction("addIssuerKey", institution_id, account, valid_from, valid_until, key=key, gas=gas)

    def add_signing_key(
        self,
        institution_id: bytes,
        public_key: bytes,
        *,
        key: str,
        valid_from: int = 0,
        valid_until: int = _FOREVER,
        gas: int | None = None,
    ) -> ContractCall:
        return self.contract.transaction("addSigningKey", institution_id, public_key, valid_from, valid_until, key=key, gas=gas)

    def grant_role(self, role: bytes, account: str, *, key: str) -> ContractCall:
        return self.contract.transaction("grantRole", role, account, key=key)

    def revoke_role(self, role: bytes, account: str, *, key: str) -> ContractCall:
        return self.contract.transaction("revokeRole", role, account, key=key)


class ResourceContract(_Typed):
    """``ResourceRegistry``: what the chain worker writes after a registration (which has its own encoder)."""

    name = "ResourceRegistry"

    def confirm_authorship(
        self, content_hash: bytes, author: str, share: int, deadline: int, signature: bytes, *, key: str
    ) -> ContractCall:
        return self.contract.transaction("confirmAuthorship", content_hash, author, share, deadline, signature, key=key)

    def set_status(self, resource_id: int, status: int, reason_code: int, *, key: str) -> ContractCall:
        return self.contract.transaction("setStatus", resource_id, status, reason_code, key=key)

    def record_decisions(self, resource_ids: list[int], decision_hashes: list[bytes], *, key: str) -> ContractCall:
        return self.contract.transaction("recordDecisions", resource_ids, decision_hashes, key=key)


class CertificateContract(_Typed):
    """``CertificateRegistry``: certificates issued and revoked by the bureau."""

    name = "CertificateRegistry"

    def issue(self, kind: int, resource_id: int, level: int, programme_id: bytes, *, key: str) -> ContractCall:
        return self.contract.transaction("issue", kind, resource_id, level, programme_id, key=key)

    def revoke(self, certificate_id: int, reason_code: int, *, key: str) -> ContractCall:
        return self.contract.transaction("revoke", certificate_id, reason_code, key=key)
