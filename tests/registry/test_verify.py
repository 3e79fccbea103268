"""``POST /verify`` runs the library's verification against the registry's chain."""

from __future__ import annotations

import copy
from pathlib import Path

from fastapi.testclient import TestClient

from ledger_service.chain import Ledger
from ledger_service.credentials import ChainView, make_bundle
from tests.credentials.test_issuance import class_records
from tests.utils.issuance import issue_on_ledger


def test_verify_reports_each_check(client: TestClient, module_ledger: Ledger, tmp_path: Path) -> None:
    documents = class_records(3)
    for document in documents:  # unique per run: the same credentials are never anchored twice
        document["id"] += f"-{tmp_path.name}"
    credential = issue_on_ledger(module_ledger, tmp_path, documents, f"api-{tmp_path.name}")[1]
    response = client.post("/verify", json={"credential": credential})
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "valid"
    assert {c["name"]: c["result"] for c in body["checks"]}["issuer_accredited"] == "pass"
    tampered = copy.deepcopy(credential)
    tampered["name"] = "伪造"
    failed = client.post("/verify", json={"credential": tampered}).json()
    assert failed["outcome"] == "invalid"
    assert next(c for c in failed["checks"] if c["result"] == "fail")["name"] == "canonical_hash"
    view = ChainView(module_ledger.rpc, module_ledger.contracts["CredentialAnchor"], module_ledger.contracts["InstitutionRegistry"],
                     module_ledger.chain_id)
    bundled = client.post("/verify", json={"credential": make_bundle(credential, chain=view)}).json()
    assert bundled["outcome"] == "valid" and bundled["freshness"]["snapshot_age_seconds"] >= 0


def test_malformed_requests_are_clear_4xx(client: TestClient) -> None:
    assert client.post("/verify", content=b"{not json", headers={"content-type": "application/json"}).status_code == 422
    response = client.post("/verify", json={"credential": "just a string"})
    assert response.status_code == 200 and response.json()["outcome"] == "invalid"
    missing = client.post("/verify", json={})
    assert missing.status_code == 422 and missing.json()["error"] == "invalid_request"
