"""Sign-in challenges and sessions (see registry.core.security for the message format).

Challenges are bounded: each client (an IP address; an IPv6 client by its /64) and each address may
ask for a limited number per window (:class:`ChallengeLimits`), and at most ``max_open`` unused,
unexpired challenges exist at any time; beyond that the answer is 429 with ``Retry-After``.
Expired challenges (once out of the counting window) and sessions expired or closed for an hour
are deleted whenever a challenge is asked for.
"""

from __future__ import annotations

import ipaddress
import math
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from eth_utils.address import is_hex_address, to_checksum_address
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session as DbSession

from ..core.errors import AuthenticationError, InvalidRequestError, TooManyRequestsError
from ..core.security import ChallengeLimits, SignInMessage, hash_token, new_nonce, new_token, recover_signer
from ..models import AuthChallenge, LoginLink, Session, utcnow

__all__ = [
    "STATEMENT",
    "checked_address",
    "client_key",
    "close_session",
    "create_challenge",
    "create_login_link",
    "find_session",
    "open_link_session",
    "open_session",
    "purge_expired",
]

STATEMENT = "Sign in to the EduLedger registry."


def checked_address(value: str) -> str:
    """A well-formed address, checksummed; a mixed-case address must carry a valid checksum."""
    if not isinstance(value, str) or not is_hex_address(value):
        raise InvalidRequestError(f"{value!r} is not an Ethereum address (0x followed by 40 hex digits)")
    checksummed = to_checksum_address(value)
    if value[2:] not in (value[2:].lower(), value[2:].upper()) and value != checksummed:
        raise InvalidRequestError(f"{value} has a wrong EIP-55 checksum (did you mean {checksummed}?)")
    return checksummed


_KEEP_CLOSED_SESSIONS = timedelta(hours=1)  # an expired token is told "expired" (not "unknown") this long


def client_key(host: str | None) -> str:
    """Whom a request is counted against: its IP address, an IPv6 address by its /64 network."""
    if not host:
        return "unknown"
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        return host[:64]
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            return str(ip.ipv4_mapped)
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip)


def purge_expired(*, session: DbSession, now: datetime, window: int) -> None:
    """Delete challenges expired and out of the counting window, and sessions long expired or closed."""
    session.execute(delete(AuthChallenge).where(AuthChallenge.expires_at < now, AuthChallenge.issued_at < now - timedelta(seconds=window)))
    session.execute(
        delete(Session).where(or_(Session.expires_at < now - _KEEP_CLOSED_SESSIONS, Session.revoked_at < now - _KEEP_CLOSED_SESSIONS))
    )


def _retry_after(moment: datetime | None, now: datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds())) if moment is not None else 1


def _check_limits(session: DbSession, *, address: str, client: str, now: datetime, limits: ChallengeLimits) -> None:
    since = now - timedelta(seconds=limits.window)
    for column, value, limit, who in (
        (AuthChallenge.client, client, limits.per_client, f"client {client}"),
        (AuthChallenge.address, address, limits.per_address, address),
    ):
        count, oldest = session.execute(
            select(func.count(), func.min(AuthChallenge.issued_at)).where(column == value, AuthChallenge.issued_at > since)
        ).one()
        if count >= limit:
            retry = _retry_after(oldest + timedelta(seconds=limits.window) if oldest else None, now)
            raise TooManyRequestsError(
                f"{who} asked for {count} sign-in challenges in the last {limits.window} s (at most {limit}); try again in {retry} s",
                retry_after=retry,
            )
    open_count, next_expiry = session.execute(
        select(func.count(), func.min(AuthChallenge.expires_at)).where(AuthChallenge.used_at.is_(None), AuthChallenge.expires_at > now)
    ).one()
    if open_count >= limits.max_open:
        retry = _retry_after(next_expiry, now)
        raise TooManyRequestsError(
            f"{open_count} sign-in challenges are open (at most {limits.max_open}); try again in {retry} s", retry_after=retry
        )


