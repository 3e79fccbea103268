"""Facts about contract storage proven against a block header, for verifiers without a node.

A block hash commits to the header (``keccak256(rlp(header))``), the header's ``stateRoot`` to
every account (a Merkle-Patricia trie keyed by ``keccak256(address)``), an account's
``storageRoot`` to its storage (keyed by ``keccak256(slot)``). Given a block hash the verifier
already trusts, ``eth_getProof``'s account and storage proofs (EIP-1186) therefore prove what a
contract held at that block, and nothing the prover says besides the proof nodes is believed.
Where a variable lives comes from the compiler's ``storageLayout``, never from hand-written slot
numbers.

Header hashing covers the fields anvil 1.7.1 emits (London, Shanghai, Cancun, Prague). A QBFT
chain (Besu) hashes its headers without the validators' commit seals; judging a QBFT header by
its validator set is not implemented here (see the README).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from .._exceptions import InvalidProofError
from ._artifacts import ContractArtifact
from ._rlp import rlp_decode, rlp_encode
from ._rpc import RpcClient

__all__ = [
    "EMPTY_TRIE_ROOT",
    "HEADER_FIELDS",
    "ProvenState",
    "StorageLayout",
    "block_header_hash",
    "fetch_state_proofs",
    "slot_key",
    "verify_trie_proof",
]

EMPTY_TRIE_ROOT = keccak(b"\x80")
_EMPTY_CODE_HASH = keccak(b"")
_QUANTITY, _HASH, _ADDRESS, _BLOOM, _NONCE, _BYTES = "quantity", "hash", "address", "bloom", "nonce", "bytes"
# The header in hashing order; from ``baseFeePerGas`` on, each fork appended fields (absent before it).
HEADER_FIELDS: tuple[tuple[str, str], ...] = (
    ("parentHash", _HASH),
    ("sha3Uncles", _HASH),
    ("miner", _ADDRESS),
    ("stateRoot", _HASH),
    ("transactionsRoot", _HASH),
    ("receiptsRoot", _HASH),
    ("logsBloom", _BLOOM),
    ("difficulty", _QUANTITY),
    ("number", _QUANTITY),
    ("gasLimit", _QUANTITY),
    ("gasUsed", _QUANTITY),
    ("timestamp", _QUANTITY),
    ("extraData", _BYTES),
    ("mixHash", _HASH),
    ("nonce", _NONCE),
    ("baseFeePerGas", _QUANTITY),  # London
    ("withdrawalsRoot", _HASH),  # Shanghai
    ("blobGasUsed", _QUANTITY),  # Cancun
    ("excessBlobGas", _QUANTITY),
    ("parentBeaconBlockRoot", _HASH),
    ("requestsHash", _HASH),  # Prague
)
_REQUIRED = 15
_SIZES = {_HASH: 32, _ADDRESS: 20, _BLOOM: 256, _NONCE: 8}
MAX_EXTRA_DATA = 4096  # QBFT extra data (validators, seals) is a few hundred bytes


def _bytes(value: Any, name: str) -> bytes:
    if not isinstance(value, str) or not value.startswith("0x") or len(value) % 2:
        raise InvalidProofError(f"header field {name} must be 0x-hex, got {str(value)[:40]!r}")
    try:
        return bytes.fromhex(value[2:])
    except ValueError:
        raise InvalidProofError(f"header field {name} is not hex") from None


def _header_item(name: str, kind: str, value: Any) -> int | bytes:
    if kind == _QUANTITY:
        if not isinstance(value, str) or not value.startswith("0x") or len(value) > 66:
            raise InvalidProofError(f"header field {name} must be a 0x-hex quantity, got {str(value)[:40]!r}")
        try:
            return int(value, 16)
        except ValueError:
            raise InvalidProofError(f"header field {name} is not a hex quantity") from None
    raw = _bytes(value, name)
    size = _SIZES.get(kind)
    if (size is not None and len(raw) != size) or (kind == _BYTES and len(raw) > MAX_EXTRA_DATA):
        raise InvalidProofError(f"header field {name} has {len(raw)} bytes")
    return raw


def block_header_hash(header: Mapping[str, Any]) -> bytes:
    """``keccak256(rlp(header))`` of a header given as JSON-RPC returns it (``eth_getBlockByNumber``)."""
    if not isinstance(header, Mapping):
        raise InvalidProofError("the block header must be an object")
    items: list[int | bytes] = []
    for position, (name, kind) in enumerate(HEADER_FIELDS):
        if name in header:
            items.append(_header_item(name, kind, header[name]))
        elif position < _REQUIRED:
            raise InvalidProofError(f"the block header lacks {name}")
        # A fork's field that is absent is left out, as the node's own encoder does (anvil's "london"
        # headers carry the blob fields without withdrawalsRoot); only the required fields are read.
    return keccak(rlp_encode(items))


# Merkle-Patricia proofs...


def _nibbles(key: bytes) -> list[int]:
    return [half for byte in key for half in (byte >> 4, byte & 0x0F)]


def _compact(path: bytes) -> tuple[list[int], bool]:
    """Hex-prefix decoding: (nibbles, is a leaf)."""
    if not path:
        raise ValueError("empty hex-prefix path")
    flag = path[0] >> 4
    if flag > 3:
        raise ValueError("bad hex-prefix flag")
    nibbles = _nibbles(path)[1 if flag & 1 else 2 :]
    if not flag & 1 and path[0] & 0x0F:
        raise ValueError("bad hex-prefix padding")
    return nibbles, bool(flag & 2)


def verify_trie_proof(root: bytes, key: bytes, proof: Sequence[bytes]) -> bytes:
    """The value stored under ``key`` (the already-hashed path) in the trie with root ``root``, from
    the proof's nodes; ``b""`` if the proof shows there is none. Raises :class:`InvalidProofError`
    if the nodes do not lead from the root along the key."""
    if root == EMPTY_TRIE_ROOT:
        return b""
    nodes = {keccak(node): node for node in proof}
    path = _nibbles(key)
    position = 0
    reference: bytes | list[Any] = root
    try:
        for _ in range(2 * len(key) + 2):
            if isinstance(reference, bytes):
                if len(reference) != 32 or reference not in nodes:
                    raise InvalidProofError(f"the proof lacks trie node 0x{reference.hex()[:16]}… on the path of 0x{key.hex()}")
                node = rlp_decode(nodes[reference])
            else:
                node = reference  # a node under 32 bytes, embedded in its parent
            if not isinstance(node, list):
                raise ValueError("a trie node must be a list")
            if len(node) == 17:
                if position == len(path):
                    value = node[16]
                    if not isinstance(value, bytes):
                        raise ValueError("a branch value must be bytes")
                    return value
                child = node[path[position]]
                position += 1
                if child == b"":
                    return b""
                reference = child
            elif len(node) == 2:
                if not isinstance(node[0], bytes):
                    raise ValueError("a trie node's path must be bytes")
                segment, leaf = _compact(node[0])
                if path[position : position + len(segment)] != segment:
                    return b""  # the key diverges here: proven absent
                position += len(segment)
                if leaf:
                    if position != len(path) or not isinstance(node[1], bytes):
                        return b""
                    return node[1]
                reference = node[1]
            else:
                raise ValueError(f"a trie node has {len(node)} items")
    except ValueError as exc:
        raise InvalidProofError(f"malformed trie proof for 0x{key.hex()}: {exc}") from None
    raise InvalidProofError(f"the trie proof for 0x{key.hex()} does not end")


def _hex_nodes(nodes: Any, what: str) -> list[bytes]:
    if not isinstance(nodes, list) or len(nodes) > 64:
        raise InvalidProofError(f"the {what} must be a list of at most 64 nodes")
    decoded = []
    for node in nodes:
        if not isinstance(node, str) or not node.startswith("0x") or len(node) > 2 + 2 * 1024:
            raise InvalidProofError(f"a node of the {what} is not 0x-hex of at most 1024 bytes")
        try:
            decoded.append(bytes.fromhex(node[2:]))
        except ValueError:
            raise InvalidProofError(f"a node of the {what} is not hex") from None
    return decoded


def slot_key(slot: int) -> str:
    """How a storage slot is named in a proof bundle: 0x + 64 hex digits."""
    return "0x" + slot.to_bytes(32, "big").hex()


class ProvenState:
    """Storage words of contracts, each proven against ``state_root`` by the EIP-1186 proofs given as
    ``{address: {"accountProof": [...], "storageProof": {slot_key: [...]}}}`` (0x-hex nodes)."""

    def __init__(self, state_root: bytes, proofs: Mapping[str, Any]) -> None:
        self.state_root = state_root
        if not isinstance(proofs, Mapping):
            raise InvalidProofError("the proofs must be an object by contract address")
        self._proofs = {str(address).lower(): proof for address, proof in proofs.items()}
        self._storage_roots: dict[str, bytes] = {}

    def _entry(self, address: str) -> Mapping[str, Any]:
        entry = self._proofs.get(address.lower())
        if not isinstance(entry, Mapping):
            raise InvalidProofError(f"no proof of contract {address}")
        return entry

    def storage_root(self, address: str) -> bytes:
        cached = self._storage_roots.get(address.lower())
        if cached is not None:
            return cached
        nodes = _hex_nodes(self._entry(address).get("accountProof"), f"account proof of {address}")
        encoded = verify_trie_proof(self.state_root, keccak(bytes.fromhex(address[2:])), nodes)
        if not encoded:
            raise InvalidProofError(f"no contract at {address} in the proven state")
        try:
            account = rlp_decode(encoded)
        except ValueError as exc:
            raise InvalidProofError(f"the account record of {address} is malformed: {exc}") from None
        if not isinstance(account, list) or len(account) != 4 or not all(isinstance(f, bytes) for f in account):
            raise InvalidProofError(f"the account record of {address} is malformed")
        storage_root, code_hash = bytes(account[2]), bytes(account[3])
        if len(storage_root) != 32 or code_hash == _EMPTY_CODE_HASH:
            raise InvalidProofError(f"{address} holds no contract in the proven state")
        self._storage_roots[address.lower()] = storage_root
        return storage_root

    def word(self, address: str, slot: int) -> int:
        """The 32-byte word in ``slot`` of ``address`` (0 if proven empty)."""
        root = self.storage_root(address)
        storage = self._entry(address).get("storageProof")
        nodes = storage.get(slot_key(slot)) if isinstance(storage, Mapping) else None
        if nodes is None:
            raise InvalidProofError(f"no proof of storage slot {slot_key(slot)} of {address}")
        encoded = verify_trie_proof(root, keccak(slot.to_bytes(32, "big")), _hex_nodes(nodes, f"storage proof of {address}"))
        if not encoded:
            return 0
        try:
            value = rlp_decode(encoded)
        except ValueError as exc:
            raise InvalidProofError(f"the storage value of {slot_key(slot)} is malformed: {exc}") from None
        if not isinstance(value, bytes) or len(value) > 32 or value[:1] == b"\0":
            raise InvalidProofError(f"the storage value of {slot_key(slot)} is malformed")
        return int.from_bytes(value, "big")


def fetch_state_proofs(rpc: RpcClient, block: int, slots: Mapping[str, Iterable[int]]) -> dict[str, Any]:
    """``eth_getProof`` at ``block`` for each contract's ``slots``, in the form :class:`ProvenState` reads."""
    proofs: dict[str, Any] = {}
    for address, wanted in slots.items():
        keys = sorted(set(wanted))
        answer = rpc.request("eth_getProof", [address, [slot_key(slot) for slot in keys], hex(block)])
        by_key = {int(item["key"], 16): list(item["proof"]) for item in answer["storageProof"]}
        proofs[to_checksum_address(address)] = {
            "accountProof": list(answer["accountProof"]),
            "storageProof": {slot_key(slot): by_key[slot] for slot in keys},
        }
    return proofs


