"""Challenges for holder-bound presentations (presentation_challenges): each answered once.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "presentation_challenges",
        sa.Column("challenge", sa.String(length=64), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("challenge", name=op.f("pk_presentation_challenges")),
    )
    with op.batch_alter_table("presentation_challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_presentation_challenges_client"), ["client"], unique=False)
        batch_op.create_index(batch_op.f("ix_presentation_challenges_expires_at"), ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("presentation_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_presentation_challenges_expires_at"))
        batch_op.drop_index(batch_op.f("ix_presentation_challenges_client"))
    op.drop_table("presentation_challenges")
