"""Sign-In with Ethereum (EIP-4361) messages and session tokens.

The server issues a message with a one-time nonce; the wallet signs it with ``personal_sign``
(EIP-191); the server checks the signature, the nonce and the times, and answers a random session
token. Only the token's sha256 is stored, so a database leak does not leak sessions.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from eth_utils.address import is_checksum_address

from ledger_service.chain import eip191_digest, recover_address

__all__ = ["ChallengeLimits", "SignInMessage", "hash_token", "new_nonce", "new_token", "recover_signer"]

_NONCE_ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
_HEADER = re.compile(r"^(?:(?P<scheme>[a-zA-Z][a-zA-Z0-9+.-]*)://)?(?P<domain>[^\s/]+) wants you to sign in with your Ethereum account:$")
_FIELD = re.compile(r"^(?P<name>URI|Version|Chain ID|Nonce|Issued At|Expiration Time|Not Before|Request ID): (?P<value>.+)$")


def _format_time(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _parse_time(value: str, field: str) -> datetime:
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError(f"{field} is not an RFC 3339 time: {value!r}") from None
    if parsed.tzinfo is None:
        raise ValueError(f"{field} has no time zone: {value!r}")
    return parsed.astimezone(UTC)


@dataclass(frozen=True)
class ChallengeLimits:
    """How many sign-in challenges may be asked for (see registry.crud.auth)."""

    per_client: int = 60  # challenges one client may ask for per window
    per_address: int = 10  # challenges for one address per window
    window: int = 60  # seconds
    max_open: int = 10_000  # unused, unexpired challenges in all


@dataclass(frozen=True)
class SignInMessage:
    """An EIP-4361 message. :meth:`text` and :meth:`parse` are inverse."""

    domain: str
    address: str
    uri: str
    chain_id: int
    nonce: str
    issued_at: datetime
    expiration_time: datetime | None = None
    statement: str | None = None
    version: str = "1"

    def text(self) -> str:
        lines = [f"{self.domain} wants you to sign in with your Ethereum account:", self.address, ""]
        if self.statement:
            lines += [self.statement, ""]
        lines += [
            f"URI: {self.uri}",
            f"Version: {self.version}",
            f"Chain ID: {self.chain_id}",
            f"Nonce: {self.nonce}",
            f"Issued At: {_format_time(self.issued_at)}",
        ]
        if self.expiration_time:
            lines.append(f"Expiration Time: {_format_time(self.expiration_time)}")
        return "\n".join(lines)

    @classmethod
    def parse(cls, text: str) -> SignInMessage:
        """Parse a message; raises ValueError naming the first thing that is not EIP-4361."""
        lines = text.split("\n")
        if len(lines) < 7:
            raise ValueError("not a sign-in message: too few lines")
        header = _HEADER.match(lines[0])
        if not header:
            raise ValueError("the first line must be '<domain> wants you to sign in with your Ethereum account:'")
        address = lines[1]
        if not is_checksum_address(address):
            raise ValueError("the second line must be an EIP-55 checksummed address")
        if lines[2] != "":
            raise ValueError("the address must be followed by an empty line")
        index, statement = 3, None
        if not lines[3].startswith("URI: "):
            statement = lines[3]
            if "\n" in statement or len(lines) < 5 or lines[4] != "":
                raise ValueError("the statement must be one line followed by an empty line")
            index = 5
        fields: dict[str, str] = {}
        for line in lines[index:]:
            match = _FIELD.match(line)
            if not match or match["name"] in fields:
                raise ValueError(f"unexpected line in the sign-in message: {line[:80]!r}")
            fields[match["name"]] = match["value"]
        for required in ("URI", "Version", "Chain ID", "Nonce", "Issued At"):
            if required not in fields:
                raise ValueError(f"the sign-in message lacks its {required!r} field")
        if fields["Version"] != "1":
            raise ValueError("only version 1 sign-in messages exist")
        if not fields["Chain ID"].isdigit():
            raise ValueError("Chain ID must be a number")
        if not re.fullmatch(r"[A-Za-z0-9]{8,}", fields["Nonce"]):
            raise ValueError("Nonce must be at least 8 letters or digits")
        return cls(
            domain=header["domain"],
            address=address,
            uri=fields["URI"],
            chain_id=int(fields["Chain ID"]),
            nonce=fields["Nonce"],
            issued_at=_parse_time(fields["Issued At"], "Issued At"),
            expiration_time=_parse_time(fields["Expiration Time"], "Expiration Time") if "Expiration Time" in fields else None,
            statement=statement,
        )


def recover_signer(message: str, signature_hex: str) -> str | None:
    """The account that ``personal_sign``-ed ``message``, or None for a malformed signature."""
    try:
        signature = bytes.fromhex(signature_hex.removeprefix("0x"))
    except ValueError:
        return None
    return recover_address(eip191_digest(message.encode()), signature)


def new_nonce() -> str:
    return "".join(secrets.choice(_NONCE_ALPHABET) for _ in range(17))


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
