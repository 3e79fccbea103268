"""The chain layer: compile, deploy, sign, send through a durable outbox, read, run anvil.

Only standard JSON-RPC is used outside :class:`EmbeddedNode`, so the same code runs against Besu.
"""

from __future__ import annotations

from ._artifacts import ARTIFACTS_PATH, ContractArtifact, artifacts_digest, load_artifacts, write_artifacts
from ._contracts import BoundContract, ContractCall, DecodedEvent, abi_type
from ._deploy import CONTRACT_NAMES, REGISTRAR_ROLE, Deployment, deploy_contracts
from ._dev import DEV_MNEMONIC, dev_signer, refuse_dev_key
from ._eip712 import (
    AUTHORSHIP_TYPE,
    REGISTRATION_TYPE,
    TRANSFER_TYPE,
    AuthorshipConfirmation,
    Eip712Domain,
    Registration,
    RightsTransfer,
)
from ._ledger import ChainConfig, Ledger
from ._node import EmbeddedNode, find_anvil, free_port
from ._outbox import Outbox, OutboxEntry, OutboxStatus
from ._proofs import (
    EMPTY_TRIE_ROOT,
    HEADER_FIELDS,
    ProvenState,
    StorageLayout,
    block_header_hash,
    fetch_state_proofs,
    slot_key,
    verify_trie_proof,
)
from ._resources import encode_register, metadata_hash, register_call, registration_gas
from ._revert import CONTRACT_ERRORS, RevertDecoder
from ._rpc import HttpRpcClient, ProviderRpcClient, RpcCall, RpcClient
from ._sender import ReconcileReport, Receipt, TransactionSender
from ._signer import SignedTransaction, Signer, UnsignedTransaction, address_from_public_key, eip191_digest, recover_address

__all__ = [
    "ARTIFACTS_PATH",
    "AUTHORSHIP_TYPE",
    "AuthorshipConfirmation",
    "BoundContract",
    "CONTRACT_ERRORS",
    "CONTRACT_NAMES",
    "ChainConfig",
    "ContractArtifact",
    "ContractCall",
    "DEV_MNEMONIC",
    "DecodedEvent",
    "Deployment",
    "EMPTY_TRIE_ROOT",
    "Eip712Domain",
    "EmbeddedNode",
    "HEADER_FIELDS",
    "HttpRpcClient",
    "Ledger",
    "Outbox",
    "OutboxEntry",
    "OutboxStatus",
    "ProvenState",
    "ProviderRpcClient",
    "REGISTRAR_ROLE",
    "REGISTRATION_TYPE",
    "Receipt",
    "ReconcileReport",
    "Registration",
    "RevertDecoder",
    "RightsTransfer",
    "RpcCall",
    "RpcClient",
    "SignedTransaction",
    "Signer",
    "StorageLayout",
    "TRANSFER_TYPE",
    "TransactionSender",
    "UnsignedTransaction",
    "abi_type",
    "address_from_public_key",
    "artifacts_digest",
    "block_header_hash",
    "deploy_contracts",
    "dev_signer",
    "eip191_digest",
    "encode_register",
    "fetch_state_proofs",
    "find_anvil",
    "free_port",
    "load_artifacts",
    "metadata_hash",
    "recover_address",
    "refuse_dev_key",
    "register_call",
    "registration_gas",
    "slot_key",
    "verify_trie_proof",
    "write_artifacts",
]
