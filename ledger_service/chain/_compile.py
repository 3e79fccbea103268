"""Compile the Solidity sources with npm `solc` (solc-js) through py-solc-x.

py-solc-x's own download of native solc needs the internet; the npm package works offline. A
small shim (``solc_shim.js``) presents solc-js to py-solc-x as the native CLI. Sources, including
the OpenZeppelin ones, are passed inline in the standard-JSON input, keyed by their import paths,
so the output depends only on the source bytes and the settings: the artifacts are reproducible.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from pathlib import Path
from typing import Any

import solcx
import solcx.wrapper
from solcx.exceptions import SolcError

from .._exceptions import CompilationError

__all__ = ["COMPILER_SETTINGS", "compile_contracts", "project_root", "solc_shim_path", "standard_json_input"]

COMPILER_SETTINGS: dict[str, Any] = {
    "evmVersion": "cancun",
    "optimizer": {"enabled": True, "runs": 200},
    "outputSelection": {
        "*": {"*": ["abi", "evm.bytecode.object", "evm.deployedBytecode.object", "devdoc", "storageLayout"]},
    },
}

_IMPORT = re.compile(r'^\s*import\s+(?:\{[^}]*\}\s+from\s+)?"([^"]+)"\s*;', re.MULTILINE)
_OZ_PREFIX = "@openzeppelin/contracts/"


def project_root() -> Path:
    """The checkout holding ``contracts/`` and ``node_modules/``."""
    return Path(__file__).resolve().parents[2]


def _node_modules() -> Path:
    return Path(os.environ.get("EDULEDGER_NODE_MODULES", project_root() / "node_modules"))


def solc_shim_path() -> Path:
    return Path(__file__).with_name("solc_shim.js")


def _read_unit(unit: str, contracts_dir: Path) -> str:
    path = _node_modules() / unit if unit.startswith("@") else contracts_dir.parent / unit
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        hint = " (run `make setup` to install the npm packages)" if unit.startswith("@") else ""
        raise CompilationError(f"Solidity source {unit} not found at {path}{hint}") from None


def _resolve(importer: str, target: str) -> str:
    if not target.startswith("."):
        return target
    parts = importer.split("/")[:-1]
    for piece in target.split("/"):
        if piece == "..":
            parts.pop()
        elif piece != ".":
            parts.append(piece)
    return "/".join(parts)


def standard_json_input(contracts_dir: Path | None = None) -> dict[str, Any]:
    """Build the solc standard-JSON input: every ``contracts/**/*.sol`` and what it imports."""
    contracts_dir = contracts_dir or project_root() / "contracts"
    pending = sorted(f"contracts/{p.relative_to(contracts_dir).as_posix()}" for p in contracts_dir.rglob("*.sol"))
    if not pending:
        raise CompilationError(f"no Solidity sources under {contracts_dir}")
    sources: dict[str, dict[str, str]] = {}
    while pending:
        unit = pending.pop()
        if unit in sources:
            continue
        content = _read_unit(unit, contracts_dir)
        sources[unit] = {"content": content}
        pending.extend(_resolve(unit, target) for target in _IMPORT.findall(content))
    return {"language": "Solidity", "sources": dict(sorted(sources.items())), "settings": COMPILER_SETTINGS}


def compile_contracts(contracts_dir: Path | None = None) -> dict[str, Any]:
    """Compile the project's contracts; returns the artifact document (see ``_artifacts``).

    Only contracts under ``contracts/`` that have bytecode or an ABI are kept; OpenZeppelin's
    own units are compiled as dependencies but not exported.
    """
    input_data = standard_json_input(contracts_dir)
    shim = solc_shim_path()
    # The syntax trees too, for the enums' member names (the ABI names an enum's type only). Asking
    # for more output changes no bytecode, and the input digest stays that of the recorded settings.
    with_ast = {
        **input_data,
        "settings": {**COMPILER_SETTINGS, "outputSelection": {"*": {**COMPILER_SETTINGS["outputSelection"]["*"], "": ["ast"]}}},
    }
    try:
        version = str(solcx.wrapper.get_solc_version(shim, with_commit_hash=True))
        output = solcx.compile_standard(with_ast, solc_binary=shim)
    except SolcError as exc:
        raise CompilationError(f"Solidity compilation failed: {exc}") from exc
    except (OSError, FileNotFoundError) as exc:
        raise CompilationError(f"cannot run the solc shim {shim} (is Node.js installed?): {exc}") from exc

    enums = _enums(output)
    contracts: dict[str, Any] = {}
    for unit, by_name in sorted(output.get("contracts", {}).items()):
        if not unit.startswith("contracts/"):
            continue
        for name, compiled in sorted(by_name.items()):
            bytecode = compiled["evm"]["bytecode"]["object"]
            if not bytecode:  # interfaces and abstract contracts: nothing to deploy
                continue
            contracts[name] = {
                "source": unit,
                "abi": compiled["abi"],
                "bytecode": "0x" + bytecode,
                "deployedBytecode": "0x" + compiled["evm"]["deployedBytecode"]["object"],
                "devdoc": compiled.get("devdoc", {}),
                # Where each state variable lives: offline verifiers prove storage slots against a state root.
                "storageLayout": compiled.get("storageLayout", {}),
                # The enums its ABI uses, by the name the ABI gives them, with their members in order.
                "enums": {name: enums[name] for name in sorted(_abi_enums(compiled["abi"])) if name in enums},
            }
    input_digest = hashlib.sha256(json.dumps(input_data, sort_keys=True).encode()).hexdigest()
    return {
        "generatedBy": "python -m ledger_service.chain compile (ledger_service/chain/_compile.py)",
        "compiler": {"name": "solc-js (npm solc)", "version": version, "settings": COMPILER_SETTINGS},
        "openzeppelin": _openzeppelin_version(),
        "inputSha256": input_digest,
        "contracts": contracts,
    }


def _enums(output: dict[str, Any]) -> dict[str, list[str]]:
    """``{"ICertificateRegistry.Kind": ["Inclusion", ...]}`` for every enum in the project's sources."""
    found: dict[str, list[str]] = {}

    def walk(node: Any, scope: str) -> None:
        if isinstance(node, dict):
            if node.get("nodeType") == "EnumDefinition":
                found[f"{scope}.{node['name']}" if scope else node["name"]] = [m["name"] for m in node.get("members", [])]
                return
            inner = node["name"] if node.get("nodeType") == "ContractDefinition" else scope
            for child in node.get("nodes", []):
                walk(child, inner)

    for unit, source in output.get("sources", {}).items():
        if unit.startswith("contracts/"):
            walk(source.get("ast", {}), "")
    return found


def _abi_enums(abi: list[dict[str, Any]]) -> set[str]:
    names: set[str] = set()

    def walk(parameter: dict[str, Any]) -> None:
        kind = str(parameter.get("internalType", ""))
        if kind.startswith("enum "):
            names.add(kind.removeprefix("enum ").removesuffix("[]"))
        for component in parameter.get("components", []):
            walk(component)

    for item in abi:
        for parameter in item.get("inputs", []) + item.get("outputs", []):
            walk(parameter)
    return names


def _openzeppelin_version() -> str:
    package = _node_modules() / "@openzeppelin" / "contracts" / "package.json"
    try:
        return str(json.loads(package.read_text())["version"])
    except (OSError, ValueError, KeyError):
        return "unknown"
