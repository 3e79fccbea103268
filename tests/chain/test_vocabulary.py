"""Issue 11: the contracts' enums, roles and credential types live once in Python
(``ledger_service.chain._vocabulary``), derived from the compiled artifacts and checked against the
contracts — a contract that changes without the artifacts, or a name the code uses that the contract
no longer has, fails here."""

from __future__ import annotations

import re
import typing
from pathlib import Path

import pytest

import ledger_service.chain as chain
from ledger_service.certificates import CERTIFICATE_KINDS as CERTIFICATE_KIND_NAMES
from ledger_service.certificates import CERTIFICATE_LEVELS as CERTIFICATE_LEVEL_NAMES
from ledger_service.certificates import credential_type_of
from ledger_service.chain import load_artifacts
from registry.api.routes.institutions import InstitutionCreate
from registry.core.config import Settings
from registry.core.labels import CERTIFICATE_NAMES, LEVEL_NAMES
from tests.utils.pyevm import PyEvmSuite

ROOT = Path(__file__).resolve().parents[2]
_ENUM = re.compile(r"\benum\s+(\w+)\s*\{([^}]*)\}")
_CONTRACT = re.compile(r"\b(?:interface|contract|library)\s+(\w+)")


def source_enums() -> dict[str, tuple[str, ...]]:
    """``{"ICertificateRegistry.Kind": (...)}`` read straight from the Solidity sources."""
    found = {}
    for path in (ROOT / "contracts").rglob("*.sol"):
        text = re.sub(r"//[^\n]*|/\*.*?\*/", "", path.read_text(), flags=re.DOTALL)
        for match in _ENUM.finditer(text):
            owner = _CONTRACT.findall(text[: match.start()])[-1]
            found[f"{owner}.{match.group(1)}"] = tuple(m.strip() for m in match.group(2).split(",") if m.strip())
    return found


def test_the_artifacts_enums_are_the_sources_enums() -> None:
    """The mirror follows the contracts only through a compile: sources and artifacts must agree."""
    in_sources = source_enums()
    seen = set()
    for artifact in load_artifacts().values():
        for name, members in artifact.enums.items():
            assert in_sources.get(name) == members, f"{artifact.name}: {name} is {in_sources.get(name)} in the sources, {members} compiled"
            seen.add(name)
    assert seen == {
        "ICertificateRegistry.Kind",
        "ICertificateRegistry.Level",
        "IInstitutionRegistry.InstitutionKind",
        "IResourceRegistry.Status",
    }


def test_the_mirrors_are_the_enums_in_code_order() -> None:
    assert chain.CERTIFICATE_KINDS == {"inclusion": 0, "collection": 1, "selection": 2, "recommendation": 3}
    assert chain.INSTITUTION_KINDS == {"ministry": 1, "province": 2, "city": 3, "district": 4, "school": 5, "platform": 6}
    assert chain.RESOURCE_STATUSES["superseded"] == len(chain.contract_enum("ResourceRegistry", "IResourceRegistry.Status")) - 1
    assert CERTIFICATE_KIND_NAMES == tuple(chain.CERTIFICATE_KINDS) and CERTIFICATE_LEVEL_NAMES == tuple(chain.CERTIFICATE_LEVELS)


def test_every_name_the_registry_uses_is_on_chain() -> None:
    """Names the API, the settings and the labels accept must each have a code in the contract."""
    kinds = typing.get_args(InstitutionCreate.model_fields["kind"].annotation)
    assert kinds and set(kinds) <= set(chain.INSTITUTION_KINDS)
    assert set(typing.get_args(Settings.model_fields["BUREAU_KIND"].annotation)) <= set(chain.INSTITUTION_KINDS)
    assert set(CERTIFICATE_NAMES) == set(chain.CERTIFICATE_KINDS) == set(chain.CERTIFICATE_TYPES)
    assert set(LEVEL_NAMES) == set(chain.CERTIFICATE_LEVELS)


def test_an_enum_or_role_the_contract_lacks_is_refused() -> None:
    with pytest.raises(LookupError, match="no enum"):
        chain.contract_enum("CertificateRegistry", "ICertificateRegistry.Colour")
    with pytest.raises(LookupError, match="no role"):
        chain.role_id("InstitutionRegistry", "JANITOR_ROLE")


def test_roles_and_types_are_the_contracts_own(suite: PyEvmSuite) -> None:
    """Every role getter the contract publishes answers what the mirror computes, and the
    certificate types are what CertificateRegistry.credentialTypeOf answers."""
    abi = load_artifacts()["InstitutionRegistry"].abi
    roles = [item["name"] for item in abi if item.get("type") == "function" and item["name"].endswith("_ROLE") and not item["inputs"]]
    assert {"DEFAULT_ADMIN_ROLE", "REVIEWER_ROLE", "REGISTRAR_ROLE", "ISSUER_ROLE"} <= set(roles)
    mirrors = {
        "DEFAULT_ADMIN_ROLE": chain.DEFAULT_ADMIN_ROLE,
        "REVIEWER_ROLE": chain.REVIEWER_ROLE,
        "REGISTRAR_ROLE": chain.REGISTRAR_ROLE,
        "ISSUER_ROLE": chain.ISSUER_ROLE,
    }
    for role in roles:
        assert bytes(suite.call("InstitutionRegistry", role)) == mirrors.get(role, chain.role_id("InstitutionRegistry", role)), role
    for kind, code in chain.CERTIFICATE_KINDS.items():
        on_chain = bytes(suite.call("CertificateRegistry", "credentialTypeOf", code))
        assert on_chain == chain.CERTIFICATE_TYPES[kind] == credential_type_of(kind), kind
