"""Compiled contract artifacts, committed so that tests and the service run without a compiler.

The file is produced by ``python -m ledger_service.chain compile`` and checked for
reproducibility by ``python -m ledger_service.chain compile --check``.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._exceptions import DeploymentError

__all__ = ["ARTIFACTS_PATH", "ContractArtifact", "artifacts_digest", "load_artifacts", "write_artifacts"]

ARTIFACTS_PATH = Path(__file__).with_name("artifacts") / "contracts.json"


@dataclass(frozen=True)
class ContractArtifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str
    deployed_bytecode: str
    devdoc: dict[str, Any]
    storage_layout: dict[str, Any]
    enums: dict[str, tuple[str, ...]]  # "ICertificateRegistry.Kind" → member names in order


@lru_cache(maxsize=4)
def _load(path: str) -> tuple[str, dict[str, ContractArtifact]]:
    try:
        document = json.loads(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DeploymentError(f"no compiled contracts at {path}; run `make build`") from None
    contracts = {
        name: ContractArtifact(
            name=name,
            abi=entry["abi"],
            bytecode=entry["bytecode"],
            deployed_bytecode=entry["deployedBytecode"],
            devdoc=entry.get("devdoc", {}),
            storage_layout=entry.get("storageLayout", {}),
            enums={name: tuple(members) for name, members in entry.get("enums", {}).items()},
        )
        for name, entry in document["contracts"].items()
    }
    return str(document.get("inputSha256", "")), contracts


def load_artifacts(path: Path | None = None) -> dict[str, ContractArtifact]:
    """The compiled contracts by name."""
    return _load(str(path or ARTIFACTS_PATH))[1]


def artifacts_digest(path: Path | None = None) -> str:
    """sha256 of the compiler input the artifacts came from (identifies a contract build)."""
    return _load(str(path or ARTIFACTS_PATH))[0]


def write_artifacts(document: dict[str, Any], path: Path | None = None) -> Path:
    """Write atomically (temp file + rename), in a stable layout so diffs are reviewable."""
    target = path or ARTIFACTS_PATH
    target.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(document, indent=1, sort_keys=True) + "\n"
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".contracts.", suffix=".json")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
    os.replace(tmp, target)
    _load.cache_clear()
    return target
