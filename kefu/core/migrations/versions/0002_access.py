"""access: sign-in throttling, permission change requests, audit log, token expiry, scope indexes

Revision ID: 0002_access
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = "0002_access"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.add_column(sa.Column("expires_at", kefu.core.db.UtcDateTime(timezone=True), nullable=True))
    op.create_table(
        "sign_in_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failed_at", kefu.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sign_in_failures")),
    )
    op.create_index("ix_sign_in_failures_key_failed", "sign_in_failures", ["key", "failed_at"])
    op.create_table(
        "permission_change_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=False),
        sa.Column("changes", sa.JSON(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decision_reason", sa.Text(), nullable=True),
        sa.Column("created_at", kefu.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("decided_at", kefu.core.db.UtcDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_permission_change_requests_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["requested_by_id"],
            ["users.id"],
            name=op.f("fk_permission_change_requests_requested_by_id_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["users.id"], name=op.f("fk_permission_change_requests_decided_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_permission_change_requests")),
    )
    op.create_index(
        op.f("ix_permission_change_requests_user_id"), "permission_change_requests", ["user_id"]
    )
    op.create_index(op.f("ix_permission_change_requests_status"), "permission_change_requests", ["status"])
    op.create_table(
        "audit_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", kefu.core.db.UtcDateTime(timezone=True), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("action", sa.String(length=60), nullable=False),
        sa.Column("object_type", sa.String(length=40), nullable=True),
        sa.Column("object_id", sa.String(length=80), nullable=True),
        sa.Column("address", sa.String(length=64), nullable=True),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_audit_entries")),
        sa.UniqueConstraint("hash", name=op.f("uq_audit_entries_hash")),
    )
    op.create_index(op.f("ix_audit_entries_at"), "audit_entries", ["at"])
    op.create_index(op.f("ix_audit_entries_actor_id"), "audit_entries", ["actor_id"])
    op.create_index(op.f("ix_audit_entries_action"), "audit_entries", ["action"])
    op.create_index("ix_audit_entries_object", "audit_entries", ["object_type", "object_id"])
    # The data scopes list an agent's or a team's tickets newest first straight from these indexes.
    op.create_index("ix_tickets_assignee_id_id", "tickets", ["assignee_id", "id"])
    op.create_index("ix_tickets_team_id_id", "tickets", ["team_id", "id"])


def downgrade() -> None:
    op.drop_index("ix_tickets_team_id_id", table_name="tickets")
    op.drop_index("ix_tickets_assignee_id_id", table_name="tickets")
    op.drop_table("audit_entries")
    op.drop_table("permission_change_requests")
    op.drop_table("sign_in_failures")
    with op.batch_alter_table("api_tokens") as batch_op:
        batch_op.drop_column("expires_at")
