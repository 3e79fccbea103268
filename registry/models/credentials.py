"""Credential issuing for institutions: their custodial keys, batches, issued credentials, status lists."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, UtcDateTime, utcnow

__all__ = ["CredentialBatch", "GrantSource", "IssuedCredential", "IssuerAccount", "PresentationChallenge", "StatusListRecord"]


class IssuerAccount(Base):
    """An institution's issuing keys, held for it by the registry (sealed with the vault master key)."""

    __tablename__ = "issuer_accounts"

    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), primary_key=True)
    address: Mapped[str] = mapped_column(String(42), unique=True)  # secp256k1: anchors batches and status lists
    signing_key: Mapped[str] = mapped_column(String(100))  # Ed25519 public key, multibase: signs credentials
    sealed_keys: Mapped[bytes] = mapped_column(LargeBinary)
    master_key_id: Mapped[str] = mapped_column(String(16))
    setup_job_id: Mapped[int | None] = mapped_column(ForeignKey("chain_jobs.id"), default=None)
    # 学分银行: how the institution converts presented credentials into credits
    # ([{achievement_type, credits, accepted_results}]).
    credit_rules: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CredentialBatch(Base):
    """One issuance request: its documents are fixed before anything is signed, so a retry of the
    same batch key finishes the same credentials. ``record_digests`` (keyed by the vault, never
    plain hashes of personal data) tell a resend of the same records from different ones. A credit
    grant is a batch of one (kind ``credit_grant``)."""

    __tablename__ = "credential_batches"
    __table_args__ = (UniqueConstraint("institution_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    key: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(30))
    issued_by: Mapped[str] = mapped_column(String(42))
    count: Mapped[int] = mapped_column(Integer)
    # Before 0005 the unsigned documents (narratives included) were kept here in clear; now each is
    # sealed under its subject's key on its IssuedCredential, and start-up seals what older versions left.
    documents: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    subjects: Mapped[list[str]] = mapped_column(JSON)  # vault subject ids, in order
    content_digest: Mapped[str | None] = mapped_column(String(64), default=None)
    record_digests: Mapped[list[list[str]] | None] = mapped_column(JSON, default=None)  # [[subject, record], …] per record
    root: Mapped[str | None] = mapped_column(String(66), default=None)
    tx_hash: Mapped[str | None] = mapped_column(String(66), default=None)
    block_number: Mapped[int | None] = mapped_column(BigInteger, default=None)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)


class IssuedCredential(Base):
    """A credential of a batch. Its document (unsigned until the batch is anchored, then as issued)
    is sealed under the subject's vault key: erasing the subject makes the registry's copy
    unreadable, while the holder's copy still verifies. A credit grant has no vault subject (the
    receiving institution knows the student by the salted identifier only) and is kept in clear."""

    __tablename__ = "issued_credentials"

    id: Mapped[str] = mapped_column(String(100), primary_key=True)  # the credential's id (urn:uuid:…)
    batch_id: Mapped[int] = mapped_column(ForeignKey("credential_batches.id"), index=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    subject_id: Mapped[str | None] = mapped_column(String(40), index=True)  # the vault's pseudonym, never personal data
    position: Mapped[int] = mapped_column(Integer, default=0)  # in its batch
    status_list_id: Mapped[str] = mapped_column(ForeignKey("status_lists.id"))
    status_index: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active, suspended, revoked
    status_reason: Mapped[str | None] = mapped_column(Text, default=None)
    # In clear: credit grants (and rows before 0005). None is SQL NULL here, never JSON null, so the rows
    # left in clear are found by IS NOT NULL.
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON(none_as_null=True), default=None)
    sealed_document: Mapped[bytes | None] = mapped_column(LargeBinary, default=None)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class GrantSource(Base):
    """A credential a credit grant converted: revoking it revokes the grant (see ``workflows.issuance``)."""

    __tablename__ = "credit_grant_sources"

    grant_id: Mapped[str] = mapped_column(ForeignKey("issued_credentials.id"), primary_key=True)
    source_id: Mapped[str] = mapped_column(String(200), primary_key=True, index=True)


class StatusListRecord(Base):
    """An institution's lifecycle status list (purpose message, two bits per entry) and its latest
    signed list credential; ``version`` counts the updates anchored on chain."""

    __tablename__ = "status_lists"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    institution_id: Mapped[str] = mapped_column(ForeignKey("institutions.id"), index=True)
    bits: Mapped[bytes] = mapped_column(LargeBinary)
    allocated: Mapped[bytes] = mapped_column(LargeBinary)  # one bit per entry: handed out
    allocated_count: Mapped[int] = mapped_column(Integer, default=0)
    credential: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)
    list_hash: Mapped[str | None] = mapped_column(String(66), default=None)
    anchored_tx: Mapped[str | None] = mapped_column(String(66), default=None)
    version: Mapped[int] = mapped_column(Integer, default=0)
    note: Mapped[str | None] = mapped_column(Text, default=None)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)
    lock_version: Mapped[int] = mapped_column(Integer, default=1)

    __mapper_args__ = {"version_id_col": lock_version}


class PresentationChallenge(Base):
    """A challenge this registry handed out for a holder's presentation (POST /presentations/challenges):
    answered once — the row is marked used when a presentation answering it is checked — and only
    until it expires. The rows also count the challenges each client asked for, and are purged once expired."""

    __tablename__ = "presentation_challenges"

    challenge: Mapped[str] = mapped_column(String(64), primary_key=True)
    client: Mapped[str] = mapped_column(String(64), index=True, default="")  # the asking IP (IPv6: its /64)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime, default=None)