# Storage layout...


@dataclass(frozen=True)
class StorageLayout:
    """Where a contract's state variables live, from the compiler's ``storageLayout`` output."""

    contract: str
    variables: Mapping[str, tuple[int, str]]  # label → (slot, type id)
    types: Mapping[str, Mapping[str, Any]]

    @classmethod
    def of(cls, artifact: ContractArtifact) -> StorageLayout:
        layout = artifact.storage_layout
        if not layout or "storage" not in layout:
            raise InvalidProofError(f"the artifacts of {artifact.name} carry no storageLayout; recompile (make build)")
        variables = {str(v["label"]): (int(v["slot"]), str(v["type"])) for v in layout["storage"]}
        return cls(artifact.name, variables, layout.get("types") or {})

    def _key(self, key_type: str, key: bytes | str | int) -> bytes:
        label = str(self.types[key_type]["label"])
        if label == "address" and isinstance(key, str):
            return bytes(12) + bytes.fromhex(key[2:])
        if label == "bytes32" and isinstance(key, bytes) and len(key) == 32:
            return key
        if label.startswith("uint") and isinstance(key, int):
            return key.to_bytes(32, "big")
        raise ValueError(f"a {label} mapping key cannot be {key!r}")

    def locate(self, variable: str, *keys: bytes | str | int) -> tuple[int, str]:
        """(first slot, type id) of ``variable[keys[0]][keys[1]]…``."""
        slot, type_id = self.variables[variable]
        for key in keys:
            mapping = self.types[type_id]
            if mapping.get("encoding") != "mapping":
                raise ValueError(f"{self.contract}.{variable} is not indexed that deep")
            slot = int.from_bytes(keccak(self._key(str(mapping["key"]), key) + slot.to_bytes(32, "big")), "big")
            type_id = str(mapping["value"])
        return slot, type_id

    def slots(self, slot: int, type_id: str) -> list[int]:
        """The slots a value of ``type_id`` starting at ``slot`` occupies."""
        size = int(self.types[type_id]["numberOfBytes"])
        return [slot + i for i in range((size + 31) // 32)]

    def decode(self, slot: int, type_id: str, word: Callable[[int], int]) -> dict[str, Any]:
        """A struct of value types, read word by word (``word(slot)``), as ``eth_call`` would return it."""
        members = self.types[type_id].get("members")
        if not members:
            raise ValueError(f"{type_id} is not a struct")
        record: dict[str, Any] = {}
        for member in members:
            member_type = self.types[str(member["type"])]
            size = int(member_type["numberOfBytes"])
            value = word(slot + int(member["slot"])) >> (8 * int(member["offset"])) & ((1 << (8 * size)) - 1)
            label = str(member_type["label"])
            if label == "address":
                record[str(member["label"])] = to_checksum_address(value.to_bytes(20, "big"))
            elif label.startswith("bytes"):
                record[str(member["label"])] = value.to_bytes(size, "big")
            else:
                record[str(member["label"])] = value
        return record
