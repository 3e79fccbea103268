"""Each package's public surface (``__all__``) is complete and sorted, as in httpx."""

from __future__ import annotations

import importlib

import pytest

import ledger_service
import ledger_service.chain
import ledger_service.content
import ledger_service.credentials
import ledger_service.packages
import ledger_service.vault


@pytest.mark.parametrize(
    "package",
    [
        ledger_service,
        ledger_service.chain,
        ledger_service.content,
        ledger_service.credentials,
        ledger_service.packages,
        ledger_service.vault,
    ],
    ids=lambda p: p.__name__,
)
def test_all_is_sorted_and_complete(package: object) -> None:
    names = package.__all__  # type: ignore[attr-defined]
    assert names == sorted(names)
    for name in names:
        assert hasattr(package, name), f"{package.__name__}.{name} is listed but missing"  # type: ignore[attr-defined]


def test_every_private_module_export_is_reexported() -> None:
    for module_name in [
        "_artifacts",
        "_contracts",
        "_deploy",
        "_dev",
        "_eip712",
        "_ledger",
        "_node",
        "_outbox",
        "_proofs",
        "_resources",
        "_revert",
        "_rpc",
        "_sender",
        "_signer",
        "_vocabulary",
        "_lock",
    ]:
        module = importlib.import_module(f"ledger_service.chain.{module_name}")
        missing = set(module.__all__) - set(ledger_service.chain.__all__)
        assert not missing, f"ledger_service.chain.{module_name} exports {missing} but the package does not"


def test_every_content_module_export_is_reexported() -> None:
    for module_name in ["_car", "_cid", "_cid_of", "_dagpb", "_dagread", "_fingerprint", "_importer", "_kubo", "_store"]:
        module = importlib.import_module(f"ledger_service.content.{module_name}")
        missing = set(module.__all__) - set(ledger_service.content.__all__)
        assert not missing, f"ledger_service.content.{module_name} exports {missing} but the package does not"


def test_every_credentials_module_export_is_reexported() -> None:
    for module_name in [
        "_bundle",
        "_chain_view",
        "_credit_bank",
        "_data_integrity",
        "_directory",
        "_documents",
        "_issuance",
        "_jcs",
        "_jsonld",
        "_keys",
        "_merkle",
        "_proven",
        "_schema",
        "_status_list",
        "_verification",
    ]:
        module = importlib.import_module(f"ledger_service.credentials.{module_name}")
        missing = set(module.__all__) - set(ledger_service.credentials.__all__)
        assert not missing, f"ledger_service.credentials.{module_name} exports {missing} but the package does not"
