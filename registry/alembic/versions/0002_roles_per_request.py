"""Roles read per request (sessions keep no roles), sign-in limits (challenges counted per client,
expired rows purged), conflict-of-interest overrides, co-authors' confirmations.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "author_confirmations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("share", sa.Integer(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chain_status", sa.String(length=10), nullable=False),
        sa.Column("chain_tx", sa.String(length=66), nullable=True),
        sa.Column("chain_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["version_id"], ["resource_versions.id"], name=op.f("fk_author_confirmations_version_id_resource_versions")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_author_confirmations")),
        sa.UniqueConstraint("version_id", "address", name=op.f("uq_author_confirmations_version_id_address")),
    )
    with op.batch_alter_table("author_confirmations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_author_confirmations_version_id"), ["version_id"], unique=False)

    with op.batch_alter_table("auth_challenges", schema=None) as batch_op:
        batch_op.add_column(sa.Column("client", sa.String(length=64), nullable=False, server_default=""))
        batch_op.create_index(batch_op.f("ix_auth_challenges_client"), ["client"], unique=False)
        batch_op.create_index(batch_op.f("ix_auth_challenges_expires_at"), ["expires_at"], unique=False)

    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("conflict", sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column("override_reason", sa.Text(), nullable=True))

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_expires_at"), ["expires_at"], unique=False)
        batch_op.drop_column("roles")


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("roles", sa.JSON(), nullable=False, server_default="[]"))
        batch_op.drop_index(batch_op.f("ix_sessions_expires_at"))

    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.drop_column("override_reason")
        batch_op.drop_column("conflict")

    with op.batch_alter_table("auth_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_challenges_expires_at"))
        batch_op.drop_index(batch_op.f("ix_auth_challenges_client"))
        batch_op.drop_column("client")

    with op.batch_alter_table("author_confirmations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_author_confirmations_version_id"))

    op.drop_table("author_confirmations")
