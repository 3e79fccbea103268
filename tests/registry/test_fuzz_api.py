"""A bounded fuzz of every JSON route in ``/openapi.json`` (issue 10 item 5): bodies shaped by each
route's schema with hostile values, raw bodies with duplicate keys or deep nesting, as an
administrator and as nobody. Whatever arrives, the answer is JSON and never a 5xx."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ledger_service.chain import Ledger, dev_signer
from tests.credentials.test_issuance import class_records
from tests.utils.fuzz import json_values, mutations, nested, same_meaning
from tests.utils.issuance import issue_on_ledger
from tests.utils.registry import ADMIN_KEY_INDEX, sign_in

pytestmark = pytest.mark.anvil  # the registry's module chain is an anvil

BUDGET = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _resolve(schema: dict[str, Any], components: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = components[schema["$ref"].rsplit("/", 1)[1]]
    return schema


def shaped(schema: dict[str, Any], components: dict[str, Any], depth: int = 0) -> st.SearchStrategy[Any]:
    """Values of the schema's shape, with a hostile value (or a wrong type) often in place of the right one."""
    schema = _resolve(schema, components)
    if depth > 3:
        return json_values
    options = schema.get("anyOf") or schema.get("oneOf")
    if options:
        return st.one_of([shaped(option, components, depth + 1) for option in options])
    kind = schema.get("type")
    if "enum" in schema:
        right: st.SearchStrategy[Any] = st.sampled_from(schema["enum"])
    elif kind == "object":
        properties = schema.get("properties", {})
        right = st.fixed_dictionaries({}, optional={name: shaped(sub, components, depth + 1) for name, sub in properties.items()})
    elif kind == "array":
        right = st.lists(shaped(schema.get("items", {}), components, depth + 1), max_size=3)
    elif kind == "integer":
        right = st.integers(min_value=-(2**66), max_value=2**66)
    elif kind == "number":
        right = st.floats(allow_nan=False)
    elif kind == "string":
        right = st.text(max_size=30)
    elif kind == "boolean":
        right = st.booleans()
    else:
        right = json_values
    return st.one_of(right, right, json_values)


def json_routes(client: TestClient) -> list[tuple[str, str, dict[str, Any], dict[str, Any]]]:
    spec = client.get("/openapi.json").json()
    components = spec.get("components", {}).get("schemas", {})
    routes = []
    for path, operations in spec["paths"].items():
        for method, operation in operations.items():
            body = operation.get("requestBody", {}).get("content", {}).get("application/json")
            if body is not None:
                routes.append((method.upper(), path, body["schema"], components))
    return routes


def concrete(path: str) -> str:
    """Path parameters filled with small, existing-looking values (ids past 2^63 are another test's)."""
    return (
        path.replace("{resource_id}", "1")
        .replace("{number}", "1")
        .replace("{address}", dev_signer(3).address)
        .replace("{credential_id}", "urn:nothing")
        .replace("{institution_id}", "0x" + "00" * 32)
    )


def raw_bodies(body: Any) -> st.SearchStrategy[bytes]:
    """The body as sent, or sent with a duplicate key, 900 levels deep, or 1e400."""
    text = json.dumps(body, allow_nan=True)
    duplicated = '{"x": 1, "x": 2}' if not text.startswith("{") or text == "{}" else '{"' + text[2:].split('"', 1)[0] + '": 0, ' + text[1:]
    return st.sampled_from(
        [
            text.encode("utf-8", "surrogatepass"),
            duplicated.encode("utf-8", "surrogatepass"),
            json.dumps(nested(900)).encode(),
            b'{"credential": 1e400}',
            b"\xff\xfe",
        ]
    )


def test_no_json_route_answers_5xx(client: TestClient, module_ledger: Ledger, tmp_path: Path) -> None:
    admin = sign_in(client, dev_signer(ADMIN_KEY_INDEX))
    routes = json_routes(client)
    assert {path for _, path, _, _ in routes} >= {"/verify", "/credit-bank/imports", "/credentials/batches", "/institutions"}
    seen: dict[int, int] = {}
    failures: list[tuple[Any, ...]] = []

    @BUDGET
    @given(st.integers(0, len(routes) - 1), st.data())
    def check(which: int, data: st.DataObject) -> None:
        method, path, schema, components = routes[which]
        body = data.draw(shaped(schema, components))
        raw = data.draw(raw_bodies(body))
        headers = {"content-type": "application/json"}
        if data.draw(st.booleans()):
            headers.update(admin.headers)
        try:
            response = client.request(method, concrete(path), content=raw, headers=headers)
        except Exception as exc:  # noqa: BLE001 - collected with the request that caused it
            failures.append((method, path, raw[:300], repr(exc)))
            return
        seen[response.status_code] = seen.get(response.status_code, 0) + 1
        if response.status_code >= 500 or not response.headers.get("content-type", "").startswith("application/json"):
            # Collected, not raised: the service's state moves on, so a failing example would not replay alike.
            failures.append((method, path, raw[:300], response.status_code, response.text[:300]))

    check()
    assert not failures, failures[:5]
    assert any(400 <= status < 500 for status in seen) and (200 in seen or 201 in seen), seen


def test_verify_answers_every_changed_credential_with_a_report(client: TestClient, module_ledger: Ledger, tmp_path: Path) -> None:
    documents = class_records(1)
    documents[0]["id"] += f"-{uuid.uuid4().hex[:8]}"
    (credential,) = issue_on_ledger(module_ledger, tmp_path, documents, f"fuzz-{uuid.uuid4().hex[:8]}")

    @BUDGET
    @given(mutations({"credential": credential}))
    def check(body: Any) -> None:
        raw = json.dumps(body, allow_nan=True).encode("utf-8", "surrogatepass")
        response = client.post("/verify", content=raw, headers={"content-type": "application/json"})
        assert response.status_code in (200, 422), (raw[:300], response.text[:300])
        if response.status_code == 200:
            report = response.json()
            assert report["outcome"] != "valid" or (
                isinstance(body, dict) and set(body) == {"credential"} and same_meaning(body["credential"], credential)
            ), report

    check()
