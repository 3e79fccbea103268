"""Deploying the contract suite and recording (or checking) a deployment.

A deployment is recorded only after every contract is mined, its code is on chain and the roles
are granted; the record is written atomically. Each deployment transaction carries an
idempotency key, so a deployment cut off half-way resumes where it stopped instead of starting
a second, partial copy.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from eth_abi.abi import encode
from eth_hash.auto import keccak
from eth_utils.address import is_checksum_address, is_hex_address, to_checksum_address

from .._exceptions import ChainMismatchError, ConfigurationError, DeploymentError
from ._artifacts import ContractArtifact, artifacts_digest, load_artifacts
from ._contracts import BoundContract, ContractCall, abi_type
from ._rpc import RpcClient
from ._sender import TransactionSender
from ._vocabulary import REGISTRAR_ROLE

__all__ = ["CONTRACT_NAMES", "Deployment", "deploy_contracts"]

CONTRACT_NAMES = ("InstitutionRegistry", "ResourceRegistry", "CertificateRegistry", "CredentialAnchor")


def _checked_address(value: str, what: str) -> str:
    if not isinstance(value, str) or not is_hex_address(value):
        raise ConfigurationError(f"{what} is not an Ethereum address: {value!r}")
    if value != value.lower() and value[2:] != value[2:].upper() and not is_checksum_address(value):
        raise ConfigurationError(f"{what} has a wrong checksum (mixed case): {value}")
    return to_checksum_address(value)


@dataclass(frozen=True)
class Deployment:
    """Where the contracts live on one chain."""

    chain_id: int
    contracts: dict[str, str]
    code_hashes: dict[str, str]
    block_number: int
    deployer: str
    artifacts_sha256: str
    deployed_at: float

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".deployment.", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(asdict(self), handle, indent=2, sort_keys=True)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)

    @classmethod
    def load(cls, path: Path) -> Deployment:
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            contracts = {name: _checked_address(data["contracts"][name], f"{path}: {name}") for name in CONTRACT_NAMES}
            return cls(
                chain_id=int(data["chain_id"]),
                contracts=contracts,
                code_hashes={name: str(data["code_hashes"][name]) for name in CONTRACT_NAMES},
                block_number=int(data["block_number"]),
                deployer=_checked_address(data["deployer"], f"{path}: deployer"),
                artifacts_sha256=str(data["artifacts_sha256"]),
                deployed_at=float(data["deployed_at"]),
            )
        except FileNotFoundError:
            raise DeploymentError(f"no deployment recorded at {path}") from None
        except (ValueError, KeyError, TypeError, ConfigurationError) as exc:
            raise DeploymentError(f"the deployment file {path} is malformed ({exc}); remove it to redeploy") from exc

    def verify(self, rpc: RpcClient, *, artifacts_sha256: str | None = None) -> None:
        """Raise :class:`ChainMismatchError` unless this deployment is on the chain ``rpc`` reaches
        (and, given ``artifacts_sha256``, was made from the contracts this code was built with)."""
        if artifacts_sha256 and artifacts_sha256 != self.artifacts_sha256:
            raise ChainMismatchError(
                "the contracts changed since this deployment was recorded; redeploy "
                "(development: remove the data directory) or run the matching release"
            )
        chain_id = int(rpc.request("eth_chainId"), 16)
        if chain_id != self.chain_id:
            raise ChainMismatchError(f"the deployment is for chain id {self.chain_id} but the node is chain id {chain_id}")
        codes = rpc.batch([("eth_getCode", [self.contracts[name], "latest"]) for name in CONTRACT_NAMES])
        for name, code in zip(CONTRACT_NAMES, codes, strict=True):
            if not isinstance(code, str) or code in ("0x", ""):
                raise ChainMismatchError(
                    f"the recorded deployment does not match the chain: no {name} code at {self.contracts[name]} "
                    "(was the chain reset? remove the deployment file to redeploy)"
                )
            digest = "0x" + keccak(bytes.fromhex(code[2:])).hex()
            if digest != self.code_hashes[name]:
                raise ChainMismatchError(
                    f"the recorded deployment does not match the chain: {name} at {self.contracts[name]} holds different code"
                )

    def bind(self, rpc: RpcClient, artifacts: dict[str, ContractArtifact] | None = None) -> dict[str, BoundContract]:
        artifacts = artifacts or load_artifacts()
        return {name: BoundContract(name, self.contracts[name], artifacts[name].abi, rpc) for name in CONTRACT_NAMES}


def _init_code(artifact: ContractArtifact, *args: Any) -> bytes:
    constructor: dict[str, Any] = next((i for i in artifact.abi if i.get("type") == "constructor"), {"inputs": []})
    types = [abi_type(i) for i in constructor["inputs"]]
    return bytes.fromhex(artifact.bytecode[2:]) + encode(types, list(args))


def deploy_contracts(sender: TransactionSender, *, registrar: str) -> Deployment:
    """Deploy the suite with ``sender``'s key as governance and grant ``REGISTRAR_ROLE`` to ``registrar``."""
    registrar = _checked_address(registrar, "registrar")
    artifacts = load_artifacts()
    build = artifacts_digest()[:16]

    def create(name: str, *args: Any) -> str:
        call = ContractCall(to=None, data=_init_code(artifacts[name], *args), key=f"deploy:{build}:{name}", label=f"deploy {name}")
        receipt = sender.transact(call)
        if receipt.contract_address is None:
            raise DeploymentError(f"deploying {name} produced no contract address (tx {receipt.tx_hash})")
        return receipt.contract_address

    directory = create("InstitutionRegistry", sender.address)
    resources = create("ResourceRegistry", directory)
    certificates = create("CertificateRegistry", directory, resources)
    anchor = create("CredentialAnchor", directory)
    addresses = {
        "InstitutionRegistry": directory,
        "ResourceRegistry": resources,
        "CertificateRegistry": certificates,
        "CredentialAnchor": anchor,
    }
    bound = BoundContract("InstitutionRegistry", directory, artifacts["InstitutionRegistry"].abi, sender.rpc)
    receipt = sender.transact(bound.transaction("grantRole", REGISTRAR_ROLE, registrar, key=f"deploy:{build}:grant-registrar:{registrar}"))
    codes = sender.rpc.batch([("eth_getCode", [addresses[name], "latest"]) for name in CONTRACT_NAMES])
    hashes = {}
    for name, code in zip(CONTRACT_NAMES, codes, strict=True):
        if not isinstance(code, str) or len(code) <= 2:
            raise DeploymentError(f"{name} has no code at {addresses[name]} after deployment")
        hashes[name] = "0x" + keccak(bytes.fromhex(code[2:])).hex()
    return Deployment(
        chain_id=sender.chain_id,
        contracts=addresses,
        code_hashes=hashes,
        block_number=receipt.block_number,
        deployer=sender.address,
        artifacts_sha256=artifacts_digest(),
        deployed_at=time.time(),
    )
