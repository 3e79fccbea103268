"""EIP-712 digests for the ResourceRegistry's signed requests (registration, a co-author's
confirmation, rights transfer).

Mirrors ``ResourceRegistry.hashRegistration``, ``hashAuthorshipConfirmation`` and the transfer hash
in Solidity; the tests check them against the contract and against eth-account's independent
``encode_typed_data``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from eth_abi.abi import encode
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

__all__ = [
    "AUTHORSHIP_TYPE",
    "AuthorshipConfirmation",
    "Eip712Domain",
    "REGISTRATION_TYPE",
    "Registration",
    "RightsTransfer",
    "TRANSFER_TYPE",
]

_DOMAIN_TYPE = "EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)"
REGISTRATION_TYPE = (
    "Registration(bytes32 contentHash,string cid,bytes32 metadataHash,address[] authors,"
    "uint16[] shares,string licence,uint256 predecessor,uint256 nonce,uint256 deadline)"
)
TRANSFER_TYPE = "Transfer(uint256 resourceId,address from,address to,uint16 share,uint256 nonce,uint256 deadline)"
AUTHORSHIP_TYPE = "AuthorshipConfirmation(bytes32 contentHash,address author,uint16 share,uint256 deadline)"
_REGISTRATION_TYPEHASH = keccak(REGISTRATION_TYPE.encode())
_TRANSFER_TYPEHASH = keccak(TRANSFER_TYPE.encode())
_AUTHORSHIP_TYPEHASH = keccak(AUTHORSHIP_TYPE.encode())


@dataclass(frozen=True)
class Eip712Domain:
    chain_id: int
    verifying_contract: str
    name: str = "EduLedger ResourceRegistry"
    version: str = "1"

    def separator(self) -> bytes:
        return keccak(
            encode(
                ["bytes32", "bytes32", "bytes32", "uint256", "address"],
                [
                    keccak(_DOMAIN_TYPE.encode()),
                    keccak(self.name.encode()),
                    keccak(self.version.encode()),
                    self.chain_id,
                    self.verifying_contract,
                ],
            )
        )

    def digest(self, struct_hash: bytes) -> bytes:
        return keccak(b"\x19\x01" + self.separator() + struct_hash)


def _bytes32(value: bytes, name: str) -> bytes:
    if len(value) != 32:
        raise ValueError(f"{name} must be 32 bytes, got {len(value)}")
    return value


@dataclass(frozen=True)
class Registration:
    """A resource registration as the lead author (``authors[0]``) signs it."""

    content_hash: bytes
    cid: str
    metadata_hash: bytes
    authors: Sequence[str]
    shares: Sequence[int]
    licence: str
    nonce: int
    deadline: int
    predecessor: int = 0

    def __post_init__(self) -> None:
        _bytes32(self.content_hash, "content_hash")
        _bytes32(self.metadata_hash, "metadata_hash")
        object.__setattr__(self, "authors", tuple(to_checksum_address(a) for a in self.authors))
        object.__setattr__(self, "shares", tuple(int(s) for s in self.shares))

    def struct_hash(self) -> bytes:
        return keccak(
            encode(
                ["bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "bytes32", "uint256", "uint256", "uint256"],
                [
                    _REGISTRATION_TYPEHASH,
                    self.content_hash,
                    keccak(self.cid.encode()),
                    self.metadata_hash,
                    keccak(b"".join(encode(["address"], [a]) for a in self.authors)),
                    keccak(b"".join(encode(["uint16"], [s]) for s in self.shares)),
                    keccak(self.licence.encode()),
                    self.predecessor,
                    self.nonce,
                    self.deadline,
                ],
            )
        )

    def as_abi_tuple(self) -> tuple[object, ...]:
        """The ``Registration`` struct as the contract's ABI takes it."""
        return (
            self.content_hash,
            self.cid,
            self.metadata_hash,
            list(self.authors),
            list(self.shares),
            self.licence,
            self.predecessor,
            self.nonce,
            self.deadline,
        )


@dataclass(frozen=True)
class RightsTransfer:
    """An assignment of ``share`` basis points of a resource, signed by ``from_``."""

    resource_id: int
    from_: str
    to: str
    share: int
    nonce: int
    deadline: int

    def struct_hash(self) -> bytes:
        return keccak(
            encode(
                ["bytes32", "uint256", "address", "address", "uint16", "uint256", "uint256"],
                [
                    _TRANSFER_TYPEHASH,
                    self.resource_id,
                    to_checksum_address(self.from_),
                    to_checksum_address(self.to),
                    self.share,
                    self.nonce,
                    self.deadline,
                ],
            )
        )


@dataclass(frozen=True)
class AuthorshipConfirmation:
    """A co-author's consent to be named an author of the content ``content_hash`` with ``share``
    basis points, signed by ``author`` (until then they hold no share)."""

    content_hash: bytes
    author: str
    share: int
    deadline: int

    def __post_init__(self) -> None:
        _bytes32(self.content_hash, "content_hash")
        object.__setattr__(self, "author", to_checksum_address(self.author))

    def struct_hash(self) -> bytes:
        return keccak(
            encode(
                ["bytes32", "bytes32", "address", "uint16", "uint256"],
                [_AUTHORSHIP_TYPEHASH, self.content_hash, self.author, self.share, self.deadline],
            )
        )
