"""Institutions (bureaus, schools), their people and the roles the database grants.

The tree and the administrator keys live on chain (InstitutionRegistry); names live here.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, String, UniqueConstraint, false
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow

__all__ = ["Institution", "RoleGrant", "User"]


class Institution(Base):
    __tablename__ = "institutions"

    id: Mapped[str] = mapped_column(String(66), primary_key=True)  # 0x + bytes32, as on chain
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(20))  # ministry, province, city, district, school, platform
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("institutions.id"), default=None)
    admin_address: Mapped[str] = mapped_column(String(42))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    chain_job_id: Mapped[int | None] = mapped_column(default=None)


class User(Base):
    """An account known to the registry: its wallet address, the institution it belongs to, and its
    profile (the name people see beside the address). ``name_public`` is the person's consent to
    show their name and institution on public pages and certificates."""

    __tablename__ = "users"

    address: Mapped[str] = mapped_column(String(42), primary_key=True)
    institution_id: Mapped[str | None] = mapped_column(ForeignKey("institutions.id"), default=None, index=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    display_name: Mapped[str | None] = mapped_column(String(100), default=None)
    title: Mapped[str | None] = mapped_column(String(100), default=None)  # subject or role title: 小学数学教师, 教研员
    name_public: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    profile_updated_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class RoleGrant(Base):
    """A role the database grants (teacher; issuer of its institution's credentials; admin of the platform).
    Reviewers are granted on chain."""

    __tablename__ = "role_grants"
    __table_args__ = (UniqueConstraint("address", "role"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    address: Mapped[str] = mapped_column(ForeignKey("users.address"), index=True)
    role: Mapped[str] = mapped_column(String(20))
    granted_by: Mapped[str] = mapped_column(String(42))
    granted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
