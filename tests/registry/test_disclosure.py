"""Selective disclosure through the registry (issue 12 item 6): a batch from POST /credentials/batches
carries the school's ecdsa-sd-2023 base proof; the student derives a copy without the registry and
shows it to POST /verify, in a holder-bound presentation to /verify/presentation and to the credit bank."""

from __future__ import annotations

import copy
import uuid
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger_service.credentials import Ed25519KeyPair, derive_credential, holder_did, is_derived, sign_presentation
from registry.models import ChainJob, IssuerAccount
from tests.registry.conftest import ClientFactory
from tests.registry.test_issuance import issuing_school, students, verify
from tests.utils.registry import drain, sign_in
from wallet_cli._registry import RegistryError

REVEAL = ["/credentialSubject/achievement/fieldOfStudy"]


def failed(report: dict[str, Any]) -> tuple[str, str | None]:
    return report["outcome"], next((c["name"] for c in report["checks"] if c["result"] == "fail"), None)


def issued_to(client: TestClient, student: Ed25519KeyPair, count: int = 2) -> tuple[Any, list[dict[str, Any]]]:
    _, school, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    records = [{**record, "holder": holder_did(student.public)} for record in students(count, label=label)]
    answer = school.request("POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": records})
    return school, [c["document"] for c in answer["credentials"]]


def test_a_derived_growth_record_verifies_at_verify_and_a_changed_one_does_not(client: TestClient) -> None:
    student = Ed25519KeyPair.generate()
    _, credentials = issued_to(client, student)
    assert [p.get("cryptosuite", p["type"]) for p in credentials[0]["proof"]] == [
        "eddsa-jcs-2022",
        "ecdsa-sd-2023",
        "EduLedgerMerkleAnchor",
    ]
    derived = derive_credential(credentials[0], REVEAL)
    assert is_derived(derived) and "description" not in derived["credentialSubject"]["achievement"]
    assert derived["credentialSubject"]["id"] == holder_did(student.public), "the holder binding is mandatory"
    report = verify(client, derived)
    assert report["outcome"] == "valid", report
    results = {c["name"]: c["result"] for c in report["checks"]}
    assert results["signing_key"] == results["did_document"] == results["status"] == "pass"
    changed = copy.deepcopy(derived)
    changed["credentialSubject"]["achievement"]["fieldOfStudy"] = "学业水平"
    assert failed(verify(client, changed)) == ("invalid", "issuer_signature")
    hidden = copy.deepcopy(derived)
    del hidden["credentialStatus"]
    assert failed(verify(client, hidden)) == ("invalid", "issuer_signature"), "the status entry is mandatory"


def test_a_derived_copy_in_a_holder_bound_presentation(client: TestClient) -> None:
    student = Ed25519KeyPair.generate()
    school, credentials = issued_to(client, student)
    derived = [derive_credential(credentials[0], REVEAL)]
    given = client.post("/presentations/challenges").json()
    signed = sign_presentation(derived, student, challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z")
    answer = client.post("/verify/presentation", json={"presentation": signed, "challenge": given["challenge"]})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["outcome"] == "valid", body
    assert body["credentials"][0]["checks"][-1] == {"name": "holder_binding", "result": "pass", "detail": ""}
    given = client.post("/presentations/challenges").json()
    stolen = sign_presentation(
        derived, Ed25519KeyPair.generate(), challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z"
    )
    body = client.post("/verify/presentation", json={"presentation": stolen, "challenge": given["challenge"]}).json()
    assert body["outcome"] == "invalid" and body["credentials"][0]["checks"][-1]["name"] == "holder_binding"

    # The credit bank converts the derived copy once: the whole credential, or another derivation of it, is the same credential.
    _, college, _ = issuing_school(client)
    college.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 0.5}])

    def presented(documents: list[dict[str, Any]]) -> dict[str, Any]:
        given = client.post("/presentations/challenges").json()
        return {
            "presentation": sign_presentation(
                documents, student, challenge=given["challenge"], domain=given["domain"], created="2026-11-30T00:00:00Z"
            ),
            "challenge": given["challenge"],
        }

    grant = college.request("POST", "/credit-bank/imports", json=presented(derived))
    assert grant["credits"] == 0.5 and grant["converted"] == [credentials[0]["id"]]
    for again in ([credentials[0]], [derive_credential(credentials[0], ["/name"])]):
        with pytest.raises(RegistryError) as caught:
            college.request("POST", "/credit-bank/imports", json=presented(again))
        assert "already converted" in str(caught.value)


def test_an_institution_set_up_before_base_proofs_gets_its_p256_key_at_start(make_client: ClientFactory) -> None:
    """An issuer account sealed with two keys (before base proofs) gets its P-256 key at the next start:
    sealed with the others, registered on chain by a job, listed in its DID document; its next batch
    carries a base proof and a derived copy of it verifies."""
    client = make_client()
    _, school, institution = issuing_school(client)
    issuing = client.app.state.issuing  # type: ignore[attr-defined]
    context = f"issuer-keys:{institution['id']}"
    with client.app.state.sessions() as db:  # type: ignore[attr-defined]
        account = db.get(IssuerAccount, institution["id"])
        keys = issuing.vault.open(context, account.sealed_keys, key_id=account.master_key_id)
        account.sealed_keys = issuing.vault.seal(context, keys[:64])  # as versions before base proofs sealed them
        db.commit()
    client.__exit__(None, None, None)
    restarted = make_client()  # the same data directory and database
    with restarted.app.state.sessions() as db:  # type: ignore[attr-defined]
        account = db.get(IssuerAccount, institution["id"])
        reopened = restarted.app.state.issuing.vault.open(context, account.sealed_keys, key_id=account.master_key_id)  # type: ignore[attr-defined]
        assert reopened[:64] == keys[:64] and len(reopened) == 96 and reopened[64:] != keys[64:96], "a new P-256 key beside the old two"
        job = db.get(ChainJob, account.setup_job_id)
        assert job is not None and job.kind == "add_signing_key"
    drain(restarted)
    methods = restarted.get(f"/institutions/{institution['id']}/did.json").json()["verificationMethod"]
    assert any(m["publicKeyMultibase"].startswith("zDn") for m in methods), "the P-256 key is in the DID document"
    student = Ed25519KeyPair.generate()
    label = uuid.uuid4().hex[:6]
    records = [{**record, "holder": holder_did(student.public)} for record in students(1, label=label)]
    school = sign_in(restarted, school.signer)
    answer = school.request("POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": records})
    document = answer["credentials"][0]["document"]
    assert "ecdsa-sd-2023" in [p.get("cryptosuite") for p in document["proof"]]
    assert verify(restarted, derive_credential(document, REVEAL))["outcome"] == "valid"
    with restarted.app.state.sessions() as db:  # type: ignore[attr-defined]
        assert restarted.app.state.issuing.add_missing_sd_keys(db) == 0, "a second start changes nothing"  # type: ignore[attr-defined]
