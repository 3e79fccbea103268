"""Sign-in: one-time challenges (EIP-4361 messages) and the session tokens they are exchanged for."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime

__all__ = ["AuthChallenge", "LoginLink", "Session"]


class AuthChallenge(Base):
    """A sign-in message the server issued; its nonce can be used once. The rows also count the
    challenges each client and address asked for (rate limits), and are purged once expired."""

    __tablename__ = "auth_challenges"

    nonce: Mapped[str] = mapped_column(String(32), primary_key=True)
    address: Mapped[str] = mapped_column(String(42), index=True)
    client: Mapped[str] = mapped_column(String(64), index=True, default="")  # the asking IP (IPv6: its /64)
    message: Mapped[str] = mapped_column(String(2000))
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class Session(Base):
    """A signed-in session: who signed in, until when. Only the token's sha256 is stored. What the
    account may do is not stored here: its roles are read for every request."""

    __tablename__ = "sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(42), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class LoginLink(Base):
    """A one-time sign-in link for the browser, asked for by a signed-in wallet (``edu-wallet login
    --web``). Only the code's sha256 is stored; the code is used once, within minutes."""

    __tablename__ = "login_links"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    address: Mapped[str] = mapped_column(String(42), index=True)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
