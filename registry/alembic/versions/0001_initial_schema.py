"""Initial schema: sign-in, institutions, catalogue, resources and versions, reviews, certificates, chain jobs, search.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "auth_challenges",
        sa.Column("nonce", sa.String(length=32), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("message", sa.String(length=2000), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("nonce", name=op.f("pk_auth_challenges")),
    )
    with op.batch_alter_table("auth_challenges", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_auth_challenges_address"), ["address"], unique=False)

    op.create_table(
        "catalogue_nodes",
        sa.Column("id", sa.String(length=120), nullable=False),
        sa.Column("parent_id", sa.String(length=120), nullable=True),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("stage", sa.String(length=50), nullable=True),
        sa.Column("subject", sa.String(length=50), nullable=True),
        sa.Column("grade", sa.String(length=50), nullable=True),
        sa.Column("edition", sa.String(length=50), nullable=True),
        sa.Column("volume", sa.String(length=50), nullable=True),
        sa.Column("path", sa.String(length=1000), nullable=False),
        sa.ForeignKeyConstraint(["parent_id"], ["catalogue_nodes.id"], name=op.f("fk_catalogue_nodes_parent_id_catalogue_nodes")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_catalogue_nodes")),
    )
    with op.batch_alter_table("catalogue_nodes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_catalogue_nodes_parent_id"), ["parent_id"], unique=False)

    op.create_table(
        "chain_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=80), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("depends_on", sa.Integer(), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["depends_on"], ["chain_jobs.id"], name=op.f("fk_chain_jobs_depends_on_chain_jobs")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_chain_jobs")),
        sa.UniqueConstraint("key", name=op.f("uq_chain_jobs_key")),
    )
    with op.batch_alter_table("chain_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_chain_jobs_status"), ["status"], unique=False)
        batch_op.create_index(batch_op.f("ix_chain_jobs_subject"), ["subject"], unique=False)

    op.create_table(
        "institutions",
        sa.Column("id", sa.String(length=66), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("parent_id", sa.String(length=66), nullable=True),
        sa.Column("admin_address", sa.String(length=42), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("chain_job_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["parent_id"], ["institutions.id"], name=op.f("fk_institutions_parent_id_institutions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_institutions")),
    )
    op.create_table(
        "resources",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("owner", sa.String(length=42), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resources")),
    )
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resources_owner"), ["owner"], unique=False)

    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("roles", sa.JSON(), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_sessions")),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_address"), ["address"], unique=False)

    op.create_table(
        "credential_batches",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=66), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("issued_by", sa.String(length=42), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.Column("documents", sa.JSON(), nullable=False),
        sa.Column("subjects", sa.JSON(), nullable=False),
        sa.Column("root", sa.String(length=66), nullable=True),
        sa.Column("tx_hash", sa.String(length=66), nullable=True),
        sa.Column("block_number", sa.BigInteger(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"], name=op.f("fk_credential_batches_institution_id_institutions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_credential_batches")),
        sa.UniqueConstraint("institution_id", "key", name=op.f("uq_credential_batches_institution_id_key")),
    )
    with op.batch_alter_table("credential_batches", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_credential_batches_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "issuer_accounts",
        sa.Column("institution_id", sa.String(length=66), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("signing_key", sa.String(length=100), nullable=False),
        sa.Column("sealed_keys", sa.LargeBinary(), nullable=False),
        sa.Column("master_key_id", sa.String(length=16), nullable=False),
        sa.Column("setup_job_id", sa.Integer(), nullable=True),
        sa.Column("credit_rules", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"], name=op.f("fk_issuer_accounts_institution_id_institutions")),
        sa.ForeignKeyConstraint(["setup_job_id"], ["chain_jobs.id"], name=op.f("fk_issuer_accounts_setup_job_id_chain_jobs")),
        sa.PrimaryKeyConstraint("institution_id", name=op.f("pk_issuer_accounts")),
        sa.UniqueConstraint("address", name=op.f("uq_issuer_accounts_address")),
    )
    op.create_table(
        "resource_versions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("resource_id", sa.Integer(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("predecessor_id", sa.Integer(), nullable=True),
        sa.Column("author", sa.String(length=42), nullable=False),
        sa.Column("institution_id", sa.String(length=66), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("keywords", sa.JSON(), nullable=False),
        sa.Column("resource_type", sa.String(length=40), nullable=False),
        sa.Column("catalogue_node_id", sa.String(length=120), nullable=False),
        sa.Column("licence", sa.String(length=64), nullable=False),
        sa.Column("authors", sa.JSON(), nullable=False),
        sa.Column("parts", sa.JSON(), nullable=False),
        sa.Column("root_cid", sa.String(length=100), nullable=False),
        sa.Column("content_hash", sa.String(length=66), nullable=False),
        sa.Column("metadata_hash", sa.String(length=66), nullable=False),
        sa.Column("signature", sa.String(length=132), nullable=False),
        sa.Column("nonce", sa.BigInteger(), nullable=False),
        sa.Column("deadline", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=24), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.Column("near_duplicates", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("chain_status", sa.String(length=10), nullable=False),
        sa.Column("chain_resource_id", sa.BigInteger(), nullable=True),
        sa.Column("registration_tx", sa.String(length=66), nullable=True),
        sa.Column("registration_block", sa.BigInteger(), nullable=True),
        sa.Column("chain_error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["catalogue_node_id"], ["catalogue_nodes.id"], name=op.f("fk_resource_versions_catalogue_node_id_catalogue_nodes")
        ),
        sa.ForeignKeyConstraint(
            ["predecessor_id"], ["resource_versions.id"], name=op.f("fk_resource_versions_predecessor_id_resource_versions")
        ),
        sa.ForeignKeyConstraint(["resource_id"], ["resources.id"], name=op.f("fk_resource_versions_resource_id_resources")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_versions")),
        sa.UniqueConstraint("author", "nonce", name=op.f("uq_resource_versions_author_nonce")),
        sa.UniqueConstraint("content_hash", name=op.f("uq_resource_versions_content_hash")),
        sa.UniqueConstraint("resource_id", "number", name=op.f("uq_resource_versions_resource_id_number")),
    )
    with op.batch_alter_table("resource_versions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_resource_versions_author"), ["author"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_versions_catalogue_node_id"), ["catalogue_node_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_versions_chain_resource_id"), ["chain_resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_versions_resource_id"), ["resource_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_resource_versions_state"), ["state"], unique=False)

    op.create_table(
        "status_lists",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("institution_id", sa.String(length=66), nullable=False),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.Column("allocated", sa.LargeBinary(), nullable=False),
        sa.Column("allocated_count", sa.Integer(), nullable=False),
        sa.Column("credential", sa.JSON(), nullable=True),
        sa.Column("list_hash", sa.String(length=66), nullable=True),
        sa.Column("anchored_tx", sa.String(length=66), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lock_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"], name=op.f("fk_status_lists_institution_id_institutions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_status_lists")),
    )
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_status_lists_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "users",
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("institution_id", sa.String(length=66), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"], name=op.f("fk_users_institution_id_institutions")),
        sa.PrimaryKeyConstraint("address", name=op.f("pk_users")),
    )
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_users_institution_id"), ["institution_id"], unique=False)

    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("chain_certificate_id", sa.BigInteger(), nullable=True),
        sa.Column("issue_job_id", sa.Integer(), nullable=True),
        sa.Column("issued_tx", sa.String(length=66), nullable=True),
        sa.Column("revocation_reason", sa.String(length=30), nullable=True),
        sa.Column("revoked_tx", sa.String(length=66), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("credential_batch", sa.String(length=100), nullable=True),
        sa.Column("credential_document", sa.JSON(), nullable=True),
        sa.Column("credential", sa.JSON(), nullable=True),
        sa.Column("status_list_id", sa.String(length=40), nullable=True),
        sa.Column("status_index", sa.Integer(), nullable=True),
        sa.Column("credential_revoked", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["issue_job_id"], ["chain_jobs.id"], name=op.f("fk_certificates_issue_job_id_chain_jobs")),
        sa.ForeignKeyConstraint(["status_list_id"], ["status_lists.id"], name=op.f("fk_certificates_status_list_id_status_lists")),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_certificates_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("chain_certificate_id", name=op.f("uq_certificates_chain_certificate_id")),
    )
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_certificates_version_id"), ["version_id"], unique=False)

    op.create_table(
        "content_parts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_content_parts_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_content_parts")),
    )
    with op.batch_alter_table("content_parts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_content_parts_sha256"), ["sha256"], unique=False)
        batch_op.create_index(batch_op.f("ix_content_parts_version_id"), ["version_id"], unique=False)

    op.create_table(
        "fingerprints",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("part_name", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("code", sa.BigInteger(), nullable=False),
        sa.Column("b0", sa.Integer(), nullable=False),
        sa.Column("b1", sa.Integer(), nullable=False),
        sa.Column("b2", sa.Integer(), nullable=False),
        sa.Column("b3", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_fingerprints_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fingerprints")),
    )
    with op.batch_alter_table("fingerprints", schema=None) as batch_op:
        batch_op.create_index("ix_fingerprints_kind_b0", ["kind", "b0"], unique=False)
        batch_op.create_index("ix_fingerprints_kind_b1", ["kind", "b1"], unique=False)
        batch_op.create_index("ix_fingerprints_kind_b2", ["kind", "b2"], unique=False)
        batch_op.create_index("ix_fingerprints_kind_b3", ["kind", "b3"], unique=False)
        batch_op.create_index(batch_op.f("ix_fingerprints_version_id"), ["version_id"], unique=False)

    op.create_table(
        "issued_credentials",
        sa.Column("id", sa.String(length=100), nullable=False),
        sa.Column("batch_id", sa.Integer(), nullable=False),
        sa.Column("institution_id", sa.String(length=66), nullable=False),
        sa.Column("subject_id", sa.String(length=40), nullable=False),
        sa.Column("status_list_id", sa.String(length=40), nullable=False),
        sa.Column("status_index", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("document", sa.JSON(), nullable=True),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["batch_id"], ["credential_batches.id"], name=op.f("fk_issued_credentials_batch_id_credential_batches")),
        sa.ForeignKeyConstraint(["institution_id"], ["institutions.id"], name=op.f("fk_issued_credentials_institution_id_institutions")),
        sa.ForeignKeyConstraint(["status_list_id"], ["status_lists.id"], name=op.f("fk_issued_credentials_status_list_id_status_lists")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_issued_credentials")),
    )
    with op.batch_alter_table("issued_credentials", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_issued_credentials_batch_id"), ["batch_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issued_credentials_institution_id"), ["institution_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_issued_credentials_subject_id"), ["subject_id"], unique=False)

    op.create_table(
        "review_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=42), nullable=False),
        sa.Column("assigned_by", sa.String(length=42), nullable=False),
        sa.Column("same_school", sa.Boolean(), nullable=False),
        sa.Column("assigned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("completed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_review_assignments_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_review_assignments")),
        sa.UniqueConstraint("version_id", "round", "reviewer", name=op.f("uq_review_assignments_version_id_round_reviewer")),
    )
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_review_assignments_reviewer"), ["reviewer"], unique=False)
        batch_op.create_index(batch_op.f("ix_review_assignments_version_id"), ["version_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("reviewer", sa.String(length=42), nullable=False),
        sa.Column("orientation_pass", sa.Boolean(), nullable=False),
        sa.Column("scores", sa.JSON(), nullable=False),
        sa.Column("comments", sa.JSON(), nullable=False),
        sa.Column("total", sa.Integer(), nullable=False),
        sa.Column("recommendation", sa.String(length=20), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_reviews_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_reviews")),
        sa.UniqueConstraint("version_id", "round", "reviewer", name=op.f("uq_reviews_version_id_round_reviewer")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_version_id"), ["version_id"], unique=False)

    op.create_table(
        "role_grants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sa.String(length=42), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("granted_by", sa.String(length=42), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["address"], ["users.address"], name=op.f("fk_role_grants_address_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_role_grants")),
        sa.UniqueConstraint("address", "role", name=op.f("uq_role_grants_address_role")),
    )
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_role_grants_address"), ["address"], unique=False)

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

    op.create_table(
        "workflow_events",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("version_id", sa.Integer(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=30), nullable=False),
        sa.Column("from_state", sa.String(length=24), nullable=True),
        sa.Column("to_state", sa.String(length=24), nullable=True),
        sa.Column("actor", sa.String(length=42), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reason_code", sa.String(length=30), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("prev_hash", sa.String(length=66), nullable=False),
        sa.Column("hash", sa.String(length=66), nullable=False),
        sa.Column("chain_job_id", sa.Integer(), nullable=True),
        sa.Column("chain_tx", sa.String(length=66), nullable=True),
        sa.Column("chain_block", sa.BigInteger(), nullable=True),
        sa.ForeignKeyConstraint(["chain_job_id"], ["chain_jobs.id"], name=op.f("fk_workflow_events_chain_job_id_chain_jobs")),
        sa.ForeignKeyConstraint(["version_id"], ["resource_versions.id"], name=op.f("fk_workflow_events_version_id_resource_versions")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_events")),
        sa.UniqueConstraint("hash", name=op.f("uq_workflow_events_hash")),
        sa.UniqueConstraint("version_id", "seq", name=op.f("uq_workflow_events_version_id_seq")),
    )
    with op.batch_alter_table("workflow_events", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_workflow_events_chain_job_id"), ["chain_job_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_workflow_events_version_id"), ["version_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("workflow_events", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_workflow_events_version_id"))
        batch_op.drop_index(batch_op.f("ix_workflow_events_chain_job_id"))

    op.drop_table("workflow_events")
    with op.batch_alter_table("search_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_tokens_token"))

    op.drop_table("search_tokens")
    with op.batch_alter_table("role_grants", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_role_grants_address"))

    op.drop_table("role_grants")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_version_id"))

    op.drop_table("reviews")
    with op.batch_alter_table("review_assignments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_review_assignments_version_id"))
        batch_op.drop_index(batch_op.f("ix_review_assignments_reviewer"))

    op.drop_table("review_assignments")
    with op.batch_alter_table("issued_credentials", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_issued_credentials_subject_id"))
        batch_op.drop_index(batch_op.f("ix_issued_credentials_institution_id"))
        batch_op.drop_index(batch_op.f("ix_issued_credentials_batch_id"))

    op.drop_table("issued_credentials")
    with op.batch_alter_table("fingerprints", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fingerprints_version_id"))
        batch_op.drop_index("ix_fingerprints_kind_b3")
        batch_op.drop_index("ix_fingerprints_kind_b2")
        batch_op.drop_index("ix_fingerprints_kind_b1")
        batch_op.drop_index("ix_fingerprints_kind_b0")

    op.drop_table("fingerprints")
    with op.batch_alter_table("content_parts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_content_parts_version_id"))
        batch_op.drop_index(batch_op.f("ix_content_parts_sha256"))

    op.drop_table("content_parts")
    with op.batch_alter_table("certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_certificates_version_id"))

    op.drop_table("certificates")
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_users_institution_id"))

    op.drop_table("users")
    with op.batch_alter_table("status_lists", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_status_lists_institution_id"))

    op.drop_table("status_lists")
    with op.batch_alter_table("resource_versions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resource_versions_state"))
        batch_op.drop_index(batch_op.f("ix_resource_versions_resource_id"))
        batch_op.drop_index(batch_op.f("ix_resource_versions_chain_resource_id"))
        batch_op.drop_index(batch_op.f("ix_resource_versions_catalogue_node_id"))
        batch_op.drop_index(batch_op.f("ix_resource_versions_author"))

    op.drop_table("resource_versions")
    op.drop_table("issuer_accounts")
    with op.batch_alter_table("credential_batches", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_credential_batches_institution_id"))

    op.drop_table("credential_batches")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_address"))

    op.drop_table("sessions")
    with op.batch_alter_table("resources", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_resources_owner"))

    op.drop_table("resources")
    op.drop_table("institutions")
    with op.batch_alter_table("chain_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_chain_jobs_subject"))
        batch_op.drop_index(batch_op.f("ix_chain_jobs_status"))

    op.drop_table("chain_jobs")
    with op.batch_alter_table("catalogue_nodes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_catalogue_nodes_parent_id"))

    op.drop_table("catalogue_nodes")
    with op.batch_alter_table("auth_challenges", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_challenges_address"))

    op.drop_table("auth_challenges")
