"""``POST /verify`` runs the library's verification against the registry's live chain; a bundle given
here contributes only its status lists; hostile bodies are invalid reports or JSON 4xx, never 500s."""

from __future__ import annotations

import copy
import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from ledger_service.chain import Ledger
from ledger_service.credentials import ChainView, StatusList, did_web_url, make_bundle
from tests.credentials.test_issuance import class_records
from tests.credentials.test_verification import HOSTILE, _hostile
from tests.registry.conftest import ClientFactory
from tests.registry.test_issuance import issuing_school, students
from tests.utils.forgery import FORGED_NAME, forged_bundle
from tests.utils.issuance import issue_on_ledger, publish_status_list
from tests.utils.presentations import held, holder_import

pytestmark = pytest.mark.anvil  # the registry's module chain is an anvil


def chain_view(ledger: Ledger) -> ChainView:
    return ChainView(ledger.rpc, ledger.contracts["CredentialAnchor"], ledger.contracts["InstitutionRegistry"], ledger.chain_id)


def unique(tmp_path: Path, count: int = 3) -> list[dict[str, Any]]:
    documents = class_records(count)
    for document in documents:  # unique per run: the same credentials are never anchored twice
        document["id"] += f"-{tmp_path.name}-{uuid.uuid4().hex[:6]}"
    return documents


def checks(body: dict[str, Any]) -> dict[str, str]:
    return {c["name"]: c["result"] for c in body["checks"]}


def failed(body: dict[str, Any]) -> str | None:
    return next((c["name"] for c in body["checks"] if c["result"] == "fail"), None)


def test_verify_reports_each_check(client: TestClient, module_ledger: Ledger, tmp_path: Path) -> None:
    credential = issue_on_ledger(module_ledger, tmp_path, unique(tmp_path), f"api-{tmp_path.name}")[1]
    response = client.post("/verify", json={"credential": credential})
    assert response.status_code == 200
    body = response.json()
    assert body["outcome"] == "valid"
    assert checks(body)["issuer_accredited"] == "pass"
    tampered = copy.deepcopy(credential)
    tampered["name"] = "伪造"
    assert failed(client.post("/verify", json={"credential": tampered}).json()) == "canonical_hash"
    bundled = client.post("/verify", json={"credential": make_bundle(credential, chain=chain_view(module_ledger))}).json()
    assert bundled["outcome"] == "valid" and bundled["freshness"] is None, "a bundle given here is checked live"
    assert "checkpoint" not in checks(bundled)


def test_the_forged_bundle_of_the_report_is_never_valid(client: TestClient, module_ledger: Ledger, tmp_path: Path) -> None:
    """Issue 10 item 1: a self-made bundle (fresh key, one-leaf root, invented chain records) was valid here."""
    genuine = issue_on_ledger(module_ledger, tmp_path, unique(tmp_path), f"forge-{tmp_path.name}")[0]
    forged = forged_bundle(
        genuine,
        chain_id=module_ledger.chain_id,
        anchor=module_ledger.contracts["CredentialAnchor"].address,
        directory=module_ledger.contracts["InstitutionRegistry"].address,
    )
    assert forged["credential"]["name"] == FORGED_NAME
    body = client.post("/verify", json={"credential": forged}).json()
    assert (body["outcome"], failed(body)) == ("invalid", "anchored")
    assert "not anchored" in next(c["detail"] for c in body["checks"] if c["name"] == "anchored")
    assert client.post("/verify", json={"credential": forged["credential"]}).json()["outcome"] == "invalid"


