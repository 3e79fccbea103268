"""Chain jobs name the key that sends them: an institution's own issuer key, or none (the relayer).

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("chain_jobs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sender", sa.String(length=42), nullable=True))


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), not a batch rebuild: SQLite refuses to drop a table other
    # rows refer to while foreign keys are on.
    op.execute("ALTER TABLE chain_jobs DROP COLUMN sender")
