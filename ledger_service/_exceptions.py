"""Every error EduLedger raises on purpose.

The hierarchy (catch the narrowest class you can act on)::

    EduLedgerError
    ├── ConfigurationError            settings that cannot work (dev key on a real chain, bad address)
    ├── InvalidJsonError              JSON input that is malformed, repeats a key, nests too deep (also a ValueError)
    ├── ContentError
    │   ├── InvalidCIDError           malformed or unsupported CID (also a ValueError)
    │   ├── ContentNotFoundError      no such content in the store
    │   ├── ContentCorruptedError     a stored block no longer matches its CID
    │   ├── ContentTooLargeError      an upload over the configured limit
    │   ├── TruncatedContentError     an upload that ended before its declared length
    │   ├── InvalidCarError           a CAR file that is malformed, has a wrong or a missing block
    │   └── ContentBackendError       the IPFS (Kubo) node does not answer as expected
    ├── CredentialError
    │   └── InvalidKeyError           a key that cannot be decoded or is of the wrong type
    ├── VaultError
    │   ├── SubjectNotFoundError      no such subject (or a field never stored)
    │   ├── SubjectErasedError        the subject was erased: their data is unrecoverable
    │   ├── ConsentRequiredError      a minor under 14 without a guardian-consent reference
    │   └── VaultKeyError             the master key is missing, malformed or not the one used
    └── ChainError
        ├── ChainUnavailableError     the node does not answer
        ├── ChainMismatchError        wrong chain id, or a deployment that is not on this chain
        ├── CompilationError          the Solidity compiler failed or is missing
        ├── DeploymentError           no usable deployment
        ├── InvalidProofError         a block header or state proof that does not check out (or is missing)
        ├── JsonRpcError              the node answered a request with an error
        ├── OutboxError               the transaction journal cannot be used
        └── TransactionError
            ├── TransactionRejectedError   the node refused a signed transaction
            ├── TransactionTimeoutError    no receipt (or not enough confirmations) in time
            └── ContractRevertError        a contract reverted with a custom error
                ├── UnauthorizedError
                │   └── IssuerNotAuthorizedError
                ├── InvalidSignatureError
                ├── ExpiredSignatureError
                ├── NonceReplayError
                ├── InvalidSharesError
                ├── DuplicateContentError
                ├── NotFoundError
                ├── AlreadyExistsError
                ├── InvalidStateError
                └── InvalidArgumentError

Misuse of the Python API (wrong types) raises the built-in ``TypeError``/``ValueError``.
Which contract error maps to which class is one table: ``ledger_service.chain.CONTRACT_ERRORS``.
"""

from __future__ import annotations

from typing import Any

__all__ = [
    "AlreadyExistsError",
    "ChainError",
    "ChainMismatchError",
    "ChainUnavailableError",
    "CompilationError",
    "ConfigurationError",
    "ConsentRequiredError",
    "ContentBackendError",
    "ContentCorruptedError",
    "ContentError",
    "ContentNotFoundError",
    "ContentTooLargeError",
    "ContractRevertError",
    "CredentialError",
    "DeploymentError",
    "DuplicateContentError",
    "EduLedgerError",
    "ExpiredSignatureError",
    "InvalidArgumentError",
    "InvalidCIDError",
    "InvalidCarError",
    "InvalidJsonError",
    "InvalidKeyError",
    "InvalidProofError",
    "InvalidSharesError",
    "InvalidSignatureError",
    "InvalidStateError",
    "IssuerNotAuthorizedError",
    "JsonRpcError",
    "NonceReplayError",
    "NotFoundError",
    "OutboxError",
    "SubjectErasedError",
    "SubjectNotFoundError",
    "TransactionError",
    "TransactionRejectedError",
    "TransactionTimeoutError",
    "TruncatedContentError",
    "UnauthorizedError",
    "VaultError",
    "VaultKeyError",
]


class EduLedgerError(Exception):
    """Base of every EduLedger error. The message says what failed and what to do next."""


class ConfigurationError(EduLedgerError):
    """The configuration cannot work as given."""


class InvalidJsonError(EduLedgerError, ValueError):
    """JSON input refused before anything reads it: not JSON, a key given twice (readers disagree on
    which one wins), a lone surrogate, or nesting deeper than a document needs. ``reason`` is one of
    ``syntax``, ``duplicate_key``, ``surrogate``, ``depth``, ``number``."""

    def __init__(self, message: str, *, reason: str = "syntax") -> None:
        super().__init__(message)
        self.reason = reason


# Content errors...


class ContentError(EduLedgerError):
    """Something went wrong storing, reading or addressing content."""