def test_an_old_bundle_of_a_revoked_credential_is_invalid_here(client: TestClient, module_ledger: Ledger) -> None:
    """Issue 10 item 2: the registry holds the newer list; the list in force decides, not the bundle's."""
    _, issuer, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    batch = issuer.request(
        "POST", "/credentials/batches", json={"batch": f"b-{label}", "kind": "growth_record", "records": students(2, label=label)}
    )
    document = batch["credentials"][0]["document"]
    url = document["credentialStatus"]["statusListCredential"]
    saved = client.get(url.replace("http://127.0.0.1:8000", "")).json()

    def did_document(did: str) -> Any:  # the issuer is the school's did:web: its document, as this registry serves it
        return client.get(did_web_url(did).replace("http://127.0.0.1:8000", "")).json()

    old, classmate = (
        json.loads(
            json.dumps(
                make_bundle(c["document"], chain=chain_view(module_ledger), status_resolver=lambda _: saved, did_resolver=did_document)
            )
        )
        for c in batch["credentials"]
    )
    assert client.post("/verify", json={"credential": old}).json()["outcome"] == "valid"
    issuer.request("POST", f"/credentials/{batch['credentials'][0]['id']}/status", json={"action": "revoke"})
    body = client.post("/verify", json={"credential": old}).json()
    assert (body["outcome"], failed(body)) == ("invalid", "status")
    # Issue 10 item 3: the classmate's bundle carries the list of before the revocation, genuine but stale; the list in
    # force, hosted here, decides: valid.
    assert client.post("/verify", json={"credential": classmate}).json()["outcome"] == "valid"


def test_a_stale_list_presented_for_a_list_hosted_elsewhere_is_cannot_tell(
    client: TestClient, module_ledger: Ledger, tmp_path: Path
) -> None:
    status = StatusList(f"https://elsewhere.example/status/{tmp_path.name}", "revocation")
    documents = unique(tmp_path, 2)
    for document in documents:
        document["credentialStatus"] = status.entry(status.allocate())
    credentials = issue_on_ledger(module_ledger, tmp_path, documents, f"stale-{tmp_path.name}")
    saved = publish_status_list(module_ledger, tmp_path, status)
    status.set(int(credentials[1]["credentialStatus"]["statusListIndex"]))
    publish_status_list(module_ledger, tmp_path, status, valid_from="2026-11-23T08:00:00Z")
    body = client.post("/verify", json={"credential": credentials[0], "status_lists": {status.url: saved}}).json()
    assert body["outcome"] == "cannot_tell"
    assert "stale (version 1, current 2)" in next(c["detail"] for c in body["checks"] if c["name"] == "status")


