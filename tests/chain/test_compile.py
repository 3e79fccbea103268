"""The committed artifacts are exactly what npm solc makes of the sources (reproducible build)."""

from __future__ import annotations

import json

import pytest

from ledger_service.chain import ARTIFACTS_PATH, CONTRACT_NAMES
from ledger_service.chain._compile import compile_contracts, standard_json_input


@pytest.mark.slow
def test_compiling_again_reproduces_the_committed_artifacts() -> None:
    committed = json.loads(ARTIFACTS_PATH.read_text())
    fresh = json.loads(json.dumps(compile_contracts()))
    assert fresh == committed
    assert set(CONTRACT_NAMES) <= set(fresh["contracts"])
    assert fresh["compiler"]["settings"]["evmVersion"] == "cancun"
    assert fresh["compiler"]["version"].startswith("0.8.30")


def test_compiler_input_resolves_openzeppelin_imports() -> None:
    sources = standard_json_input()["sources"]
    assert "contracts/resources/ResourceRegistry.sol" in sources
    assert "@openzeppelin/contracts/utils/cryptography/EIP712.sol" in sources
    assert "@openzeppelin/contracts/utils/Context.sol" in sources, "relative imports inside OpenZeppelin resolve too"
