"""Signed registrations for the chain layer (what the registry will relay for teachers)."""

from __future__ import annotations

import hashlib

from ledger_service.chain import ContractCall, Eip712Domain, Ledger, Registration, Signer, register_call


def signed_registration_calls(
    ledger: Ledger, author: Signer, labels: list[str], *, first_nonce: int = 0, deadline: int = 2**40
) -> list[ContractCall]:
    """One ``register`` call per label, signed by ``author`` with consecutive nonces."""
    registry = ledger.contracts["ResourceRegistry"]
    domain = Eip712Domain(chain_id=ledger.chain_id, verifying_contract=registry.address)
    calls = []
    for offset, label in enumerate(labels):
        registration = Registration(
            content_hash=hashlib.sha256(label.encode()).digest(),
            cid="bafkrei" + hashlib.sha256(b"cid" + label.encode()).hexdigest()[:52],
            metadata_hash=hashlib.sha256(b"meta" + label.encode()).digest(),
            authors=[author.address],
            shares=[10_000],
            licence="CC-BY-4.0",
            nonce=first_nonce + offset,
            deadline=deadline,
        )
        signature = author.sign_digest(domain.digest(registration.struct_hash()))
        calls.append(register_call(registry, registration, signature, key=f"register:{label}"))
    return calls
