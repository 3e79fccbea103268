"""The catalogue as data (the shipped sample, loading a taxonomy file), institutions, accounts and
their roles, and the documentation."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from ledger_service.chain import dev_signer
from registry.crud.catalogue import SAMPLE_CATALOGUE
from tests.utils.registry import ADMIN_KEY_INDEX, drain, new_signer, sign_in


def walk(nodes: list[dict]) -> list[dict]:  # type: ignore[type-arg]
    found = []
    for node in nodes:
        found.append(node)
        found.extend(walk(node["children"]))
    return found


def test_the_sample_catalogue_is_loaded_on_first_start(client: TestClient) -> None:
    tree = client.get("/catalogue").json()
    assert [node["name"] for node in tree] == ["小学"]
    nodes = {node["id"]: node for node in walk(tree)}
    assert nodes["primary.math.g1.pep.vol1"]["name"] == "上册" and nodes["primary.math.g1.pep.vol1"]["level"] == "volume"
    chapters = [c["name"] for c in nodes["primary.math.g1.pep.vol1"]["children"]]
    assert chapters[:3] == ["准备课", "位置", "1～5的认识和加减法"] and chapters[-1] == "总复习"
    assert nodes["primary.math.g3.pep.vol1.c8.s1"]["name"] == "几分之一"
    subtree = client.get("/catalogue", params={"root": "primary.english"}).json()
    assert subtree[0]["name"] == "英语" and len(walk(subtree)) == 1 + 1 + 1 + 1 + 6
    assert client.get("/catalogue", params={"root": "nowhere"}).status_code == 404


def test_an_administrator_loads_a_taxonomy_file(client: TestClient) -> None:
    admin = sign_in(client, dev_signer(ADMIN_KEY_INDEX))
    data = json.loads(SAMPLE_CATALOGUE.read_text(encoding="utf-8"))
    data["children"][0]["children"][0]["children"][0]["name"] = "一年级（2024版）"  # a rename
    data["children"].append(
        {"key": "junior", "name": "初中", "children": [{"key": "physics", "name": "物理", "children": [{"key": "g8", "name": "八年级"}]}]}
    )
    renamed = len(walk(client.get("/catalogue", params={"root": "primary.math.g1"}).json()))
    counts = admin.request("PUT", "/catalogue", json=data)
    assert counts["added"] == 3 and counts["updated"] == renamed, "a rename reaches every path and facet below it"
    tree = {node["id"]: node for node in walk(client.get("/catalogue").json())}
    assert tree["primary.math.g1"]["name"] == "一年级（2024版）" and tree["junior.physics.g8"]["level"] == "grade"
    assert admin.request("PUT", "/catalogue", json=data)["unchanged"] == len(tree)
    for bad, problem in [
        ({"children": []}, "non-empty"),
        ({"children": [{"key": "Bad Key", "name": "x"}]}, "'key'"),
        ({"children": [{"key": "a", "name": ""}]}, "'name'"),
        ({"children": [{"key": "a", "name": "x", "level": "grade"}]}, "depth 1"),
        ({"children": [{"key": "a", "name": "x", "children": [{"key": "b", "name": "y"}, {"key": "b", "name": "z"}]}]}, "share a key"),
        ({"children": [{"key": "a", "name": "x", "children": "no"}]}, "'children' must be a list"),
    ]:
        answer = client.put("/catalogue", json=bad, headers=admin.headers)
        assert answer.status_code == 422 and problem in answer.json()["message"], (bad, answer.json())
    assert {node["id"] for node in walk(client.get("/catalogue").json())} == set(tree), "a refused file changes nothing"


def test_institutions_and_accounts(client: TestClient) -> None:
    admin = sign_in(client, dev_signer(ADMIN_KEY_INDEX))
    school = admin.request("POST", "/institutions", json={"name": "滨海新区第二小学", "kind": "school"})
    assert school["chain_status"] == "pending" and school["admin_address"] == admin.signer.address
    drain(client)
    listed = {i["id"]: i for i in client.get("/institutions").json()}
    assert listed[school["id"]]["chain_status"] == "mined"
    ledger = client.app.state.ledger  # type: ignore[attr-defined]
    on_chain = ledger.contracts["InstitutionRegistry"].call("institution", bytes.fromhex(school["id"][2:]))
    assert on_chain["kind"] == 5 and on_chain["admin"] == admin.signer.address
    bureau = next(i for i in listed.values() if i["parent_id"] is None)
    assert bureau["name"] == "市级教育资源平台" and school["parent_id"] == bureau["id"]
    assert (
        client.post("/institutions", json={"name": "x", "kind": "school", "parent_id": "0x" + "00" * 32}, headers=admin.headers).status_code
        == 404
    )
    assert client.post("/institutions", json={"name": "x", "kind": "ministry"}, headers=admin.headers).status_code == 422
    for bad in ("<b>滨海</b>小学", "第一\x07小学", "   "):  # the same name rules as a rename (workflows.institutions)
        answer = client.post("/institutions", json={"name": bad, "kind": "school"}, headers=admin.headers)
        assert (answer.status_code, answer.json()["error"]) == (422, "invalid_request"), bad
    assert admin.request("POST", "/institutions", json={"name": " 河西区\n 第三小学 ", "kind": "school"})["name"] == "河西区 第三小学"

    person = new_signer()
    user = admin.request("PUT", f"/users/{person.address}", json={"institution_id": school["id"], "roles": ["teacher", "reviewer"]})
    assert user["roles"] == ["teacher"] and not user["reviewer_on_chain"], "the reviewer role waits for the chain"
    drain(client)
    signed_in = sign_in(client, person)
    assert signed_in.roles == ["reviewer", "teacher"]
    assert signed_in.request("GET", f"/users/{person.address}")["institution_id"] == school["id"]
    assert client.get(f"/users/{admin.signer.address}", headers=signed_in.headers).status_code == 403
    admin.request("PUT", f"/users/{person.address}", json={"roles": []})
    drain(client)
    assert sign_in(client, person).roles == [], "roles are taken away on chain and in the database"


def test_documentation_and_errors_are_json(client: TestClient) -> None:
    assert "swagger" in client.get("/docs").text.lower()
    spec = client.get("/openapi.json").json()
    assert "/resources" in spec["paths"] and "/certificates/{certificate_id}/verify" in spec["paths"]
    for answer in (client.get("/no-such-page"), client.delete("/health"), client.get("/resources/abc")):
        body = answer.json()
        assert answer.status_code in (404, 405, 422) and set(body) >= {"error", "message"} and body["message"], body