class InvalidCIDError(ContentError, ValueError):
    """The text or bytes are not a CID this store supports; the message names the problem."""


class ContentNotFoundError(ContentError):
    """No content (or block) with that CID is in the store."""


class ContentCorruptedError(ContentError):
    """A stored block does not hash to its CID: it is reported, never served."""


class ContentTooLargeError(ContentError):
    """The content exceeds the configured size limit."""


class TruncatedContentError(ContentError):
    """The upload ended before the length it declared."""


class InvalidCarError(ContentError):
    """The CAR archive is malformed, holds a block that does not match its CID, or lacks a block."""


class ContentBackendError(ContentError):
    """The IPFS node behind the store failed or does not answer."""


# Credential errors...


class CredentialError(EduLedgerError):
    """Something went wrong building, signing or checking a verifiable credential."""


class InvalidKeyError(CredentialError, ValueError):
    """The key material cannot be decoded, or is not an Ed25519 key where one is needed."""


# Vault errors...


class VaultError(EduLedgerError):
    """The personal-data vault cannot do what was asked."""


class SubjectNotFoundError(VaultError):
    """No such subject in the vault, or no such field for them."""


class SubjectErasedError(VaultError):
    """The subject was erased (crypto-shredded); their personal data cannot be recovered."""


class ConsentRequiredError(VaultError):
    """The subject is under 14: a guardian-consent reference is required before anything is recorded."""


class VaultKeyError(VaultError):
    """The vault's master key is missing, malformed, or not the key the data was wrapped with."""


# Chain errors...


class ChainError(EduLedgerError):
    """Something went wrong talking to, or on, the chain."""


class ChainUnavailableError(ChainError):
    """The chain node does not answer (wrong URL, node down, network)."""


class ChainMismatchError(ChainError):
    """The node is not the chain we expected: other chain id, or contracts missing."""


class CompilationError(ChainError):
    """The Solidity sources did not compile, or the compiler is missing."""


class DeploymentError(ChainError):
    """No usable deployment of the contracts."""


class InvalidProofError(ChainError):
    """A block header, account proof or storage proof does not check out against what the verifier
    trusts, or a proof the verification needs is missing."""


class JsonRpcError(ChainError):
    """The node answered a JSON-RPC request with an error object."""

    def __init__(self, message: str, *, code: int = 0, data: Any = None) -> None:
        super().__init__(message)
        self.code = code
        self.data = data


class OutboxError(ChainError):
    """The durable transaction journal cannot be opened or is inconsistent."""


class TransactionError(ChainError):
    """A transaction did not do what it was sent to do."""

    def __init__(self, message: str, *, tx_hash: str | None = None) -> None:
        super().__init__(message)
        self.tx_hash = tx_hash


class TransactionRejectedError(TransactionError):
    """The node refused a signed transaction (bad nonce, no funds, gas too low...)."""


class TransactionTimeoutError(TransactionError):
    """No receipt, or not enough confirmations, within the time allowed."""


class ContractRevertError(TransactionError):
    """A contract reverted with a custom error.

    ``error_name`` is the Solidity error's name and ``arguments`` its decoded arguments by name.
    """

    def __init__(
        self,
        message: str,
        *,
        error_name: str = "",
        arguments: dict[str, Any] | None = None,
        tx_hash: str | None = None,
    ) -> None:
        super().__init__(message, tx_hash=tx_hash)
        self.error_name = error_name
        self.arguments = dict(arguments or {})


class UnauthorizedError(ContractRevertError):
    """The account lacks the role or institution right the call needs."""


class IssuerNotAuthorizedError(UnauthorizedError):
    """The key is not an issuer key authorised for that credential type at that time."""


class InvalidSignatureError(ContractRevertError):
    """The signature is malformed or was not made by the account that had to sign."""


class ExpiredSignatureError(ContractRevertError):
    """The signed request passed its deadline."""


class NonceReplayError(ContractRevertError):
    """The signed request's nonce is not the signer's current one (replayed or out of order)."""


class InvalidSharesError(ContractRevertError):
    """Authors and shares are inconsistent or do not sum to 10000 basis points."""


class DuplicateContentError(ContractRevertError):
    """Identical content is already registered; ``arguments`` name the existing record."""


class NotFoundError(ContractRevertError):
    """The institution, key, resource or certificate does not exist."""


class AlreadyExistsError(ContractRevertError):
    """The record already exists or the change was already made (e.g. a root anchored twice)."""


class InvalidStateError(ContractRevertError):
    """The record's state does not allow this change."""


class InvalidArgumentError(ContractRevertError):
    """An argument is out of range or malformed."""
