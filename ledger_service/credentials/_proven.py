"""Chain facts proven from a block the verifier already trusts: offline verification.

A :class:`TrustAnchor` is what a verifier holds before it sees any bundle: the chain id, the
contract addresses, and checkpoints ``{blockNumber, blockHash}`` it took from a node it trusts
(``edu-wallet trust export``). A bundle made at one of those blocks carries the block's header and
``eth_getProof`` proofs of the storage slots verification reads; :class:`StateChainView` answers
:class:`~ledger_service.credentials.ChainFacts` from those slots, decoding them by the compiler's
storage layout and judging them with the contract's own rules (``_directory``). Nothing a bundle
says is believed unless it hashes up to the trusted block hash.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from eth_utils.address import is_address, to_checksum_address

from .._exceptions import ConfigurationError, InvalidProofError
from ..chain import ProvenState, RpcClient, StorageLayout, block_header_hash, load_artifacts
from ._chain_view import status_list_id
from ._directory import is_authorized_issuer, is_valid_signing_key

__all__ = [
    "ProvenBlock",
    "RecordingWords",
    "StateChainView",
    "TRUSTED_CONTRACTS",
    "TRUST_ANCHOR_TYPE",
    "TrustAnchor",
    "proven_chain_view",
    "trust_anchor_from_node",
]

TRUST_ANCHOR_TYPE = "EduLedgerTrustAnchor"
TRUSTED_CONTRACTS = ("CredentialAnchor", "InstitutionRegistry")
MAX_CHECKPOINTS = 10_000


@dataclass(frozen=True)
class TrustAnchor:
    """What an offline verifier trusts beforehand. ``checkpoints`` maps block numbers to block hashes.

    Only block-hash checkpoints exist so far; a QBFT chain could add a validator set whose seals
    sign headers (not implemented: no Besu to test against here).
    """

    chain_id: int
    contracts: Mapping[str, str]
    checkpoints: Mapping[int, bytes] = field(default_factory=dict)

    @classmethod
    def from_json(cls, document: Any) -> TrustAnchor:
        """Read a trust anchor file's JSON; :class:`ConfigurationError` names what is wrong."""
        try:
            if not isinstance(document, dict) or document.get("type") != TRUST_ANCHOR_TYPE or document.get("version") != 1:
                raise ValueError(f"not an {TRUST_ANCHOR_TYPE} (version 1)")
            chain_id = document["chainId"]
            if type(chain_id) is not int or not 0 < chain_id < 2**64:
                raise ValueError("chainId must be a positive integer")
            contracts = {name: document["contracts"][name] for name in TRUSTED_CONTRACTS}
            if not all(isinstance(a, str) and is_address(a) for a in contracts.values()):
                raise ValueError("each contract must be a 0x address")
            listed = document["checkpoints"]
            if not isinstance(listed, list) or not 0 < len(listed) <= MAX_CHECKPOINTS:
                raise ValueError(f"checkpoints must be a list of 1 to {MAX_CHECKPOINTS}")
            checkpoints: dict[int, bytes] = {}
            for point in listed:
                number, digest = point["blockNumber"], point["blockHash"]
                if type(number) is not int or number < 0 or not isinstance(digest, str) or len(digest) != 66:
                    raise ValueError("a checkpoint is {blockNumber: integer, blockHash: 0x + 64 hex digits}")
                checkpoints[number] = bytes.fromhex(digest[2:])
        except (KeyError, TypeError, ValueError) as exc:
            raise ConfigurationError(f"unreadable trust anchor: {exc}") from None
        return cls(chain_id, {n: to_checksum_address(a) for n, a in contracts.items()}, checkpoints)

    def to_json(self) -> dict[str, Any]:
        return {
            "type": TRUST_ANCHOR_TYPE,
            "version": 1,
            "chainId": self.chain_id,
            "contracts": dict(self.contracts),
            "checkpoints": [{"blockNumber": n, "blockHash": "0x" + h.hex()} for n, h in sorted(self.checkpoints.items())],
        }

    def merged(self, other: TrustAnchor) -> TrustAnchor:
        """Both anchors' checkpoints (same chain and contracts only)."""
        if other.chain_id != self.chain_id or dict(other.contracts) != dict(self.contracts):
            raise ConfigurationError("the trust anchors are of different chains or contracts; keep them apart")
        clash = [n for n in other.checkpoints if n in self.checkpoints and other.checkpoints[n] != self.checkpoints[n]]
        if clash:
            raise ConfigurationError(f"block {clash[0]} has two different trusted hashes: one node is not the chain you think")
        return TrustAnchor(self.chain_id, self.contracts, {**self.checkpoints, **other.checkpoints})


def trust_anchor_from_node(rpc: RpcClient, *, chain_id: int, contracts: Mapping[str, str], at_block: int | None = None) -> TrustAnchor:
    """A trust anchor with one checkpoint, read from a node the caller trusts (at the head by default)."""
    if int(rpc.request("eth_chainId"), 16) != chain_id:
        raise ConfigurationError(f"the node is not chain {chain_id}")
    block = at_block if at_block is not None else int(rpc.request("eth_blockNumber"), 16)
    header = rpc.request("eth_getBlockByNumber", [hex(block), False])
    if not header:
        raise ConfigurationError(f"the node has no block {block}")
    if block_header_hash(header) != bytes.fromhex(str(header["hash"])[2:]):
        raise ConfigurationError(
            "this node's block headers do not hash as Ethereum headers (a QBFT chain?): block-hash checkpoints cannot be used with it"
        )
    trusted = {name: to_checksum_address(contracts[name]) for name in TRUSTED_CONTRACTS}
    for name, address in trusted.items():
        if rpc.request("eth_getCode", [address, hex(block)]) in (None, "0x"):
            raise ConfigurationError(f"no {name} contract at {address} at block {block}")
    return TrustAnchor(chain_id, trusted, {block: bytes.fromhex(str(header["hash"])[2:])})


