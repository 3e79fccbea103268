"""Ed25519 issuer keys in the multibase / did:key forms the Data Integrity test vectors use.

public: ``z`` + base58btc(0xed 0x01 ‖ 32-byte key); private: ``z`` + base58btc(0x80 0x26 ‖ 32-byte seed).
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat, PublicFormat

from .._base58 import b58decode, b58encode
from .._exceptions import InvalidKeyError

__all__ = ["Ed25519KeyPair", "Ed25519PublicKeyRef", "base58btc_decode", "base58btc_encode"]

_PUBLIC_PREFIX = b"\xed\x01"
_PRIVATE_PREFIX = b"\x80\x26"


def base58btc_encode(data: bytes) -> str:
    """Multibase base58btc (``z…``)."""
    return "z" + b58encode(data)


def base58btc_decode(text: str) -> bytes:
    if not text.startswith("z"):
        raise InvalidKeyError(f"{text[:20]!r} is not multibase base58btc (it must start with 'z')")
    try:
        return b58decode(text[1:])
    except ValueError as exc:
        raise InvalidKeyError(str(exc)) from None


@dataclass(frozen=True)
class Ed25519PublicKeyRef:
    """A public key and the did:key verification method naming it."""

    key: Ed25519PublicKey

    @classmethod
    def from_multibase(cls, text: str) -> Ed25519PublicKeyRef:
        raw = base58btc_decode(text)
        if not raw.startswith(_PUBLIC_PREFIX) or len(raw) != 34:
            raise InvalidKeyError("not an Ed25519 public key (multicodec 0xed01, 32 bytes)")
        return cls(Ed25519PublicKey.from_public_bytes(raw[2:]))

    @classmethod
    @functools.lru_cache(maxsize=4096)  # a verifier meets the same few issuer keys again and again
    def from_verification_method(cls, method: str) -> Ed25519PublicKeyRef:
        """``did:key:z6Mk…#z6Mk…`` → the key it names; ``did:web:…#z6Mk…`` (an institution's DID
        document names each key by its multibase; whether the document agrees is checked apart)."""
        if method.startswith("did:web:") and "#" in method:
            return cls.from_multibase(method.split("#", 1)[1])
        if not method.startswith("did:key:"):
            raise InvalidKeyError(f"only did:key and did:web#key verification methods are resolved here, not {method[:40]!r}")
        return cls.from_multibase(method[len("did:key:") :].split("#", 1)[0])

    @property
    def multibase(self) -> str:
        return base58btc_encode(_PUBLIC_PREFIX + self.key.public_bytes(Encoding.Raw, PublicFormat.Raw))

    @property
    def raw(self) -> bytes:
        """The 32-byte public key, as registered on chain."""
        return self.key.public_bytes(Encoding.Raw, PublicFormat.Raw)

    @property
    def chain_key(self) -> bytes:
        """The 32 bytes the key is registered under on chain (``addSigningKey``): the key itself."""
        return self.raw

    @property
    def verification_method(self) -> str:
        return f"did:key:{self.multibase}#{self.multibase}"

    def verify(self, signature: bytes, message: bytes) -> bool:
        try:
            self.key.verify(signature, message)
        except InvalidSignature:
            return False
        return True


@dataclass(frozen=True)
class Ed25519KeyPair:
    private: Ed25519PrivateKey

    @classmethod
    def generate(cls) -> Ed25519KeyPair:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def from_seed(cls, seed: bytes) -> Ed25519KeyPair:
        if len(seed) != 32:
            raise InvalidKeyError(f"an Ed25519 seed is 32 bytes, not {len(seed)}")
        return cls(Ed25519PrivateKey.from_private_bytes(seed))

    @classmethod
    def from_multibase(cls, private_multibase: str) -> Ed25519KeyPair:
        raw = base58btc_decode(private_multibase)
        if not raw.startswith(_PRIVATE_PREFIX) or len(raw) != 34:
            raise InvalidKeyError("not an Ed25519 private key (multicodec 0x8026, 32 bytes)")
        return cls(Ed25519PrivateKey.from_private_bytes(raw[2:]))

    @property
    def public(self) -> Ed25519PublicKeyRef:
        return Ed25519PublicKeyRef(self.private.public_key())

    @property
    def seed(self) -> bytes:
        return self.private.private_bytes(Encoding.Raw, PrivateFormat.Raw, NoEncryption())

    @property
    def private_multibase(self) -> str:
        return base58btc_encode(_PRIVATE_PREFIX + self.seed)

    def sign(self, message: bytes) -> bytes:
        return self.private.sign(message)

    def __repr__(self) -> str:
        return f"Ed25519KeyPair(public={self.public.multibase})"
