"""The registry serves EduLedger's JSON-LD context at its stable URL, byte for byte the pinned one, and
what the registry issues (credentials, hosted status lists) names it and expands in safe mode."""

from __future__ import annotations

import hashlib
import uuid

from fastapi.testclient import TestClient

from ledger_service.credentials import EDULEDGER_CONTEXT, PINNED_CONTEXTS, expand_safe, pinned_context_text
from tests.registry.test_issuance import issuing_school, students


def test_the_context_is_served_as_pinned(client: TestClient) -> None:
    for path in ("/contexts/eduledger/v1", "/contexts/eduledger/v1.jsonld"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("application/ld+json")
        assert "immutable" in response.headers["cache-control"]
        assert response.text == pinned_context_text(EDULEDGER_CONTEXT)
        assert hashlib.sha256(response.content).hexdigest() == PINNED_CONTEXTS[EDULEDGER_CONTEXT][1]
    missing = client.get("/contexts/eduledger/v9")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found" and "v1" in missing.json()["message"]


def test_issued_credentials_and_hosted_lists_name_the_context_and_expand_safely(client: TestClient) -> None:
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": f"ctx-{label}", "kind": "growth_record", "records": students(2, label=label)}
    )
    document = batch["credentials"][0]["document"]
    hosted = client.get(document["credentialStatus"]["statusListCredential"].replace("http://127.0.0.1:8000", "")).json()
    for issued in (document, hosted):
        assert issued["@context"][-1] == EDULEDGER_CONTEXT
        assert expand_safe(issued)
