"""Holder-bound presentations for the registry tests: records bound to a holder key, and that holder's
presentation over a challenge the registry hands out."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient

from ledger_service.credentials import Ed25519KeyPair, holder_did, sign_presentation

# One holder for the students of a test (their records are told apart by their salted identities).
HOLDER = Ed25519KeyPair.from_seed(b"registry-test-holder".ljust(32, b"\0"))


def held(records: list[dict[str, Any]], key: Ed25519KeyPair = HOLDER) -> list[dict[str, Any]]:
    """Batch records bound to ``key``'s did:key."""
    return [{**record, "holder": holder_did(key.public)} for record in records]


def holder_import(client: TestClient, documents: list[dict[str, Any]], key: Ed25519KeyPair = HOLDER) -> dict[str, Any]:
    """The body of POST /credit-bank/imports (or /verify/presentation): ``key``'s presentation of ``documents``."""
    given = client.post("/presentations/challenges").json()
    signed = sign_presentation(documents, key, challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z")
    return {"presentation": signed, "challenge": given["challenge"]}
