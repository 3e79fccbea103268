"""Challenges for holder-bound presentations: handed out by this registry (its host is the domain a
presentation must name), each answered once and only until it expires; bounded per client like the
sign-in challenges (registry.crud.auth)."""

from __future__ import annotations

import secrets
from datetime import timedelta
from urllib.parse import urlsplit

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from ..core.errors import InvalidRequestError, TooManyRequestsError
from ..core.security import ChallengeLimits
from ..models import PresentationChallenge, utcnow

__all__ = ["CHALLENGE_TTL", "presentation_domain", "new_presentation_challenge", "use_presentation_challenge"]

CHALLENGE_TTL = 600  # seconds: time to sign a presentation in a wallet


def presentation_domain(base_url: str) -> str:
    """The domain presentations to this registry name: its public host."""
    return urlsplit(base_url).netloc


def new_presentation_challenge(session: Session, *, client: str, limits: ChallengeLimits) -> PresentationChallenge:
    """A fresh challenge for ``client``; 429 past the per-client and open limits. The caller commits."""
    now = utcnow().replace(microsecond=0)
    session.execute(delete(PresentationChallenge).where(PresentationChallenge.expires_at < now - timedelta(seconds=limits.window)))
    recent = session.scalar(
        select(func.count())
        .select_from(PresentationChallenge)
        .where(PresentationChallenge.client == client, PresentationChallenge.issued_at > now - timedelta(seconds=limits.window))
    )
    if (recent or 0) >= limits.per_client:
        raise TooManyRequestsError(
            f"{recent} presentation challenges in {limits.window} s from this client; try again later", retry_after=limits.window
        )
    open_count = session.scalar(
        select(func.count())
        .select_from(PresentationChallenge)
        .where(PresentationChallenge.used_at.is_(None), PresentationChallenge.expires_at > now)
    )
    if (open_count or 0) >= limits.max_open:
        raise TooManyRequestsError(f"{open_count} presentation challenges are open; try again later", retry_after=limits.window)
    challenge = PresentationChallenge(
        challenge=secrets.token_urlsafe(24), client=client, issued_at=now, expires_at=now + timedelta(seconds=CHALLENGE_TTL)
    )
    session.add(challenge)
    return challenge


def use_presentation_challenge(session: Session, challenge: str) -> None:
    """Mark ``challenge`` used, once (a replay racing the first use loses); 400 naming why when it is
    not one of ours, expired or used. The caller commits."""
    record = session.get(PresentationChallenge, challenge[:64]) if isinstance(challenge, str) else None
    if record is None:
        raise InvalidRequestError(
            "challenge: this challenge was not handed out here (POST /presentations/challenges)", code="unknown_challenge"
        )
    now = utcnow()
    if record.used_at is not None:
        raise InvalidRequestError("challenge: this challenge was used already; ask for a new one", code="challenge_used")
    if now >= record.expires_at:
        raise InvalidRequestError(
            f"challenge: this challenge expired at {record.expires_at.isoformat()}; ask for a new one", code="challenge_expired"
        )
    used = session.execute(
        update(PresentationChallenge)
        .where(PresentationChallenge.challenge == record.challenge, PresentationChallenge.used_at.is_(None))
        .values(used_at=now)
    )
    if used.rowcount != 1:  # type: ignore[attr-defined]
        raise InvalidRequestError("challenge: this challenge was used already; ask for a new one", code="challenge_used")
