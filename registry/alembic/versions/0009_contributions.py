"""Contribution records: view and download counters of versions, and teachers' contribution statements.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "contribution_statements",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("teacher", sa.String(length=42), nullable=False),
        sa.Column("document", sa.JSON(), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=False),
        sa.Column("tx_hash", sa.String(length=66), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contribution_statements")),
    )
    with op.batch_alter_table("contribution_statements", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_contribution_statements_teacher"), ["teacher"], unique=False)

    op.create_table(
        "resource_stats",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("views", sa.BigInteger(), nullable=False),
        sa.Column("downloads", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_resource_stats_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("version_id", name=op.f("pk_resource_stats")),
    )


def downgrade() -> None:
    op.drop_table("resource_stats")
    with op.batch_alter_table("contribution_statements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_contribution_statements_teacher"))

    op.drop_table("contribution_statements")
