"""The one place where contract custom errors become EduLedger exceptions.

web3.py leaves custom-error selectors undecoded; this module decodes revert data against the
ABIs of our compiled contracts and raises the class that ``CONTRACT_ERRORS`` names. A test
checks that every error in the compiled ABIs appears in the table.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from eth_abi.abi import decode
from eth_hash.auto import keccak
from eth_utils.address import to_checksum_address

from .._exceptions import (
    AlreadyExistsError,
    ContractRevertError,
    DuplicateContentError,
    ExpiredSignatureError,
    InvalidArgumentError,
    InvalidSharesError,
    InvalidSignatureError,
    InvalidStateError,
    IssuerNotAuthorizedError,
    NonceReplayError,
    NotFoundError,
    UnauthorizedError,
)

__all__ = ["CONTRACT_ERRORS", "RevertDecoder"]

CONTRACT_ERRORS: Mapping[str, type[ContractRevertError]] = {
    # OpenZeppelin
    "AccessControlBadConfirmation": InvalidArgumentError,
    "AccessControlUnauthorizedAccount": UnauthorizedError,
    "InvalidAccountNonce": NonceReplayError,
    "InvalidShortString": InvalidArgumentError,
    "StringTooLong": InvalidArgumentError,
    # DirectoryClient
    "DirectoryUnauthorizedAccount": UnauthorizedError,
    "DirectoryUnauthorizedIssuer": IssuerNotAuthorizedError,
    # InstitutionRegistry
    "InstitutionRegistryAlreadyRevoked": AlreadyExistsError,
    "InstitutionRegistryInstitutionExists": AlreadyExistsError,
    "InstitutionRegistryInvalidInstitution": InvalidArgumentError,
    "InstitutionRegistryInvalidRevocationTime": InvalidArgumentError,
    "InstitutionRegistryInvalidWindow": InvalidArgumentError,
    "InstitutionRegistryKeyExists": AlreadyExistsError,
    "InstitutionRegistryNotAccredited": InvalidStateError,
    "InstitutionRegistryParentNotAccredited": InvalidStateError,
    "InstitutionRegistrySigningKeyExists": AlreadyExistsError,
    "InstitutionRegistryUnauthorizedAccount": UnauthorizedError,
    "InstitutionRegistryUnknownInstitution": NotFoundError,
    "InstitutionRegistryUnknownKey": NotFoundError,
    "InstitutionRegistryUnknownSigningKey": NotFoundError,
    # ResourceRegistry
    "ResourceRegistryDuplicateContent": DuplicateContentError,
    "ResourceRegistryExpiredSignature": ExpiredSignatureError,
    "ResourceRegistryInsufficientShare": UnauthorizedError,
    "ResourceRegistryInvalidContent": InvalidArgumentError,
    "ResourceRegistryInvalidDecisions": InvalidArgumentError,
    "ResourceRegistryInvalidShares": InvalidSharesError,
    "ResourceRegistryInvalidSigner": InvalidSignatureError,
    "ResourceRegistryInvalidStatusTransition": InvalidStateError,
    "ResourceRegistryNotLeadAuthor": UnauthorizedError,
    "ResourceRegistryNotPendingAuthor": InvalidStateError,
    "ResourceRegistryUnknownContent": NotFoundError,
    "ResourceRegistryUnknownResource": NotFoundError,
    # CertificateRegistry
    "CertificateRegistryAlreadyRevoked": AlreadyExistsError,
    "CertificateRegistryResourceNotCertifiable": InvalidStateError,
    "CertificateRegistryUnauthorizedRevoker": UnauthorizedError,
    "CertificateRegistryUnknownCertificate": NotFoundError,
    # CredentialAnchor
    "CredentialAnchorInvalidBatch": InvalidArgumentError,
    "CredentialAnchorRootAlreadyAnchored": AlreadyExistsError,
    "CredentialAnchorNotListOwner": UnauthorizedError,
}

_ERROR_STRING = keccak(b"Error(string)")[:4]
_PANIC = keccak(b"Panic(uint256)")[:4]


def _format(value: Any) -> str:
    if isinstance(value, bytes):
        return "0x" + value.hex()
    return str(value)


class RevertDecoder:
    """Decodes revert data by selector against a set of ABIs."""

    def __init__(self, abis: Iterable[Iterable[Mapping[str, Any]]]) -> None:
        self._errors: dict[bytes, tuple[str, list[str], list[str]]] = {}
        for abi in abis:
            for item in abi:
                if item.get("type") != "error":
                    continue
                types = [str(i["type"]) for i in item["inputs"]]
                signature = f"{item['name']}({','.join(types)})"
                names = [str(i["name"]) for i in item["inputs"]]
                self._errors[keccak(signature.encode())[:4]] = (str(item["name"]), types, names)

    @property
    def error_names(self) -> set[str]:
        return {name for name, _, _ in self._errors.values()}

    def decode(self, data: bytes | str | None, *, tx_hash: str | None = None) -> ContractRevertError:
        """Turn revert data into the mapped exception (never raises it)."""
        raw = bytes.fromhex(data[2:] if data.startswith("0x") else data) if isinstance(data, str) else (data or b"")
        selector, body = raw[:4], raw[4:]
        if selector in self._errors:
            name, types, names = self._errors[selector]
            try:
                values = decode(types, body)
            except Exception:  # noqa: BLE001 - malformed data must still give a clear error
                values = ()
            values = tuple(to_checksum_address(v) if t == "address" else v for t, v in zip(types, values, strict=False))
            arguments = dict(zip(names, values, strict=False))
            cls = CONTRACT_ERRORS.get(name, ContractRevertError)
            summary = (cls.__doc__ or "the contract reverted").strip().splitlines()[0].rstrip(".")
            shown = ", ".join(f"{k}={_format(v)}" for k, v in arguments.items())
            return cls(f"{summary}: {name}({shown})", error_name=name, arguments=arguments, tx_hash=tx_hash)
        if selector == _ERROR_STRING:
            (reason,) = decode(["string"], body)
            return ContractRevertError(f"the contract reverted: {reason}", error_name="Error", tx_hash=tx_hash)
        if selector == _PANIC:
            (code,) = decode(["uint256"], body)
            return ContractRevertError(
                f"the contract panicked with code {code:#x}", error_name="Panic", arguments={"code": code}, tx_hash=tx_hash
            )
        shown = "0x" + raw.hex() if raw else "no revert data"
        return ContractRevertError(f"the transaction reverted ({shown})", tx_hash=tx_hash)
