"""Organisation and identity of the people who work in the centre, and integration tokens."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base
from kefu.tickets.models import Ticket


class Department(Base):
    """Another part of the company that tickets can be handed to (billing, logistics, tech)."""

    __tablename__ = "departments"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))


class Team(Base):
    __tablename__ = "teams"
    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    lead_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", use_alter=True), nullable=True)


class User(Base):
    __tablename__ = "users"
    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(60), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    email: Mapped[str | None] = mapped_column(String(254), nullable=True)
    role: Mapped[str] = mapped_column(String(20), index=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True, index=True)
    password_hash: Mapped[str | None] = mapped_column(String(255), nullable=True)
    must_change_password: Mapped[bool] = mapped_column(Boolean, default=False)
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    language: Mapped[str | None] = mapped_column(String(10), nullable=True)
    # Bumped on password change or disabling: sessions signed with an older value are void.
    session_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]


class ApiToken(Base):
    """An integration's credential: only a hash is stored; the token is shown once at creation."""

    __tablename__ = "api_tokens"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    scopes: Mapped[list[str]] = mapped_column(JSON, default=list)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime]
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    revoked_at: Mapped[datetime | None] = mapped_column(nullable=True)
    expires_at: Mapped[datetime | None] = mapped_column(nullable=True)


class SignInFailure(Base):
    """One failed sign-in, counted against the account and the address; shared by all processes."""

    __tablename__ = "sign_in_failures"
    __table_args__ = (Index("ix_sign_in_failures_key_failed", "key", "failed_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    # "account:<username>" or "address:<ip>": one table serves both limits.
    key: Mapped[str] = mapped_column(String(300))
    failed_at: Mapped[datetime]


class PermissionChangeRequest(Base):
    """A proposed change to a user's role or team; applied only when someone else approves it."""

    __tablename__ = "permission_change_requests"
    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    requested_by_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    # {"role": "team_lead"} and/or {"team_id": 3}; team_id may be null (leave the team).
    changes: Mapped[dict[str, Any]] = mapped_column(JSON)
    reason: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(10), index=True)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None] = mapped_column(nullable=True)


class AuditEntry(Base):
    """One row of the append-only audit log; `hash` covers the row's content and the previous row's hash."""

    __tablename__ = "audit_entries"
    __table_args__ = (Index("ix_audit_entries_object", "object_type", "object_id"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(index=True)
    actor_id: Mapped[int | None] = mapped_column(nullable=True, index=True)  # no FK: the log outlives users
    action: Mapped[str] = mapped_column(String(60), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    object_id: Mapped[str | None] = mapped_column(String(80), nullable=True)
    address: Mapped[str | None] = mapped_column(String(64), nullable=True)
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


# Indexes the data scopes need on other domains' tables. A scoped list ("my 50 newest tickets") must be
# an index range already in the list's order; otherwise every page sorts the caller's whole scope.
# (Measured in bench/bench_scope.py; they could move into the tickets models' own __table_args__.)
Index("ix_tickets_assignee_id_id", Ticket.assignee_id, Ticket.id)
Index("ix_tickets_team_id_id", Ticket.team_id, Ticket.id)
