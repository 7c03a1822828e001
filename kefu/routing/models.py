"""Skills, agent routing profiles and queues."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String
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
    # [{"after_seconds": n, "min_level": n, "team": code | None}]
    overflow_steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True)
