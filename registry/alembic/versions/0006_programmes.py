"""Selection programmes: programmes, nominees, panel scores, objections, recommendations, collections,
the programme events, and the programme a certificate (入选 / 推荐) belongs to.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-30
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("chain_id", sa.String(length=66), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("institution_id", sa.String(length=66), nullable=False),
        sa.Column("created_by", sa.String(length=42), nullable=False),
        sa.Column("resource_types", sa.JSON(), nullable=False),
        sa.Column("catalogue_scope", sa.JSON(), nullable=False),
        sa.Column("quota_total", sa.Integer(), nullable=False),
        sa.Column("quota_per_school", sa.Integer(), nullable=True),
        sa.Column("quota_per_teacher", sa.Integer(), nullable=True),
        sa.Column("quota_per_node", sa.Integer(), nullable=True),
        sa.Column("node_level", sa.String(length=20), nullable=False),
        sa.Column("nomination_closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("notice_days", sa.Integer(), nullable=False),
        sa.Column("panel", sa.JSON(), nullable=False),
        sa.Column("rubric", sa.JSON(), nullable=False),
        sa.Column("min_scores", sa.Integer(), nullable=False),
        sa.Column("blind_review", sa.Boolean(), nullable=False),
        sa.Column("recommend_count", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("notice_opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("notice_closes_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("selected_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"], name=op.f("fk_programmes_institution_id_institutions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programmes")),
        sa.UniqueConstraint("chain_id", name=op.f("uq_programmes_chain_id")),
    )
    op.create_table(
        "nominees",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("teacher", sa.String(length=42), nullable=False),
        sa.Column("school_id", sa.String(length=66), nullable=True),
        sa.Column("bucket", sa.String(length=120), nullable=False),
        sa.Column("route", sa.String(length=20), nullable=False),
        sa.Column("nominated_by", sa.String(length=42), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("mean_score", sa.Float(), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_nominees_programme_id_programmes")),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], name=op.f("fk_nominees_resource_id_resources")),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_nominees_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_nominees")),
        sa.UniqueConstraint("programme_id", "resource_id", name=op.f("uq_nominees_programme_id_resource_id")),
    )
    with op.batch_alter_table("nominees", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_nominees_programme_id"), ["programme_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nominees_school_id"), ["school_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_nominees_teacher"), ["teacher"], unique=False)
        batch_op.create_index(batch_op.f("ix_nominees_version_id"), ["version_id"], unique=False)

    op.create_table(
        "collections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("collected_by", sa.String(length=42), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["certificate_id"], ["certificates.id"], name=op.f("fk_collections_certificate_id_certificates")),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_collections_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_collections")),
        sa.UniqueConstraint("version_id", "level", name=op.f("uq_collections_version_id_level")),
    )
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_collections_version_id"), ["version_id"], unique=False)

    op.create_table(
        "objections",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("nominee_id", sa.Integer(), nullable=False),
        sa.Column("filed_by", sa.String(length=42), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=42), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["nominee_id"], ["nominees.id"], name=op.f("fk_objections_nominee_id_nominees")),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_objections_programme_id_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_objections")),
    )
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_objections_nominee_id"), ["nominee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_objections_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "panel_scores",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("nominee_id", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=42), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["nominee_id"], ["nominees.id"], name=op.f("fk_panel_scores_nominee_id_nominees")),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_panel_scores_programme_id_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_panel_scores")),
        sa.UniqueConstraint("nominee_id", "reviewer", name=op.f("uq_panel_scores_nominee_id_reviewer")),
    )
    with op.batch_alter_table("panel_scores", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_panel_scores_nominee_id"), ["nominee_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_panel_scores_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "programme_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("nominee_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=42), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=66), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("chain_job_id", sa.Integer(), nullable=True),
        sa.Column("chain_tx", sa.String(length=66), nullable=True),
        sa.Column("chain_block", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["chain_job_id"], ["chain_jobs.id"], name=op.f("fk_programme_events_chain_job_id_chain_jobs")),
        sa.ForeignKeyConstraint(["nominee_id"], ["nominees.id"], name=op.f("fk_programme_events_nominee_id_nominees")),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_programme_events_programme_id_programmes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_programme_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_programme_events_hash")),
        sa.UniqueConstraint("programme_id", "seq", name=op.f("uq_programme_events_programme_id_seq")),
    )
    with op.batch_alter_table("programme_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_programme_events_programme_id"), ["programme_id"], unique=False)

    op.create_table(
        "recommendations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("nominee_id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("to_level", sa.String(length=20), nullable=False),
        sa.Column("certificate_id", sa.Integer(), nullable=False),
        sa.Column("decision_hash", sa.String(length=66), nullable=False),
        sa.Column("taken_in_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["certificate_id"], ["certificates.id"], name=op.f("fk_recommendations_certificate_id_certificates")),
        sa.ForeignKeyConstraint(["nominee_id"], ["nominees.id"], name=op.f("fk_recommendations_nominee_id_nominees")),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"], name=op.f("fk_recommendations_programme_id_programmes")),
        sa.ForeignKeyConstraint(["taken_in_by"], ["nominees.id"], name=op.f("fk_recommendations_taken_in_by_nominees")),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_recommendations_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recommendations")),
        sa.UniqueConstraint("nominee_id", name=op.f("uq_recommendations_nominee_id")),
        sa.UniqueConstraint("taken_in_by", name=op.f("uq_recommendations_taken_in_by")),
    )
    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recommendations_programme_id"), ["programme_id"], unique=False)

    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.add_column(sa.Column("programme_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_certificates_programme_id"), ["programme_id"], unique=False)
        batch_op.create_foreign_key(batch_op.f("fk_certificates_programme_id_programmes"), "programmes", ["programme_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_certificates_programme_id_programmes"), type_="foreignkey")
        batch_op.drop_index(batch_op.f("ix_certificates_programme_id"))
        batch_op.drop_column("programme_id")

    with op.batch_alter_table("recommendations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recommendations_programme_id"))

    op.drop_table("recommendations")
    with op.batch_alter_table("programme_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_programme_events_programme_id"))

    op.drop_table("programme_events")
    with op.batch_alter_table("panel_scores", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_panel_scores_programme_id"))
        batch_op.drop_index(batch_op.f("ix_panel_scores_nominee_id"))

    op.drop_table("panel_scores")
    with op.batch_alter_table("objections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_objections_programme_id"))
        batch_op.drop_index(batch_op.f("ix_objections_nominee_id"))

    op.drop_table("objections")
    with op.batch_alter_table("collections", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_collections_version_id"))

    op.drop_table("collections")
    with op.batch_alter_table("nominees", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_nominees_version_id"))
        batch_op.drop_index(batch_op.f("ix_nominees_teacher"))
        batch_op.drop_index(batch_op.f("ix_nominees_school_id"))
        batch_op.drop_index(batch_op.f("ix_nominees_programme_id"))

    op.drop_table("nominees")
    op.drop_table("programmes")
