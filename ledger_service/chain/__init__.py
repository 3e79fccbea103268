"""The chain layer: compile, deploy, sign, send through a durable outbox, read, run anvil.

Only standard JSON-RPC is used outside :class:`EmbeddedNode`, so the same code runs against Besu.
"""

from __future__ import annotations

from ._artifacts import ARTIFACTS_PATH, ContractArtifact, artifacts_digest, load_artifacts, write_artifacts
from ._contracts import BoundContract, ContractCall, DecodedEvent, abi_type
from ._deploy import CONTRACT_NAMES, REGISTRAR_ROLE, Deployment, deploy_contracts
from ._dev import DEV_MNEMONIC, dev_signer, refuse_dev_key
from ._eip712 import Eip712Domain, Registration, RightsTransfer
from ._ledger import ChainConfig, Ledger
from ._node import EmbeddedNode, find_anvil, free_port
from ._outbox import Outbox, OutboxEntry, OutboxStatus
from ._revert import CONTRACT_ERRORS, RevertDecoder
from ._rpc import HttpRpcClient, ProviderRpcClient, RpcClient
from ._sender import ReconcileReport, Receipt, TransactionSender
from ._signer import SignedTransaction, Signer, UnsignedTransaction

__all__ = [
    "ARTIFACTS_PATH",
    "CONTRACT_ERRORS",
    "CONTRACT_NAMES",
    "DEV_MNEMONIC",
    "REGISTRAR_ROLE",
    "BoundContract",
    "ChainConfig",
    "ContractArtifact",
    "ContractCall",
    "DecodedEvent",
    "Deployment",
    "Eip712Domain",
    "EmbeddedNode",
    "HttpRpcClient",
    "Ledger",
    "Outbox",
    "OutboxEntry",
    "OutboxStatus",
    "ProviderRpcClient",
    "Receipt",
    "ReconcileReport",
    "Registration",
    "RevertDecoder",
    "RightsTransfer",
    "RpcClient",
    "SignedTransaction",
    "Signer",
    "TransactionSender",
    "UnsignedTransaction",
    "abi_type",
    "artifacts_digest",
    "deploy_contracts",
    "dev_signer",
    "find_anvil",
    "free_port",
    "load_artifacts",
    "refuse_dev_key",
    "write_artifacts",
]
