"""Institutions' did:web: the registry serves each issuer's DID document, built from the keys it holds
and the chain; what it issues names the DID, and POST /verify compares the document with the chain."""

from __future__ import annotations

import uuid

from fastapi.testclient import TestClient

from ledger_service.credentials import Ed25519PublicKeyRef, P256PublicKey, did_web_url
from tests.registry.test_issuance import issuing_school, students, verify


def test_an_issuers_did_document_lists_its_signing_key_as_the_chain_holds_it(client: TestClient) -> None:
    admin, issuer, school = issuing_school(client)
    setup = admin.request("GET", f"/institutions/{school['id']}/issuer")
    key = Ed25519PublicKeyRef.from_verification_method(setup["signing_key"])
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": f"did-{label}", "kind": "growth_record", "records": students(2, label=label)}
    )
    document = batch["credentials"][0]["document"]
    did = document["issuer"]["id"]
    assert did == f"did:web:127.0.0.1%3A8000:institutions:{school['id']}"
    url = did_web_url(did)
    assert url == f"http://127.0.0.1:8000/institutions/{school['id']}/did.json"
    response = client.get(url.removeprefix("http://127.0.0.1:8000"))
    assert response.status_code == 200 and response.headers["content-type"].startswith("application/did+json")
    did_document = response.json()
    method = f"{did}#{key.multibase}"
    sd_key = P256PublicKey.from_multibase(setup["sd_key"].removeprefix("did:key:").split("#")[0])
    sd_method = f"{did}#{sd_key.multibase}"
    assert did_document["id"] == did
    assert did_document["verificationMethod"] == [
        {"id": method, "type": "Multikey", "controller": did, "publicKeyMultibase": key.multibase},
        {"id": sd_method, "type": "Multikey", "controller": did, "publicKeyMultibase": sd_key.multibase},
    ]
    assert did_document["assertionMethod"] == [method, sd_method]
    assert document["proof"][0]["verificationMethod"] == method
    assert document["proof"][1]["cryptosuite"] == "ecdsa-sd-2023" and document["proof"][1]["verificationMethod"] == sd_method

    report = verify(client, document)
    assert report["outcome"] == "valid", report
    assert {c["name"]: c["result"] for c in report["checks"]}["did_document"] == "pass"
    # The hosted status list is the DID's too, signed under its method.
    hosted = client.get(document["credentialStatus"]["statusListCredential"].removeprefix("http://127.0.0.1:8000")).json()
    assert hosted["issuer"] == did and hosted["proof"][0]["verificationMethod"] == method


def test_did_documents_of_what_issues_nothing_here_are_refused(client: TestClient) -> None:
    missing = client.get("/institutions/0x" + "ab" * 32 + "/did.json")
    assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    malformed = client.get("/institutions/0xABC/did.json")
    assert malformed.status_code in (400, 422) and set(malformed.json()) == {"error", "message"}


def test_moving_a_credential_to_another_did_is_tampering(client: TestClient) -> None:
    """The issuer's DID is part of what was anchored: naming another host's DID breaks the hash."""
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": f"far-{label}", "kind": "growth_record", "records": students(1, label=label)}
    )
    document = batch["credentials"][0]["document"]
    moved = {**document, "issuer": {**document["issuer"], "id": document["issuer"]["id"].replace("127.0.0.1%3A8000", "elsewhere.example")}}
    report = verify(client, moved)
    assert report["outcome"] == "invalid"  # the anchored hash covers the issuer: changing it is tampering
    assert report["checks"][1]["name"] == "canonical_hash" and report["checks"][1]["result"] == "fail"
