"""Skills, agent routing profiles and queues."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base


class Skill(Base):
    """What an agent can handle: a product line, a language or a channel."""

    __tablename__ = "skills"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20), default="product")


class AgentSkill(Base):
    __tablename__ = "agent_skills"
    __table_args__ = (CheckConstraint("level BETWEEN 1 AND 5", name="level_1_to_5"),)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    skill_id: Mapped[int] = mapped_column(ForeignKey("skills.id", ondelete="CASCADE"), primary_key=True)
    level: Mapped[int] = mapped_column(Integer)


class AgentProfile(Base):
    """How much an agent can take at once, per channel and in all, and in which languages."""

    __tablename__ = "agent_profiles"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    languages: Mapped[list[str]] = mapped_column(JSON, default=list)
    channel_capacity: Mapped[dict[str, int]] = mapped_column(JSON, default=dict)
    max_concurrent: Mapped[int] = mapped_column(Integer, default=5)
    is_reserve: Mapped[bool] = mapped_column(Boolean, default=False)
    quality_score: Mapped[float | None] = mapped_column(Float, nullable=True)


class Queue(Base):
    """Contacts waiting for one kind of skill, with the strategy that picks their agent."""

    __tablename__ = "queues"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(60), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    channel: Mapped[str] = mapped_column(String(20))
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    strategy: Mapped[str] = mapped_column(String(20), default="skill_first")
    # [{"skill": code, "min_level": n}]
    required_skills: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    # [{"after_seconds": n, "min_level": n | None, "teams": [team id, …]}], widening step by step
    overflow_steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
    # {"dedicated_agent_wait": s | None, "last_agent_wait": s | None}
    sticky: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    requires_acceptance: Mapped[bool] = mapped_column(Boolean, default=False)


class AgentPresence(Base):
    """An agent's current presence; one row per agent, changed by the agent or automatically."""

    __tablename__ = "agent_presence"
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), primary_key=True)
    state: Mapped[str] = mapped_column(String(20), default="offline")
    break_reason: Mapped[str | None] = mapped_column(String(80), nullable=True)
    since: Mapped[datetime]
    idle_since: Mapped[datetime]
    acw_until: Mapped[datetime | None] = mapped_column(nullable=True)


class QueueEntry(Base):
    """One contact's stay in a queue, from entering to being assigned, abandoning or being withdrawn.

    `contact_kind` + `contact_id` name the work (a conversation or a ticket), so routing never reads
    another domain's tables to know what is waiting.
    """

    __tablename__ = "queue_entries"
    __table_args__ = (
        Index("ix_queue_entries_status_queue", "status", "queue_id"),
        Index("ix_queue_entries_agent_status", "agent_id", "status"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    contact_kind: Mapped[str] = mapped_column(String(20))
    contact_id: Mapped[int]
    queue_id: Mapped[int] = mapped_column(ForeignKey("queues.id"))
    channel: Mapped[str] = mapped_column(String(20))
    customer_id: Mapped[int | None] = mapped_column(ForeignKey("customers.id"), nullable=True)
    tier: Mapped[str] = mapped_column(String(20), default="active")
    ticket_type: Mapped[str | None] = mapped_column(String(20), nullable=True)
    severity: Mapped[str] = mapped_column(String(10), default="normal")
    urgency: Mapped[int] = mapped_column(Integer, default=0)
    last_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    dedicated_agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    # waiting → offered → assigned → released, or waiting → abandoned / withdrawn (transfer to a queue)
    status: Mapped[str] = mapped_column(String(20), default="waiting")
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    enqueued_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)


class RoutingDecision(Base):
    """Why a contact went where it went: strategy, the chosen agent's score and the runners-up."""

    __tablename__ = "routing_decisions"
    id: Mapped[int] = mapped_column(primary_key=True)
    entry_id: Mapped[int] = mapped_column(ForeignKey("queue_entries.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))  # assignment / transfer
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    strategy: Mapped[str] = mapped_column(String(20))
    reason: Mapped[str] = mapped_column(String(60))
    score: Mapped[float | None] = mapped_column(Float, nullable=True)
    runners_up: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decided_at: Mapped[datetime]
