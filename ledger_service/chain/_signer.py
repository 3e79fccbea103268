"""Transaction and message signing with secp256k1 through coincurve (libsecp256k1).

Transactions are EIP-1559 (type 2) and serialised here directly: eth-account's general path
validates every field on each call and caps a relayer at a few hundred signatures a second.
The result is checked byte for byte against eth-account in the tests.
"""

from __future__ import annotations

from dataclasses import dataclass

from coincurve import PrivateKey, PublicKey
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from .._exceptions import ConfigurationError
from ._rlp import rlp_encode
from ._rlp import rlp_list_of_encoded as _rlp_list

__all__ = ["SignedTransaction", "Signer", "UnsignedTransaction", "address_from_public_key", "eip191_digest", "recover_address"]

_SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141


def eip191_digest(message: bytes) -> bytes:
    """The digest ``personal_sign`` signs (EIP-191 version 0x45), e.g. for a sign-in message."""
    return keccak(b"\x19Ethereum Signed Message:\n" + str(len(message)).encode() + message)


def recover_address(digest: bytes, signature: bytes) -> str | None:
    """The account that signed ``digest`` (r ‖ s ‖ v, v in {27, 28}), or None if the signature is
    malformed. High-s signatures are refused, as OpenZeppelin's ECDSA does on chain."""
    if len(digest) != 32 or len(signature) != 65 or signature[64] not in (27, 28):
        return None
    r = int.from_bytes(signature[:32], "big")
    s = int.from_bytes(signature[32:64], "big")
    if not (0 < r < _SECP256K1_N and 0 < s <= _SECP256K1_N // 2):
        return None
    try:
        public = PublicKey.from_signature_and_message(signature[:64] + bytes([signature[64] - 27]), digest, hasher=None)
    except ValueError:
        return None
    return address_from_public_key(public.format(compressed=False))


def address_from_public_key(public_key_uncompressed: bytes) -> str:
    return to_checksum_address(keccak(public_key_uncompressed[1:])[-20:])


@dataclass(frozen=True, slots=True)
class UnsignedTransaction:
    """An EIP-1559 transaction. ``to=None`` deploys a contract."""

    chain_id: int
    nonce: int
    to: str | None
    data: bytes
    gas: int
    max_fee_per_gas: int
    max_priority_fee_per_gas: int
    value: int = 0

    def _fields(self) -> list[int | bytes | list[bytes]]:
        to = bytes.fromhex(self.to[2:]) if self.to else b""
        return [
            self.chain_id,
            self.nonce,
            self.max_priority_fee_per_gas,
            self.max_fee_per_gas,
            self.gas,
            to,
            self.value,
            self.data,
            [],
        ]

    def _encoded_fields(self) -> list[bytes]:
        return [rlp_encode(field) for field in self._fields()]

    def signing_hash(self) -> bytes:
        return keccak(b"\x02" + _rlp_list(self._encoded_fields()))


@dataclass(frozen=True, slots=True)
class SignedTransaction:
    raw: bytes
    hash: str
    sender: str
    nonce: int


class Signer:
    """Holds one private key. Never logs or prints it."""

    def __init__(self, private_key: bytes) -> None:
        if len(private_key) != 32 or not 0 < int.from_bytes(private_key, "big") < _SECP256K1_N:
            raise ConfigurationError("a private key must be 32 bytes in the secp256k1 range")
        self._key = PrivateKey(private_key)
        self.address = address_from_public_key(self._key.public_key.format(compressed=False))

    @classmethod
    def from_hex(cls, private_key_hex: str) -> Signer:
        text = private_key_hex.strip().removeprefix("0x")
        try:
            return cls(bytes.fromhex(text))
        except ValueError:
            raise ConfigurationError("a private key must be 64 hexadecimal digits") from None

    def private_key_bytes(self) -> bytes:
        return self._key.secret

    def sign_digest(self, digest: bytes) -> bytes:
        """Sign a 32-byte digest; returns r ‖ s ‖ v with v in {27, 28} (the form ``ecrecover`` takes)."""
        if len(digest) != 32:
            raise ValueError("a digest is 32 bytes")
        signature = self._key.sign_recoverable(digest, hasher=None)
        return signature[:64] + bytes([signature[64] + 27])

    def sign_transaction(self, tx: UnsignedTransaction) -> SignedTransaction:
        fields = tx._encoded_fields()  # encoded once: for the signing hash and for the raw bytes
        signature = self._key.sign_recoverable(keccak(b"\x02" + _rlp_list(fields)), hasher=None)
        r = int.from_bytes(signature[:32], "big")
        s = int.from_bytes(signature[32:64], "big")
        raw = b"\x02" + _rlp_list([*fields, rlp_encode(signature[64]), rlp_encode(r), rlp_encode(s)])
        return SignedTransaction(raw=raw, hash="0x" + keccak(raw).hex(), sender=self.address, nonce=tx.nonce)

    def __repr__(self) -> str:
        return f"Signer(address={self.address})"
