"""Issue 12 item 7: an independent, widely used implementation from another ecosystem — Digital Bazaar's
@digitalbazaar/vc (npm, installed by `make`) with its default checks, Data Integrity eddsa-jcs-2022 and
ecdsa-sd-2023, Bitstring Status List, a did:web resolver over the documents this test registry serves —
accepts freshly issued EduLedger credentials, holder presentations and selectively disclosed credentials,
and refuses tampered copies."""

from __future__ import annotations

import copy
import json
import shutil
import subprocess
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger_service.credentials import (
    PINNED_CONTEXTS,
    P256KeyPair,
    derive_credential,
    derive_sd,
    did_web_url,
    pinned_context_text,
    sign_sd_base,
)
from tests.registry.test_issuance import issuing_school, students
from tests.utils.presentations import HOLDER, held, holder_import

REPO = Path(__file__).resolve().parents[2]
SCRIPT = REPO / "tests" / "credentials" / "js" / "verify_vc.mjs"
LOCAL = "http://127.0.0.1:8000"


def independent(items: list[dict[str, Any]], *, did_documents: dict[str, Any], status_lists: dict[str, Any]) -> dict[str, Any]:
    if shutil.which("node") is None or not (REPO / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.skip("node or node_modules/@digitalbazaar/vc missing (`make` installs them)")
    payload = {
        "contexts": {url: pinned_context_text(url) for url in PINNED_CONTEXTS},
        "didDocuments": did_documents,
        "statusLists": status_lists,
        "items": items,
    }
    result = subprocess.run(
        ["node", str(SCRIPT)], input=json.dumps(payload), capture_output=True, text=True, timeout=300, cwd=REPO, check=False
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)  # type: ignore[no-any-return]


def test_an_independent_verifier_accepts_what_eduledger_issues_and_refuses_tampering(client: TestClient) -> None:
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST",
        "/credentials/batches",
        json={"batch": f"interop-{label}", "kind": "growth_record", "records": held(students(2, label=label))},
    )
    credential = batch["credentials"][0]["document"]
    did = credential["issuer"]["id"]
    did_documents = {did: client.get(did_web_url(did).removeprefix(LOCAL)).json()}
    url = credential["credentialStatus"]["statusListCredential"]
    status_lists = {url: client.get(url.removeprefix(LOCAL)).json()}

    tampered = copy.deepcopy(credential)
    tampered["credentialSubject"]["achievement"]["description"] = "满分"
    body = holder_import(client, [credential])
    presentation, challenge = body["presentation"], body["challenge"]
    domain = presentation["proof"]["domain"]
    replayed_elsewhere = holder_import(client, [credential])["presentation"]  # signed over another challenge
    changed = copy.deepcopy(presentation)
    changed["verifiableCredential"][0]["name"] = "改过的"

    # Selective disclosure: a P-256 issuer's base proof on a growth record, the holder reveals two fields.
    sd_key = P256KeyPair.generate()
    record = {k: v for k, v in credential.items() if k not in ("proof", "credentialStatus")}
    record["issuer"] = {**record["issuer"], "id": f"did:key:{sd_key.public.multibase}"}
    based = sign_sd_base(record, sd_key, created="2026-11-30T00:00:00Z", mandatory_pointers=["/issuer", "/validFrom"])
    derived = derive_sd(based, ["/credentialSubject/achievement/name", "/credentialSubject/achievement/fieldOfStudy"])
    assert "identifier" not in derived["credentialSubject"] and "description" not in derived["credentialSubject"]["achievement"]
    derived_tampered = copy.deepcopy(derived)
    derived_tampered["credentialSubject"]["achievement"]["name"] = "满分"
    # The registry's own: the school's base proof (its did:web P-256 key) on the issued record, derived by the
    # holder (the anchor proof travels along), alone and in the holder's presentation; its status is checked.
    issued_derived = derive_credential(credential, ["/credentialSubject/achievement/fieldOfStudy"])
    assert "description" not in issued_derived["credentialSubject"]["achievement"] and "credentialStatus" in issued_derived
    issued_derived_tampered = copy.deepcopy(issued_derived)
    issued_derived_tampered["credentialSubject"]["achievement"]["fieldOfStudy"] = "学业水平"
    issued_derived_hiding_status = {k: v for k, v in issued_derived.items() if k != "credentialStatus"}
    derived_body = holder_import(client, [issued_derived])

    answers = independent(
        [
            {"name": "credential", "kind": "credential", "document": credential},
            {"name": "tampered credential", "kind": "credential", "document": tampered},
            {"name": "presentation", "kind": "presentation", "document": presentation, "challenge": challenge, "domain": domain},
            {
                "name": "presentation for another challenge",
                "kind": "presentation",
                "document": replayed_elsewhere,
                "challenge": challenge,
                "domain": domain,
            },
            {
                "name": "presentation for another domain",
                "kind": "presentation",
                "document": presentation,
                "challenge": challenge,
                "domain": "evil.example",
            },
            {"name": "changed presentation", "kind": "presentation", "document": changed, "challenge": challenge, "domain": domain},
            {"name": "derived", "kind": "derived", "document": derived},
            {"name": "tampered derived", "kind": "derived", "document": derived_tampered},
            {"name": "issued derived", "kind": "derived", "document": issued_derived},
            {"name": "issued derived tampered", "kind": "derived", "document": issued_derived_tampered},
            {"name": "issued derived hiding its status", "kind": "derived", "document": issued_derived_hiding_status},
            {
                "name": "presentation of a derived copy",
                "kind": "presentation",
                "document": derived_body["presentation"],
                "challenge": derived_body["challenge"],
                "domain": derived_body["presentation"]["proof"]["domain"],
            },
        ],
        did_documents=did_documents,
        status_lists=status_lists,
    )
    assert answers["credential"] == {"verified": True}, answers["credential"]
    assert answers["presentation"] == {"verified": True}, answers["presentation"]
    assert answers["derived"] == {"verified": True}, answers["derived"]
    assert answers["issued derived"] == {"verified": True}, answers["issued derived"]
    assert answers["presentation of a derived copy"] == {"verified": True}, answers["presentation of a derived copy"]
    for refused in (
        "tampered credential",
        "presentation for another challenge",
        "presentation for another domain",
        "changed presentation",
        "tampered derived",
        "issued derived tampered",
        "issued derived hiding its status",
    ):
        assert answers[refused]["verified"] is False, (refused, answers[refused])
    assert presentation["holder"] == f"did:key:{HOLDER.public.multibase}"

    # A revocation reaches the independent verifier through the hosted list (the library's status checks).
    classmate = batch["credentials"][1]
    issuer.request("POST", f"/credentials/{classmate['id']}/status", json={"action": "revoke"})
    status_lists = {url: client.get(url.removeprefix(LOCAL)).json()}
    answers = independent(
        [
            {"name": "revoked", "kind": "credential", "document": classmate["document"]},
            {"name": "kept", "kind": "credential", "document": credential},
        ],
        did_documents=did_documents,
        status_lists=status_lists,
    )
    assert answers["kept"] == {"verified": True} and answers["revoked"]["verified"] is False, answers
    assert "status value 2" in answers["revoked"]["error"], answers["revoked"]