def create_challenge(
    *, session: DbSession, address: str, base_url: str, chain_id: int, ttl: int, client: str = "", limits: ChallengeLimits | None = None
) -> AuthChallenge:
    """A new sign-in message for ``address``, asked for by ``client`` (see :func:`client_key`), within ``limits``."""
    address = checked_address(address)
    now = utcnow().replace(microsecond=0)
    limits = limits or ChallengeLimits()
    purge_expired(session=session, now=now, window=limits.window)
    _check_limits(session, address=address, client=client, now=now, limits=limits)
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
        nonce=message.nonce, address=address, client=client, message=message.text(), issued_at=now, expires_at=message.expiration_time
    )
    session.add(challenge)
    return challenge


def open_session(*, session: DbSession, message: str, signature: str, ttl: int) -> tuple[str, Session]:
    """Check a signed challenge and open a session for its signer (who they are; what they may do is
    read for every request).

    Raises :class:`AuthenticationError` for a message that was not issued, was changed, expired or
    was used before, and for a signature not made by the message's account.
    """
    try:
        parsed = SignInMessage.parse(message)
    except ValueError as exc:
        raise AuthenticationError(f"not a valid sign-in message: {exc}", code="invalid_message") from None
    challenge = session.get(AuthChallenge, parsed.nonce)
    if challenge is None or challenge.message != message:
        raise AuthenticationError(
            "this sign-in message was not issued by this server (or was changed); ask for a new challenge", code="unknown_challenge"
        )
    if challenge.used_at is not None:
        raise AuthenticationError("this sign-in message was already used; ask for a new challenge", code="challenge_used")
    now = utcnow()
    if now >= challenge.expires_at:
        raise AuthenticationError(
            f"this sign-in message expired at {challenge.expires_at.isoformat()}; ask for a new challenge", code="challenge_expired"
        )
    signer = recover_signer(message, signature)
    if signer != challenge.address:
        raise AuthenticationError(f"the signature was not made by {challenge.address}", code="invalid_signature")
    # Mark it used only if nobody else did in the meantime (a replay racing the first use).
    used = session.execute(
        update(AuthChallenge).where(AuthChallenge.nonce == challenge.nonce, AuthChallenge.used_at.is_(None)).values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise AuthenticationError("this sign-in message was already used; ask for a new challenge", code="challenge_used")
    return _new_session(session, signer, ttl)


def _new_session(session: DbSession, address: str, ttl: int) -> tuple[str, Session]:
    now = utcnow()
    token = new_token()
    record = Session(token_hash=hash_token(token), address=address, issued_at=now, expires_at=now + timedelta(seconds=ttl))
    session.add(record)
    return token, record


def create_login_link(*, session: DbSession, address: str, ttl: int) -> tuple[str, LoginLink]:
    """A one-time code that opens a browser session for ``address`` (the caller is signed in as it)."""
    now = utcnow().replace(microsecond=0)
    code = new_token()
    link = LoginLink(code_hash=hash_token(code), address=address, issued_at=now, expires_at=now + timedelta(seconds=ttl))
    session.add(link)
    return code, link


def open_link_session(*, session: DbSession, code: str, ttl: int) -> tuple[str, Session]:
    """Exchange a login link's code for a session (who you are; roles are read for every request);
    a code works once, before it expires."""
    link = session.get(LoginLink, hash_token(code))
    if link is None:
        raise AuthenticationError("this sign-in link is not valid; print a new one with `edu-wallet login --web`", code="unknown_link")
    now = utcnow()
    if link.used_at is not None:
        raise AuthenticationError("this sign-in link was already used; print a new one with `edu-wallet login --web`", code="link_used")
    if now >= link.expires_at:
        raise AuthenticationError(f"this sign-in link expired at {link.expires_at.isoformat()}; print a new one", code="link_expired")
    used = session.execute(update(LoginLink).where(LoginLink.code_hash == link.code_hash, LoginLink.used_at.is_(None)).values(used_at=now))
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise AuthenticationError("this sign-in link was already used; print a new one with `edu-wallet login --web`", code="link_used")
    return _new_session(session, link.address, ttl)


def find_session(*, session: DbSession, token: str) -> Session:
    record = session.get(Session, hash_token(token))
    if record is None or record.revoked_at is not None:
        raise AuthenticationError("the session token is not valid; sign in again", code="invalid_token")
    if utcnow() >= record.expires_at:
        raise AuthenticationError(f"the session expired at {record.expires_at.isoformat()}; sign in again", code="token_expired")
    return record


def close_session(*, session: DbSession, token: str) -> None:
    find_session(session=session, token=token).revoked_at = utcnow()
