"""The OpenZeppelin conventions we hold our contracts to, checked on the sources and compiler output."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from ledger_service.chain import load_artifacts

CONTRACTS = Path(__file__).resolve().parents[2] / "contracts"
ARTIFACTS = load_artifacts()


SOURCES = "\n".join(p.read_text() for p in CONTRACTS.rglob("*.sol"))


def _declared_here(kind: str, name: str) -> bool:
    """Declared in our sources (OpenZeppelin's own members are documented upstream)."""
    if kind == "function":
        return re.search(rf"function {name}\(", SOURCES) is not None
    return re.search(rf"{kind} {name}\(", SOURCES) is not None


def _entries(kind: str) -> list[tuple[str, dict]]:  # type: ignore[type-arg]
    return [
        (name, item) for name, art in ARTIFACTS.items() for item in art.abi if item["type"] == kind and _declared_here(kind, item["name"])
    ]


def _signature(item: dict) -> str:  # type: ignore[type-arg]
    from ledger_service.chain import abi_type

    return f"{item['name']}({','.join(abi_type(i) for i in item['inputs'])})"


def test_no_revert_strings_and_only_named_imports() -> None:
    for path in CONTRACTS.rglob("*.sol"):
        text = path.read_text()
        assert not re.search(r"(revert|require)\s*\([^;]*\"", text), f"revert string in {path.name}"
        for line in text.splitlines():
            if line.startswith("import "):
                assert line.startswith("import {"), f"wildcard import in {path.name}: {line}"


def test_state_variables_are_private_with_an_underscore() -> None:
    checked = 0
    for path in CONTRACTS.rglob("*.sol"):
        for line in path.read_text().splitlines():
            body = line.strip()
            if not line.startswith("    ") or line.startswith("     ") or not body.endswith(";"):
                continue  # state lives at contract level: four spaces, one statement
            if body.startswith(("function", "event", "error", "using", "//", "*", "/*", "}", ")")) or "constant" in body:
                continue  # role ids are public constants, as in OpenZeppelin
            declaration = body.split(" = ")[0].rstrip(";")
            name = declaration.split()[-1]
            assert "private" in declaration.split() and name.startswith("_"), f"{path.name}: `{body}`"
            checked += 1
    assert checked >= 10, "the scan found too few state variables to be looking at the right lines"


@pytest.mark.parametrize(
    ("contract", "function"), [(c, f) for c, f in _entries("function")], ids=lambda v: v if isinstance(v, str) else v["name"]
)
def test_every_external_function_has_natspec(contract: str, function: dict) -> None:  # type: ignore[type-arg]
    methods = ARTIFACTS[contract].devdoc.get("methods", {})
    assert _signature(function) in methods, f"{contract}.{_signature(function)} has no NatSpec"


@pytest.mark.parametrize(("contract", "error"), _entries("error"), ids=lambda v: v if isinstance(v, str) else v["name"])
def test_every_custom_error_is_documented_with_its_parameters(contract: str, error: dict) -> None:  # type: ignore[type-arg]
    errors = ARTIFACTS[contract].devdoc.get("errors", {})
    docs = errors.get(_signature(error))
    assert docs, f"{contract}: error {_signature(error)} has no NatSpec"
    for parameter in error["inputs"]:
        assert parameter["name"] in docs[0].get("params", {}), f"{_signature(error)}: @param {parameter['name']} missing"


@pytest.mark.parametrize(("contract", "event"), _entries("event"), ids=lambda v: v if isinstance(v, str) else v["name"])
def test_every_event_is_documented_with_its_parameters(contract: str, event: dict) -> None:  # type: ignore[type-arg]
    events = ARTIFACTS[contract].devdoc.get("events", {})
    docs = events.get(_signature(event))
    assert docs, f"{contract}: event {_signature(event)} has no NatSpec"
    for parameter in event["inputs"]:
        assert parameter["name"] in docs.get("params", {}), f"{_signature(event)}: @param {parameter['name']} missing"
