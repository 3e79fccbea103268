"""Sign-in challenges and sessions (see registry.core.security for the message format)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from urllib.parse import urlsplit

from eth_utils.address import is_hex_address, to_checksum_address
from sqlalchemy import update
from sqlalchemy.orm import Session as DbSession

from ..core.errors import AuthenticationError, InvalidRequestError
from ..core.security import SignInMessage, hash_token, new_nonce, new_token, recover_signer
from ..models import AuthChallenge, Session, utcnow

__all__ = ["STATEMENT", "checked_address", "close_session", "create_challenge", "find_session", "open_session"]

STATEMENT = "Sign in to the EduLedger registry."


def checked_address(value: str) -> str:
    """A well-formed address, checksummed; a mixed-case address must carry a valid checksum."""
    if not isinstance(value, str) or not is_hex_address(value):
        raise InvalidRequestError(f"{value!r} is not an Ethereum address (0x followed by 40 hex digits)")
    checksummed = to_checksum_address(value)
    if value[2:] not in (value[2:].lower(), value[2:].upper()) and value != checksummed:
        raise InvalidRequestError(f"{value} has a wrong EIP-55 checksum (did you mean {checksummed}?)")
    return checksummed


def create_challenge(*, session: DbSession, address: str, base_url: str, chain_id: int, ttl: int) -> AuthChallenge:
    address = checked_address(address)
    now = utcnow().replace(microsecond=0)
    message = SignInMessage(
        domain=urlsplit(base_url).netloc,
        address=address,
        uri=base_url,
        chain_id=chain_id,
        nonce=new_nonce(),
        issued_at=now,
        expiration_time=now + timedelta(seconds=ttl),
        statement=STATEMENT,
    )
    challenge = AuthChallenge(
        nonce=message.nonce, address=address, message=message.text(), issued_at=now, expires_at=message.expiration_time
    )
    session.add(challenge)
    return challenge


def open_session(
    *, session: DbSession, message: str, signature: str, roles_of: Callable[[str], set[str]], ttl: int
) -> tuple[str, Session]:
    """Check a signed challenge and open a session with the signer's ``roles_of(address)``.

    Raises :class:`AuthenticationError` for a message that was not issued, was changed, expired or
    was used before, and for a signature not made by the message's account.
    """
    try:
        parsed = SignInMessage.parse(message)
    except ValueError as exc:
        raise AuthenticationError(f"not a valid sign-in message: {exc}", code="invalid_message") from None
    challenge = session.get(AuthChallenge, parsed.nonce)
    if challenge is None or challenge.message != message:
        raise AuthenticationError("this sign-in message was not issued by this server (or was changed); ask for a new challenge",
                                  code="unknown_challenge")
    if challenge.used_at is not None:
        raise AuthenticationError("this sign-in message was already used; ask for a new challenge", code="challenge_used")
    now = utcnow()
    if now >= challenge.expires_at:
        raise AuthenticationError(f"this sign-in message expired at {challenge.expires_at.isoformat()}; ask for a new challenge",
                                  code="challenge_expired")
    signer = recover_signer(message, signature)
    if signer != challenge.address:
        raise AuthenticationError(f"the signature was not made by {challenge.address}", code="invalid_signature")
    # Mark it used only if nobody else did in the meantime (a replay racing the first use).
    used = session.execute(
        update(AuthChallenge).where(AuthChallenge.nonce == challenge.nonce, AuthChallenge.used_at.is_(None)).values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise AuthenticationError("this sign-in message was already used; ask for a new challenge", code="challenge_used")
    token = new_token()
    record = Session(
        token_hash=hash_token(token), address=signer, roles=sorted(roles_of(signer)), issued_at=now, expires_at=now + timedelta(seconds=ttl)
    )
    session.add(record)
    return token, record


def find_session(*, session: DbSession, token: str) -> Session:
    record = session.get(Session, hash_token(token))
    if record is None or record.revoked_at is not None:
        raise AuthenticationError("the session token is not valid; sign in again", code="invalid_token")
    if utcnow() >= record.expires_at:
        raise AuthenticationError(f"the session expired at {record.expires_at.isoformat()}; sign in again", code="token_expired")
    return record


def close_session(*, session: DbSession, token: str) -> None:
    find_session(session=session, token=token).revoked_at = utcnow()
