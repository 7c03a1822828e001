"""routing: agent presence, queue entries, routing decisions; queue sticky and acceptance settings

Revision ID: 0004_routing
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = "0004_routing"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = kefu.core.db.UtcDateTime(timezone=True)


def upgrade() -> None:
    with op.batch_alter_table("queues") as batch:
        batch.add_column(sa.Column("sticky", sa.JSON(), nullable=False, server_default="{}"))
        batch.add_column(sa.Column("requires_acceptance", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "agent_presence",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(length=20), nullable=False),
        sa.Column("break_reason", sa.String(length=80), nullable=True),
        sa.Column("since", UTC, nullable=False),
        sa.Column("idle_since", UTC, nullable=False),
        sa.Column("acw_until", UTC, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_agent_presence_user_id_users"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_agent_presence")),
    )
    op.create_table(
        "queue_entries",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("contact_kind", sa.String(length=20), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("queue_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("tier", sa.String(length=20), nullable=False),
        sa.Column("ticket_type", sa.String(length=20), nullable=True),
        sa.Column("severity", sa.String(length=10), nullable=False),
        sa.Column("urgency", sa.Integer(), nullable=False),
        sa.Column("last_agent_id", sa.Integer(), nullable=True),
        sa.Column("dedicated_agent_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("enqueued_at", UTC, nullable=False),
        sa.Column("decided_at", UTC, nullable=True),
        sa.Column("ended_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(["queue_id"], ["queues.id"], name=op.f("fk_queue_entries_queue_id_queues")),
        sa.ForeignKeyConstraint(["customer_id"], ["customers.id"],
                                name=op.f("fk_queue_entries_customer_id_customers")),
        sa.ForeignKeyConstraint(["last_agent_id"], ["users.id"], name=op.f("fk_queue_entries_last_agent_id_users")),
        sa.ForeignKeyConstraint(["dedicated_agent_id"], ["users.id"],
                                name=op.f("fk_queue_entries_dedicated_agent_id_users")),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_queue_entries_agent_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_queue_entries")),
    )
    op.create_index("ix_queue_entries_status_queue", "queue_entries", ["status", "queue_id"])
    op.create_index("ix_queue_entries_agent_status", "queue_entries", ["agent_id", "status"])
    op.create_table(
        "routing_decisions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("entry_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("agent_id", sa.Integer(), nullable=True),
        sa.Column("strategy", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.String(length=60), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("runners_up", sa.JSON(), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("decided_by_id", sa.Integer(), nullable=True),
        sa.Column("decided_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(["entry_id"], ["queue_entries.id"],
                                name=op.f("fk_routing_decisions_entry_id_queue_entries")),
        sa.ForeignKeyConstraint(["agent_id"], ["users.id"], name=op.f("fk_routing_decisions_agent_id_users")),
        sa.ForeignKeyConstraint(["decided_by_id"], ["users.id"],
                                name=op.f("fk_routing_decisions_decided_by_id_users")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_routing_decisions")),
    )
    op.create_index(op.f("ix_routing_decisions_entry_id"), "routing_decisions", ["entry_id"])


def downgrade() -> None:
    op.drop_table("routing_decisions")
    op.drop_table("queue_entries")
    op.drop_table("agent_presence")
    with op.batch_alter_table("queues") as batch:
        batch.drop_column("requires_acceptance")
        batch.drop_column("sticky")
