"""Search follows a change log (search_changes) into its own index; the token table goes.

The index is rebuilt from the database when the service starts without one, so nothing of
search_tokens needs carrying over.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=True),
        sa.Column("node_id", sa.String(length=120), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_search_changes")),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("search_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_changes_created_at"), ["created_at"], unique=False)
    with op.batch_alter_table("search_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_tokens_token"))
    op.drop_table("search_tokens")


def downgrade() -> None:
    op.create_table(
        "search_tokens",
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("weight", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_search_tokens_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("version_id", "token", name=op.f("pk_search_tokens")),
    )
    with op.batch_alter_table("search_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_tokens_token"), ["token"], unique=False)
    with op.batch_alter_table("search_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_changes_created_at"))
    op.drop_table("search_changes")
