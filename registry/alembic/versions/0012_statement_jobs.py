"""Contribution statements are anchored by chain jobs: committed unsigned with their job, completed by it.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("contribution_statements", schema=None) as batch_op:
        batch_op.alter_column("root", existing_type=sa.String(length=66), nullable=True)
        batch_op.alter_column("tx_hash", existing_type=sa.String(length=66), nullable=True)
        batch_op.add_column(sa.Column("chain_job_id", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("contribution_statements", schema=None) as batch_op:
        batch_op.drop_column("chain_job_id")
        batch_op.alter_column("tx_hash", existing_type=sa.String(length=66), nullable=False)
        batch_op.alter_column("root", existing_type=sa.String(length=66), nullable=False)
