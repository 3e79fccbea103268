"""The chain layer: compile, deploy, sign, send through a durable outbox, read, run anvil.

Only standard JSON-RPC is used outside :class:`EmbeddedNode`, so the same code runs against Besu.
"""

from __future__ import annotations

from ._artifacts import ARTIFACTS_PATH, ContractArtifact, artifacts_digest, load_artifacts, write_artifacts
from ._contracts import BoundContract, ContractCall, DecodedEvent, abi_type
from ._deploy import CONTRACT_NAMES, Deployment, deploy_contracts
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
from ._lock import DataDirLock
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
from ._sender import Receipt, ReconcileReport, TransactionSender
from ._signer import SignedTransaction, Signer, UnsignedTransaction, address_from_public_key, eip191_digest, recover_address
from ._vocabulary import (
    CERTIFICATE_KINDS,
    CERTIFICATE_LEVELS,
    CERTIFICATE_TYPES,
    CONTRIBUTION_STATEMENT_TYPE,
    CREDENTIAL_TYPES,
    CREDIT_GRANT_TYPE,
    DEFAULT_ADMIN_ROLE,
    INSTITUTION_KINDS,
    ISSUER_ROLE,
    REGISTRAR_ROLE,
    RESOURCE_STATUSES,
    REVIEWER_ROLE,
    STATUS_LIST_TYPE,
    contract_enum,
    credential_type_id,
    role_id,
)

__all__ = [
    "ARTIFACTS_PATH",
    "AUTHORSHIP_TYPE",
    "AuthorshipConfirmation",
    "BoundContract",
    "CERTIFICATE_KINDS",
    "CERTIFICATE_LEVELS",
    "CERTIFICATE_TYPES",
    "CONTRACT_ERRORS",
    "CONTRACT_NAMES",
    "CONTRIBUTION_STATEMENT_TYPE",
    "CREDENTIAL_TYPES",
    "CREDIT_GRANT_TYPE",
    "ChainConfig",
    "ContractArtifact",
    "ContractCall",
    "DEFAULT_ADMIN_ROLE",
    "DEV_MNEMONIC",
    "DataDirLock",
    "DecodedEvent",
    "Deployment",
    "EMPTY_TRIE_ROOT",
    "Eip712Domain",
    "EmbeddedNode",
    "HEADER_FIELDS",
    "HttpRpcClient",
    "INSTITUTION_KINDS",
    "ISSUER_ROLE",
    "Ledger",
    "Outbox",
    "OutboxEntry",
    "OutboxStatus",
    "ProvenState",
    "ProviderRpcClient",
    "REGISTRAR_ROLE",
    "REGISTRATION_TYPE",
    "RESOURCE_STATUSES",
    "REVIEWER_ROLE",
    "Receipt",
    "ReconcileReport",
    "Registration",
    "RevertDecoder",
    "RightsTransfer",
    "RpcCall",
    "RpcClient",
    "STATUS_LIST_TYPE",
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
    "contract_enum",
    "credential_type_id",
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
    "role_id",
    "slot_key",
    "verify_trie_proof",
    "write_artifacts",
]
