"""The CIDs each version holds (root and parts), so /ipfs can tell whose content a CID is: content
of versions not accepted is readable by their authors, assigned reviewers and administrators only.

Filled for the versions already recorded.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    from ledger_service.content import CID

    table = op.create_table(
        "content_cids",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=66), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_content_cids_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_cids")),
        sa.UniqueConstraint("digest", "version_id", name=op.f("uq_content_cids_digest_version_id")),
    )
    with op.batch_alter_table("content_cids", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_content_cids_digest"), ["digest"], unique=False)
        batch_op.create_index(batch_op.f("ix_content_cids_version_id"), ["version_id"], unique=False)
    versions = sa.table(
        "resource_versions", sa.column("id", sa.Integer()), sa.column("root_cid", sa.String()), sa.column("parts", sa.JSON())
    )
    rows = []
    for version_id, root_cid, parts in op.get_bind().execute(sa.select(versions.c.id, versions.c.root_cid, versions.c.parts)):
        digests = {"0x" + CID.parse(text).digest.hex() for text in [root_cid, *(part["cid"] for part in parts or [])]}
        rows += [{"digest": digest, "version_id": version_id} for digest in sorted(digests)]
    if rows:
        op.bulk_insert(table, rows)


def downgrade() -> None:
    with op.batch_alter_table("content_cids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_cids_version_id"))
        batch_op.drop_index(batch_op.f("ix_content_cids_digest"))
    op.drop_table("content_cids")
