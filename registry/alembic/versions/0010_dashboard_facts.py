"""The 数据驾驶舱's facts on each resource version: its catalogue node's 学段 and 学科, its month of
submission, its first decision (what, when, in which month, after how many seconds), with indexes,
so the dashboard's aggregates are GROUP BYs over one table's indexes; backfilled from the catalogue
and the versions' histories.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

_DECISIONS = "('accept', 'decline', 'request_revisions')"  # registry.crud.dashboard.DECISIONS when written
_TURNAROUND_INDEXES = {
    "ix_resource_versions_turnaround": [],
    "ix_resource_versions_stage_turnaround": ["stage"],
    "ix_resource_versions_subject_turnaround": ["subject"],
    "ix_resource_versions_school_turnaround": ["institution_id"],
    "ix_resource_versions_month_turnaround": ["decided_month"],
}


def upgrade() -> None:
    with op.batch_alter_table("resource_versions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("stage", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("subject", sa.String(length=50), nullable=True))
        batch_op.add_column(sa.Column("submitted_month", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("first_decision", sa.String(length=24), nullable=True))
        batch_op.add_column(sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("decided_month", sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column("turnaround_s", sa.Float(), nullable=True))
        batch_op.create_index(
            "ix_resource_versions_dashboard",
            ["stage", "subject", "institution_id", "submitted_month", "decided_month", "first_decision", "created_at", "decided_at"],
            unique=False,
        )
        for name, columns in _TURNAROUND_INDEXES.items():
            batch_op.create_index(name, [*columns, "turnaround_s", "decided_at"], unique=False)
        batch_op.create_index("ix_resource_versions_chain_status", ["chain_status"], unique=False)

    # Backfill: each version's first decision from its history, then the months (China Standard Time) and the turnaround.
    first = (
        "(SELECT e.{column} FROM workflow_events e WHERE e.version_id = resource_versions.id "
        f"AND e.action IN {_DECISIONS} ORDER BY e.seq LIMIT 1)"
    )
    node = "(SELECT n.{column} FROM catalogue_nodes n WHERE n.id = resource_versions.catalogue_node_id)"
    op.execute(f"UPDATE resource_versions SET stage = {node.format(column='stage')}, subject = {node.format(column='subject')}")
    op.execute(
        f"UPDATE resource_versions SET first_decision = {first.format(column='action')}, decided_at = {first.format(column='created_at')}"
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "UPDATE resource_versions SET "
            "submitted_month = to_char(timezone('Asia/Shanghai', created_at), 'YYYY-MM'), "
            "decided_month = to_char(timezone('Asia/Shanghai', decided_at), 'YYYY-MM'), "
            "turnaround_s = CAST(extract(epoch FROM decided_at - created_at) AS DOUBLE PRECISION)"
        )
    else:
        op.execute(
            "UPDATE resource_versions SET "
            "submitted_month = strftime('%Y-%m', created_at, '+8 hours'), "
            "decided_month = strftime('%Y-%m', decided_at, '+8 hours'), "
            "turnaround_s = (julianday(decided_at) - julianday(created_at)) * 86400.0"
        )


def downgrade() -> None:
    # Plain DROP COLUMN (SQLite 3.35+, PostgreSQL), not a batch rebuild: rebuilding resource_versions drops a
    # table that other tables' rows refer to, which SQLite refuses while foreign keys are on.
    op.drop_index("ix_resource_versions_chain_status", table_name="resource_versions")
    for name in reversed(_TURNAROUND_INDEXES):
        op.drop_index(name, table_name="resource_versions")
    op.drop_index("ix_resource_versions_dashboard", table_name="resource_versions")
    for column in ("turnaround_s", "decided_month", "decided_at", "first_decision", "submitted_month", "subject", "stage"):
        op.execute(f"ALTER TABLE resource_versions DROP COLUMN {column}")