def test_a_duplicate_key_is_an_invalid_report(client: TestClient, module_ledger: Ledger, tmp_path: Path) -> None:
    """Issue 10 item 4 at the API: the forged name first, the genuine one after, verified valid."""
    credential = issue_on_ledger(module_ledger, tmp_path, unique(tmp_path, 1), f"dup-{tmp_path.name}")[0]
    text = json.dumps({"credential": credential}, ensure_ascii=False)
    forged = text.replace('{"credential": {', '{"credential": {"name": "全国一等奖（伪造）", ', 1)
    response = client.post("/verify", content=forged.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 200
    body = response.json()
    assert (body["outcome"], failed(body)) == ("invalid", "schema") and 'duplicate key "name"' in body["checks"][0]["detail"]
    assert client.post("/verify", content=text.encode(), headers={"content-type": "application/json"}).json()["outcome"] == "valid"


@pytest.mark.parametrize("change", HOSTILE)
def test_hostile_fields_are_invalid_reports_at_the_api(client: TestClient, module_ledger: Ledger, tmp_path: Path, change: str) -> None:
    """Issue 10 item 5 at the API, sent as the text an attacker sends (1e400, lone surrogates, 900 levels)."""
    status = StatusList(f"https://elsewhere.example/status/{tmp_path.name}", "revocation")
    documents = unique(tmp_path, 1)
    documents[0]["credentialStatus"] = status.entry(status.allocate())
    (credential,) = issue_on_ledger(module_ledger, tmp_path, documents, f"hostile-{tmp_path.name}")
    text = json.dumps({"credential": _hostile(credential, change)}, ensure_ascii=True, allow_nan=True).replace("Infinity", "1e400")
    response = client.post("/verify", content=text.encode(), headers={"content-type": "application/json"})
    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "invalid"


def test_malformed_requests_are_clear_4xx(client: TestClient) -> None:
    broken = client.post("/verify", content=b"{not json", headers={"content-type": "application/json"})
    assert broken.status_code == 422 and broken.json()["error"] == "invalid_request"
    response = client.post("/verify", json={"credential": "just a string"})
    assert response.status_code == 200 and response.json()["outcome"] == "invalid"
    missing = client.post("/verify", json={})
    assert missing.status_code == 422 and missing.json()["error"] == "invalid_request"
    wrong = client.post("/verify", json={"credential": {}, "status_lists": "x"})
    assert wrong.status_code == 422 and "status_lists" in wrong.json()["message"]
    hollow = {
        "type": "EduLedgerVerificationBundle",
        "version": 2,
        "credential": {},
        "statusLists": [{"url": "https://x.example/1", "credential": {"id": "https://x.example/1"}}],
    }
    assert client.post("/verify", json={"credential": hollow}).json()["outcome"] == "invalid"
    schema = client.get("/openapi.json").json()["paths"]["/verify"]["post"]["requestBody"]["content"]["application/json"]["schema"]
    assert set(schema["properties"]) == {"credential", "status_lists"}


def test_duplicate_keys_in_any_json_body_are_refused(client: TestClient) -> None:
    response = client.post(
        "/auth/challenge",
        content=b'{"address": "0x0000000000000000000000000000000000000001", "address": "x"}',
        headers={"content-type": "application/json"},
    )
    assert response.status_code == 400 and response.json()["error"] == "duplicate_json_key"
    assert 'duplicate key "address"' in response.json()["message"]
    deep = client.post("/credit-bank/imports", content=("[" * 200 + "]" * 200).encode(), headers={"content-type": "application/json"})
    assert deep.status_code == 400 and deep.json()["error"] == "invalid_json"
    plain = client.post("/auth/challenge", content=b'{"a": 1, "a": 2}', headers={"content-type": "text/plain"})
    assert plain.status_code != 500
    # Without a content type FastAPI still reads a body as JSON: so is it read here.
    bare = client.post("/auth/challenge", content=b' {"address": "0x0000000000000000000000000000000000000001", "address": "x"}')
    assert bare.status_code == 400 and bare.json()["error"] == "duplicate_json_key"


def test_chain_offers_a_checkpoint(client: TestClient, module_ledger: Ledger) -> None:
    body = client.get("/chain").json()
    point = body["checkpoint"]
    block = module_ledger.rpc.request("eth_getBlockByNumber", [hex(point["blockNumber"]), False])
    assert point["blockHash"] == block["hash"] and point["blockNumber"] <= body["block_number"]


def test_json_bodies_are_limited_even_where_the_route_reads_them(make_client: ClientFactory) -> None:
    client = make_client(MAX_JSON_BODY=2048)
    big = json.dumps({"credential": {"name": "x" * 4096}}).encode()
    for path in ("/verify", "/auth/challenge"):
        response = client.post(path, content=big, headers={"content-type": "application/json"})
        assert response.status_code == 413 and response.json()["error"] == "payload_too_large", path
    assert client.post("/verify", json={"credential": "small"}).json()["outcome"] == "invalid"


def test_the_same_credential_twice_in_a_presentation_is_refused_once(client: TestClient) -> None:
    """Issue 10 item 5: the same credential twice in one credit-bank presentation was an integrity error (a 500)."""
    _, school, _ = issuing_school(client)
    _, college, _ = issuing_school(client)
    label = uuid.uuid4().hex[:6]
    issued = school.request(
        "POST", "/credentials/batches", json={"batch": label, "kind": "growth_record", "records": held(students(1, label=label))}
    )
    mine = issued["credentials"][0]["document"]
    college.request("PUT", "/credit-bank/rules", json=[{"achievement_type": "ext:GrowthRecord", "credits": 0.5}])
    grant = college.request("POST", "/credit-bank/imports", json=holder_import(client, [mine, mine]))
    assert grant["credits"] == 0.5 and grant["converted"] == [mine["id"]]
    assert grant["refused"] == [{"credential_id": mine["id"], "reason": "the same credential appears twice in the presentation"}]
    text = json.dumps(holder_import(client, [mine, mine]), ensure_ascii=False).replace('"name": ', '"name": "伪造", "name": ', 1)
    response = client.post("/credit-bank/imports", content=text.encode(), headers={"content-type": "application/json", **college.headers})
    assert response.status_code == 400 and response.json()["error"] == "duplicate_json_key"
