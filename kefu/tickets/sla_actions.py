"""Editing SLA calendars and policies: validated by building the pure book, then the open tickets of the
changed policies are made due so that the sweeper re-times them."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from kefu.core.errors import InvalidInput
from kefu.tickets.lifecycle import ACTIVE
from kefu.tickets.models import BusinessCalendarRow, EscalationPolicyRow, SlaPolicyRow, Ticket
from kefu.tickets.policies import build_book, ensure_defaults, escalation_of, forget_setup, stored_config

ACTIVE_STATUSES = sorted(s.value for s in ACTIVE)


def _check(calendars: list[dict[str, Any]], policies: list[dict[str, Any]]) -> None:
    """Refuse a configuration the pure book refuses, naming the field (as a 422)."""
    try:
        build_book(calendars, policies)
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"{exc}".strip("'"), field="sla") from exc


def do_put_calendar(session: Session, *, values: dict[str, Any], now: datetime) -> BusinessCalendarRow:
    """Create or replace a calendar; tickets on policies using it are re-timed by the next sweep."""
    ensure_defaults(session)
    row = session.scalar(select(BusinessCalendarRow).where(BusinessCalendarRow.name == values["name"]))
    calendars, policies = stored_config(session)
    _check([c for c in calendars if c["name"] != values["name"]] + [values], policies)
    row = row or BusinessCalendarRow(name=values["name"])
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    forget_setup(session)
    _retime(session, [p["name"] for p in policies if p["calendar"] == values["name"]], now)
    return row


def do_put_policy(session: Session, *, values: dict[str, Any], now: datetime) -> SlaPolicyRow:
    """Create or replace a policy (a new default unsets the old one); its tickets are re-timed."""
    ensure_defaults(session)
    calendars, policies = stored_config(session)
    others = [p for p in policies if p["name"] != values["name"]]
    if values.get("is_default"):
        others = [{**p, "is_default": False} for p in others]
        session.execute(update(SlaPolicyRow).values(is_default=False))
    _check(calendars, [*others, values])
    row = session.scalar(select(SlaPolicyRow).where(SlaPolicyRow.name == values["name"]))
    row = row or SlaPolicyRow(name=values["name"])
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    forget_setup(session)
    _retime(session, [values["name"]], now)
    return row


def _retime(session: Session, policy_names: list[str], now: datetime) -> None:
    """Make the open tickets of these policies due now: the sweeper recomputes their deadlines with the
    new rules in its next pass (no request waits for 100,000 tickets to be re-timed). Tickets keep the
    policy they were given; a policy's new rule applies to tickets created from now on."""
    if policy_names:
        session.execute(
            update(Ticket)
            .where(Ticket.sla_policy.in_(policy_names), Ticket.status.in_(ACTIVE_STATUSES))
            .values(due_at=now)
        )


def do_put_escalation(session: Session, *, values: dict[str, Any], now: datetime) -> EscalationPolicyRow:
    """Replace the escalation chain and steps; every open ticket is re-timed by the next sweep."""
    try:
        escalation_of(values)
    except (ValueError, TypeError, KeyError) as exc:
        raise InvalidInput(f"{exc}".strip("'"), field="escalation") from exc
    row = session.scalar(select(EscalationPolicyRow).where(EscalationPolicyRow.name == "default"))
    row = row or EscalationPolicyRow(name="default")
    for key, value in values.items():
        setattr(row, key, value)
    session.add(row)
    forget_setup(session)
    session.execute(update(Ticket).where(Ticket.status.in_(ACTIVE_STATUSES)).values(due_at=now))
    return row
