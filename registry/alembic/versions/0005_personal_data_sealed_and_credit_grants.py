"""Personal data sealed, batch digests, credit grants with status and sources.

Issued credentials keep their documents sealed under the subject's vault key (``sealed_document``;
the service seals what older versions kept in clear when it starts, as only it holds the keys),
in batch order (``position``); batches keep keyed digests of their records (a resent key with
other records is refused); credit grants are batches of one without a vault subject, and
``credit_grant_sources`` records what each converted.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "credit_grant_sources",
        sa.Column("grant_id", sa.String(length=100), nullable=False),
        sa.Column("source_id", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(["grant_id"], ["issued_credentials.id"], name=op.f("fk_credit_grant_sources_grant_id_issued_credentials")),
        sa.PrimaryKeyConstraint("grant_id", "source_id", name=op.f("pk_credit_grant_sources")),
    )
    with op.batch_alter_table("credit_grant_sources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credit_grant_sources_source_id"), ["source_id"], unique=False)

    with op.batch_alter_table("credential_batches", schema=None) as batch_op:
        batch_op.add_column(sa.Column("content_digest", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("record_digests", sa.JSON(), nullable=True))

    with op.batch_alter_table("issued_credentials", schema=None) as batch_op:
        batch_op.add_column(sa.Column("position", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("status_reason", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("sealed_document", sa.LargeBinary(), nullable=True))
        batch_op.alter_column("subject_id", existing_type=sa.VARCHAR(length=40), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("issued_credentials", schema=None) as batch_op:
        batch_op.alter_column("subject_id", existing_type=sa.VARCHAR(length=40), nullable=False)
        batch_op.drop_column("sealed_document")
        batch_op.drop_column("status_reason")
        batch_op.drop_column("position")

    with op.batch_alter_table("credential_batches", schema=None) as batch_op:
        batch_op.drop_column("record_digests")
        batch_op.drop_column("content_digest")

    with op.batch_alter_table("credit_grant_sources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credit_grant_sources_source_id"))

    op.drop_table("credit_grant_sources")