WordReader = Callable[[str, int], int]


class StateChainView:
    """:class:`~ledger_service.credentials.ChainFacts` read from the two contracts' storage at one
    block, word by word (``word(address, slot)``): from proofs offline, or live when making a bundle."""

    def __init__(self, *, chain_id: int, contracts: Mapping[str, str], block_number: int, word: WordReader) -> None:
        self._chain_id = chain_id
        self._anchor = contracts["CredentialAnchor"]
        self._directory = contracts["InstitutionRegistry"]
        self.block_number = block_number
        self._word = word
        artifacts = load_artifacts()
        self._anchor_layout = StorageLayout.of(artifacts["CredentialAnchor"])
        self._directory_layout = StorageLayout.of(artifacts["InstitutionRegistry"])

    @property
    def chain_id(self) -> int:
        return self._chain_id

    @property
    def anchor_address(self) -> str:
        return self._anchor

    @property
    def reads_transactions(self) -> bool:
        return False

    def _record(self, address: str, layout: StorageLayout, variable: str, *keys: bytes | str) -> dict[str, Any]:
        slot, type_id = layout.locate(variable, *keys)
        return layout.decode(slot, type_id, lambda s: self._word(address, s))

    def anchor_of(self, root: bytes) -> dict[str, Any]:
        return self._record(self._anchor, self._anchor_layout, "_anchors", root)

    def transaction(self, tx_hash: str) -> dict[str, Any] | None:
        raise InvalidProofError("a proven snapshot holds no transactions")

    def head(self) -> int:
        return self.block_number

    def _issuer_key(self, key: str) -> dict[str, Any]:
        return self._record(self._directory, self._directory_layout, "_issuerKeys", key)

    def _accreditation(self, institution_id: bytes, credential_type: bytes) -> dict[str, Any]:
        return self._record(self._directory, self._directory_layout, "_accreditations", institution_id, credential_type)

    def _signing_key(self, public_key: bytes) -> dict[str, Any]:
        return self._record(self._directory, self._directory_layout, "_signingKeys", public_key)

    def issuer_authorized(self, key: str, institution_id: bytes, credential_type: bytes, at: int) -> bool:
        return is_authorized_issuer(self._issuer_key, self._accreditation, key, institution_id, credential_type, at)

    def signing_key_valid(self, public_key: bytes, institution_id: bytes, at: int) -> bool:
        return is_valid_signing_key(self._signing_key, public_key, institution_id, at)

    def status_list_of(self, url: str) -> dict[str, Any]:
        return self._record(self._anchor, self._anchor_layout, "_statusLists", status_list_id(url))

    def status_list_versions(self, url: str) -> dict[bytes, int]:
        raise InvalidProofError(
            f"a snapshot proves only the list in force at block {self.block_number}; "
            "an earlier list cannot be told from a forged one offline"
        )


@dataclass(frozen=True)
class ProvenBlock:
    number: int
    timestamp: datetime


def proven_chain_view(trust: TrustAnchor, header: Any, proofs: Any) -> tuple[StateChainView, ProvenBlock]:
    """A view of the state of ``header``'s block, if its hash is a checkpoint of ``trust``; raises
    :class:`InvalidProofError` naming why not. Proofs are checked as each fact is read."""
    digest = block_header_hash(header)
    number = int(header["number"], 16)
    trusted = trust.checkpoints.get(number)
    if trusted is None:
        near = sorted(trust.checkpoints, key=lambda n: abs(n - number))[:3]
        raise InvalidProofError(
            f"the bundle was made at block {number}, which the trust anchor holds no checkpoint for "
            f"(it trusts blocks {', '.join(map(str, sorted(near)))}…): make the bundle at one of those"
        )
    if trusted != digest:
        raise InvalidProofError(
            f"the bundle's block {number} hashes to 0x{digest.hex()}, not the trusted 0x{trusted.hex()}: it is not that block"
        )
    state = ProvenState(bytes.fromhex(str(header["stateRoot"])[2:]), proofs)
    view = StateChainView(chain_id=trust.chain_id, contracts=trust.contracts, block_number=number, word=state.word)
    return view, ProvenBlock(number, datetime.fromtimestamp(int(header["timestamp"], 16), timezone.utc))


class RecordingWords:
    """Reads storage words live at one block and remembers which it read (what a bundle must prove)."""

    def __init__(self, rpc: RpcClient, block: int) -> None:
        self.rpc = rpc
        self.block = block
        self.read: dict[str, set[int]] = {}
        self._lock = threading.Lock()

    def __call__(self, address: str, slot: int) -> int:
        value = self.rpc.request("eth_getStorageAt", [address, hex(slot), hex(self.block)])
        with self._lock:
            self.read.setdefault(address, set()).add(slot)
        return int(str(value), 16)
