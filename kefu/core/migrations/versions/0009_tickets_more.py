"""tickets, more: attachments, custom field schemas per type, linked conversations, automation rules and
the record of the rules that fired

Revision ID: 0009_tickets_more
Revises: 0006_merge
"""

import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = "0009_tickets_more"
down_revision = "0006_merge"
branch_labels = None
depends_on = None

UTC = kefu.core.db.UtcDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    op.create_table(
        "ticket_attachments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("public_id", sa.String(length=32), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content_type", sa.String(length=100), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        _fk("ticket_attachments", "ticket_id", "tickets"),
        _fk("ticket_attachments", "uploaded_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_attachments")),
        sa.UniqueConstraint("public_id", name=op.f("uq_ticket_attachments_public_id")),
    )
    op.create_index(op.f("ix_ticket_attachments_ticket_id"), "ticket_attachments", ["ticket_id"])
    op.create_table(
        "ticket_field_schemas",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_type", sa.String(length=20), nullable=False),
        sa.Column("fields", sa.JSON(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_field_schemas")),
        sa.UniqueConstraint("ticket_type", name=op.f("uq_ticket_field_schemas_ticket_type")),
    )
    op.create_table(
        "ticket_conversations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("conversation_id", sa.Integer(), nullable=False),
        sa.Column("linked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        _fk("ticket_conversations", "ticket_id", "tickets"),
        _fk("ticket_conversations", "conversation_id", "conversations"),
        _fk("ticket_conversations", "linked_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_conversations")),
        sa.UniqueConstraint("ticket_id", "conversation_id", name="uq_ticket_conversations_pair"),
    )
    for column in ("ticket_id", "conversation_id"):
        op.create_index(op.f(f"ix_ticket_conversations_{column}"), "ticket_conversations", [column])
    op.create_table(
        "automation_rules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("events", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=False),
        sa.Column("any_conditions", sa.JSON(), nullable=False),
        sa.Column("actions", sa.JSON(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_rules")),
        sa.UniqueConstraint("name", name=op.f("uq_automation_rules_name")),
    )
    op.create_table(
        "automation_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("rule_id", sa.Integer(), nullable=True),
        sa.Column("rule_name", sa.String(length=60), nullable=False),
        sa.Column("event", sa.String(length=30), nullable=False),
        sa.Column("depth", sa.Integer(), nullable=False),
        sa.Column("results", sa.JSON(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        _fk("automation_runs", "ticket_id", "tickets"),
        _fk("automation_runs", "rule_id", "automation_rules"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_automation_runs")),
    )
    for column in ("ticket_id", "rule_id"):
        op.create_index(op.f(f"ix_automation_runs_{column}"), "automation_runs", [column])


def downgrade() -> None:
    op.drop_table("automation_runs")
    op.drop_table("automation_rules")
    op.drop_table("ticket_conversations")
    op.drop_table("ticket_field_schemas")
    op.drop_table("ticket_attachments")
