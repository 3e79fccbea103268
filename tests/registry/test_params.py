"""Integer path and query parameters: out-of-range ids are a JSON 4xx on every route, never a 500
(issue 10 item 5: ids >= 2^63 in /resources/… and /certificates/… reached the database driver)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient

from registry.api.params import MAX_BIGINT as MAX_ID
from registry.api.params import MAX_INT
from tests.utils.registry import set_up_people

pytestmark = pytest.mark.anvil  # the registry's module chain is an anvil

HOSTILE = [str(2**63), str(2**64), str(-(2**63) - 1), "-1", "0", "9" * 400]


def _is_int(schema: dict[str, Any]) -> bool:
    return schema.get("type") == "integer" or any(_is_int(option) for option in schema.get("anyOf", []))


def int_parameters(client: TestClient) -> list[tuple[str, str, str, str, dict[str, Any]]]:
    """(method, path template, parameter, "path"|"query", its schema) for every integer parameter of
    every API route, as the application publishes them (the routes left out of the schema, the web
    pages and ``/ipfs/{cid}/{path}``, take no integer)."""
    found = []
    for template, operations in client.get("/openapi.json").json()["paths"].items():
        for method, operation in operations.items():
            for parameter in operation.get("parameters", []):
                if parameter["in"] in ("path", "query") and _is_int(parameter["schema"]):
                    found.append((method.upper(), template, parameter["name"], parameter["in"], parameter["schema"]))
    return found


def _url(template: str, name: str, where: str, value: str) -> tuple[str, dict[str, str]]:
    def fill(match: re.Match[str]) -> str:
        return value if (where == "path" and match.group(1) == name) else "1"

    return re.sub(r"\{([^}:]+)[^}]*\}", fill, template), ({name: value} if where == "query" else {})


def test_every_integer_parameter_is_bounded_to_64_bits(client: TestClient) -> None:
    """The declared bounds (what /openapi.json tells clients): within ±(2^63 − 1) or tighter."""
    params = int_parameters(client)
    templates = {template for _, template, *_ in params}
    assert {"/resources/{resource_id}", "/certificates/{certificate_id}", "/resources/{resource_id}/versions/{number}"} <= templates
    for method, template, name, _, schema in params:
        bounds = next(option for option in schema.get("anyOf", [schema]) if option.get("type") == "integer")
        assert bounds.get("maximum", MAX_ID + 1) <= MAX_ID, (method, template, name)
        assert bounds.get("minimum", -MAX_ID - 2) >= -MAX_ID - 1, (method, template, name)


def test_out_of_range_integers_are_a_json_4xx_on_every_route(client: TestClient) -> None:
    people = set_up_people(client, reviewers=1)
    callers: dict[str, dict[str, str]] = {
        "anonymous": {},
        "admin": {"Authorization": f"Bearer {people.admin.token}"},
        "teacher": {"Authorization": f"Bearer {people.teacher.token}"},
        "reviewer": {"Authorization": f"Bearer {people.reviewers[0].token}"},
    }
    client.headers.pop("Authorization", None)
    failures = []
    for method, template, name, where, schema in int_parameters(client):
        bounds = next(option for option in schema.get("anyOf", [schema]) if option.get("type") == "integer")
        for value in HOSTILE:
            if bounds.get("minimum", -MAX_ID - 1) <= int(value) <= bounds.get("maximum", MAX_ID):
                continue  # a value the route accepts (a page number 0 is not one; cid_version 0 is)
            url, query = _url(template, name, where, value)
            for who, headers in callers.items():
                response = client.request(method, url, params=query, headers=headers, json={} if method != "GET" else None)
                body = response.json() if response.headers.get("content-type", "").startswith("application/json") else None
                if not 400 <= response.status_code < 500 or not (isinstance(body, dict) and {"error", "message"} <= body.keys()):
                    failures.append(f"{who} {method} {url} {query}: {response.status_code} {response.text[:120]}")
    assert not failures, "\n".join(failures[:20])


@pytest.mark.parametrize("path", ["/resources/{}", "/resources/{}/versions/1", "/certificates/{}", "/certificates/{}/verify"])
def test_an_id_past_64_bits_names_the_parameter(client: TestClient, path: str) -> None:
    response = client.get(path.format(2**63))
    assert response.status_code == 422
    assert response.json()["error"] == "invalid_request"
    largest = MAX_ID if path.startswith("/certificates") else MAX_INT  # certificates: ids on chain; resources: database ids
    assert f"less than or equal to {largest}" in response.json()["message"]
    assert client.get(path.format(largest + 1)).status_code == 422
    assert client.get(path.format(largest)).status_code in (200, 404)  # the largest id is looked up (and not found)
