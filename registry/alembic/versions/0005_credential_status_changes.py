"""Why a credential's status changed, and by whom: credential_status_changes (append-only).

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('credential_status_changes',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('credential_id', sa.String(length=100), nullable=False),
    sa.Column('action', sa.String(length=12), nullable=False),
    sa.Column('reason', sa.Text(), nullable=True),
    sa.Column('actor', sa.String(length=42), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['credential_id'], ['issued_credentials.id'], name=op.f('fk_credential_status_changes_credential_id_issued_credentials')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credential_status_changes')),
    )
    with op.batch_alter_table('credential_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credential_status_changes_credential_id'), ['credential_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('credential_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_credential_status_changes_credential_id'))
    op.drop_table('credential_status_changes')
