"""Tickets, the history of every change made to them, and what the SLA sweep, handoffs and follow-ups keep."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base


class Ticket(Base):
    __tablename__ = "tickets"
    __table_args__ = (
        Index("ix_tickets_assignee_status", "assignee_id", "status"),
        Index("ix_tickets_team_status", "team_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    type: Mapped[str] = mapped_column(String(20), index=True)
    severity: Mapped[str | None] = mapped_column(String(10), nullable=True)
    category: Mapped[str | None] = mapped_column(String(80), nullable=True)
    priority: Mapped[str] = mapped_column(String(10), default="normal")
    status: Mapped[str] = mapped_column(String(20), index=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(300))
    description: Mapped[str] = mapped_column(Text, default="")
    custom_fields: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("departments.id"), nullable=True)
    conversation_id: Mapped[int | None] = mapped_column(ForeignKey("conversations.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(index=True)
    updated_at: Mapped[datetime]
    first_response_at: Mapped[datetime | None] = mapped_column(nullable=True)
    solved_at: Mapped[datetime | None] = mapped_column(nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # SLA state, persisted so that nothing lives in memory: the policy chosen for the ticket, the customer's
    # oldest unanswered message (a next-response cycle), the paused periods as [status, start µs, end µs or
    # null], the escalation level reached, the worst state of a running clock, and when the sweep must look
    # at the ticket next (None: nothing ahead).
    sla_policy: Mapped[str | None] = mapped_column(String(60), nullable=True)
    awaiting_reply_since: Mapped[datetime | None] = mapped_column(nullable=True)
    sla_pauses: Mapped[list[list[Any]]] = mapped_column(JSON, default=list)
    escalation_level: Mapped[str] = mapped_column(String(20), default="agent")
    sla_state: Mapped[str] = mapped_column(String(10), default="ok", index=True)
    due_at: Mapped[datetime | None] = mapped_column(nullable=True, index=True)
    suggestion_kind: Mapped[str | None] = mapped_column(String(20), nullable=True)
    reopen_count: Mapped[int] = mapped_column(Integer, default=0)


class TicketEvent(Base):
    """One change to a ticket (status, assignment, reply, note…), kept for its full history."""

    __tablename__ = "ticket_events"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    kind: Mapped[str] = mapped_column(String(30))
    data: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime]


class BusinessCalendarRow(Base):
    """A business-hours calendar: weekly hours in a zone, a holiday set and the centre's own changes."""

    __tablename__ = "business_calendars"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    timezone: Mapped[str] = mapped_column(String(60))
    # {"mon-fri": ["09:00-18:00"]}; empty means 24×7 (holidays ignored)
    hours: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    holidays: Mapped[str] = mapped_column(String(20), default="china")  # "china" or "none"
    extra_holidays: Mapped[list[str]] = mapped_column(JSON, default=list)
    extra_workdays: Mapped[list[str]] = mapped_column(JSON, default=list)
    makeup_weekday: Mapped[str] = mapped_column(String(3), default="mon")


class SlaPolicyRow(Base):
    """An SLA policy: targets in business seconds on a calendar, and the rule that chooses it."""

    __tablename__ = "sla_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    calendar: Mapped[str] = mapped_column(String(60))
    # [{"metric": "first_response", "seconds": 14400, "warn_before": 3600}]
    targets: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # {"channels": [...], "types": [...], "priorities": [...], "tiers": [...]}; None: chosen only as default
    conditions: Mapped[dict[str, list[str]] | None] = mapped_column(JSON, nullable=True)
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)


class EscalationPolicyRow(Base):
    """The centre's escalation chain and steps (one row, `default`; none stored: the built-in policy)."""

    __tablename__ = "escalation_policies"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    chain: Mapped[list[str]] = mapped_column(JSON, default=list)  # lowest first, starting with "agent"
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)  # {level, on, after_seconds}
    major_complaint_level: Mapped[str] = mapped_column(String(20), default="supervisor")


class SlaRecord(Base):
    """A warning, breach or escalation the sweep recorded; the unique key makes each happen once, even with
    two sweepers racing or a restart in between."""

    __tablename__ = "sla_records"
    __table_args__ = (
        UniqueConstraint("ticket_id", "kind", "subject", "cycle_us", name="uq_sla_records_key"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    subject: Mapped[str] = mapped_column(String(30))
    cycle_us: Mapped[int] = mapped_column(BigInteger)
    due_at: Mapped[datetime]
    recorded_at: Mapped[datetime]
    reason: Mapped[str] = mapped_column(String(120), default="")


class Handoff(Base):
    """A ticket (or a sub-task of it) handed to a department, with its own deadline and owner."""

    __tablename__ = "ticket_handoffs"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    department_id: Mapped[int] = mapped_column(ForeignKey("departments.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    task: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), index=True)  # open, replied, bounced
    due_at: Mapped[datetime] = mapped_column(index=True)
    overdue_at: Mapped[datetime | None] = mapped_column(nullable=True)  # when the sweep found it late
    answer: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime]
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)


class FollowUp(Base):
    """A callback (回访) after closure, assigned with a due date; one per ticket (or survey) and reason."""

    __tablename__ = "follow_ups"
    __table_args__ = (UniqueConstraint("source", "reason", name="uq_follow_ups_source_reason"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # "ticket:12" or "survey:7": what caused it, so that a reason creates one follow-up per source
    source: Mapped[str] = mapped_column(String(40))
    ticket_id: Mapped[int | None] = mapped_column(ForeignKey("tickets.id"), nullable=True, index=True)
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"), nullable=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"), index=True)
    reason: Mapped[str] = mapped_column(String(30))  # high_value, repeat_complainant, negative_csat
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True, index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    status: Mapped[str] = mapped_column(String(10), index=True)  # open, done
    due_at: Mapped[datetime]
    result: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]
    done_at: Mapped[datetime | None] = mapped_column(nullable=True)


class TicketAttachment(Base):
    """A file on a ticket; its bytes live in the attachments store (kefu.channels.attachments) under the
    unguessable public id, like a message's attachment."""

    __tablename__ = "ticket_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    uploaded_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime]


class TicketFieldSchema(Base):
    """The custom fields a ticket type takes: [{name, kind, required, choices, max_length, min, max}]."""

    __tablename__ = "ticket_field_schemas"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_type: Mapped[str] = mapped_column(String(20), unique=True)
    fields: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime]


class TicketConversation(Base):
    """A conversation linked to a ticket besides the one it was created from (`Ticket.conversation_id`);
    a conversation may be linked to several tickets."""

    __tablename__ = "ticket_conversations"
    __table_args__ = (UniqueConstraint("ticket_id", "conversation_id", name="uq_ticket_conversations_pair"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    linked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime]


class AutomationRuleRow(Base):
    """An automation rule (trigger): on ticket events, when the conditions hold, run the actions in order;
    rules are evaluated by `position`, then name (see kefu.tickets.automation)."""

    __tablename__ = "automation_rules"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(60), unique=True)
    events: Mapped[list[str]] = mapped_column(JSON, default=list)
    conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    any_conditions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    actions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    position: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class AutomationRun(Base):
    """A rule that fired on a ticket event, with what each of its actions did (done, skipped, failed)."""

    __tablename__ = "automation_runs"
    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_id: Mapped[int] = mapped_column(ForeignKey("tickets.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("automation_rules.id"), nullable=True, index=True)
    rule_name: Mapped[str] = mapped_column(String(60))
    event: Mapped[str] = mapped_column(String(30))
    depth: Mapped[int] = mapped_column(Integer, default=0)
    results: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_at: Mapped[datetime]
