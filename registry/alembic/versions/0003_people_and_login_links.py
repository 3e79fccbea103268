"""People: profiles of accounts (display name, title, consent to a public name); one-time login links.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("title", sa.String(length=100), nullable=True))
        batch_op.add_column(sa.Column("name_public", sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column("profile_updated_at", sa.DateTime(timezone=True), nullable=True))
    op.create_table(
        "login_links",
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("code_hash", name=op.f("pk_login_links")),
    )
    with op.batch_alter_table("login_links", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_login_links_address"), ["address"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("login_links", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_login_links_address"))
    op.drop_table("login_links")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("profile_updated_at")
        batch_op.drop_column("name_public")
        batch_op.drop_column("title")
        batch_op.drop_column("display_name")
