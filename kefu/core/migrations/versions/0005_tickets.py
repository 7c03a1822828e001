"""tickets: SLA state on tickets, business calendars, SLA policies and records, handoffs, follow-ups

Revision ID: 0005_tickets
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import kefu.core.db

revision = "0005_tickets"
down_revision = "0001"
branch_labels = None
depends_on = None

UTC = kefu.core.db.UtcDateTime(timezone=True)


def _fk(table: str, column: str, target: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint([column], [f"{target}.id"], name=op.f(f"fk_{table}_{column}_{target}"))


def upgrade() -> None:
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("sla_policy", sa.String(length=60), nullable=True))
        batch.add_column(sa.Column("awaiting_reply_since", UTC, nullable=True))
        batch.add_column(sa.Column("sla_pauses", sa.JSON(), nullable=False, server_default="[]"))
        batch.add_column(
            sa.Column("escalation_level", sa.String(length=20), nullable=False, server_default="agent")
        )
        batch.add_column(sa.Column("sla_state", sa.String(length=10), nullable=False, server_default="ok"))
        batch.add_column(sa.Column("due_at", UTC, nullable=True))
        batch.add_column(sa.Column("suggestion_kind", sa.String(length=20), nullable=True))
        batch.add_column(sa.Column("reopen_count", sa.Integer(), nullable=False, server_default="0"))
        batch.create_index(batch.f("ix_tickets_due_at"), ["due_at"], unique=False)
        batch.create_index(batch.f("ix_tickets_sla_state"), ["sla_state"], unique=False)
    op.create_table(
        "business_calendars",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("timezone", sa.String(length=60), nullable=False),
        sa.Column("hours", sa.JSON(), nullable=False),
        sa.Column("holidays", sa.String(length=20), nullable=False),
        sa.Column("extra_holidays", sa.JSON(), nullable=False),
        sa.Column("extra_workdays", sa.JSON(), nullable=False),
        sa.Column("makeup_weekday", sa.String(length=3), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_business_calendars")),
        sa.UniqueConstraint("name", name=op.f("uq_business_calendars_name")),
    )
    op.create_table(
        "sla_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("calendar", sa.String(length=60), nullable=False),
        sa.Column("targets", sa.JSON(), nullable=False),
        sa.Column("conditions", sa.JSON(), nullable=True),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_sla_policies_name")),
    )
    op.create_table(
        "escalation_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=60), nullable=False),
        sa.Column("chain", sa.JSON(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("major_complaint_level", sa.String(length=20), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_escalation_policies_name")),
    )
    op.create_table(
        "sla_records",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("subject", sa.String(length=30), nullable=False),
        sa.Column("cycle_us", sa.BigInteger(), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("recorded_at", UTC, nullable=False),
        sa.Column("reason", sa.String(length=120), nullable=False),
        _fk("sla_records", "ticket_id", "tickets"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_sla_records")),
        sa.UniqueConstraint("ticket_id", "kind", "subject", "cycle_us", name="uq_sla_records_key"),
    )
    op.create_index(op.f("ix_sla_records_ticket_id"), "sla_records", ["ticket_id"])
    op.create_table(
        "ticket_handoffs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=False),
        sa.Column("department_id", sa.Integer(), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("task", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("overdue_at", UTC, nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("answered_at", UTC, nullable=True),
        _fk("ticket_handoffs", "ticket_id", "tickets"),
        _fk("ticket_handoffs", "department_id", "departments"),
        _fk("ticket_handoffs", "owner_id", "users"),
        _fk("ticket_handoffs", "created_by_id", "users"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ticket_handoffs")),
    )
    for column in ("ticket_id", "department_id", "status", "due_at"):
        op.create_index(op.f(f"ix_ticket_handoffs_{column}"), "ticket_handoffs", [column])
    op.create_table(
        "follow_ups",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("source", sa.String(length=40), nullable=False),
        sa.Column("ticket_id", sa.Integer(), nullable=True),
        sa.Column("survey_id", sa.Integer(), nullable=True),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("reason", sa.String(length=30), nullable=False),
        sa.Column("assignee_id", sa.Integer(), nullable=True),
        sa.Column("team_id", sa.Integer(), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("due_at", UTC, nullable=False),
        sa.Column("result", sa.Text(), nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("done_at", UTC, nullable=True),
        _fk("follow_ups", "ticket_id", "tickets"),
        _fk("follow_ups", "survey_id", "surveys"),
        _fk("follow_ups", "customer_id", "customers"),
        _fk("follow_ups", "assignee_id", "users"),
        _fk("follow_ups", "team_id", "teams"),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_follow_ups")),
        sa.UniqueConstraint("source", "reason", name="uq_follow_ups_source_reason"),
    )
    for column in ("ticket_id", "customer_id", "assignee_id", "status"):
        op.create_index(op.f(f"ix_follow_ups_{column}"), "follow_ups", [column])


def downgrade() -> None:
    op.drop_table("follow_ups")
    op.drop_table("ticket_handoffs")
    op.drop_table("sla_records")
    op.drop_table("escalation_policies")
    op.drop_table("sla_policies")
    op.drop_table("business_calendars")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_index(batch.f("ix_tickets_sla_state"))
        batch.drop_index(batch.f("ix_tickets_due_at"))
        for column in (
            "reopen_count",
            "suggestion_kind",
            "due_at",
            "sla_state",
            "escalation_level",
            "sla_pauses",
            "awaiting_reply_since",
            "sla_policy",
        ):
            batch.drop_column(column)
