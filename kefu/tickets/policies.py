"""SLA policies and business calendars as stored in the database, turned into the pure `PolicyBook`.

The rows are small and read on every ticket change, but building calendars (their timelines are cached
inside them) and the book is not free, so the built book is kept per distinct content of the rows: an
edit gives a new key, and every process sees it at its next read without any invalidation message.
When no policy is stored yet, the defaults below apply (and `ensure_defaults` writes them, so that they
can be edited).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.core.holidays import CHINA, NO_HOLIDAYS
from kefu.tickets.calendar import TWENTY_FOUR_SEVEN, BusinessCalendar
from kefu.tickets.escalation import EscalationError, EscalationPolicy, EscalationStep
from kefu.tickets.models import BusinessCalendarRow, EscalationPolicyRow, SlaPolicyRow
from kefu.tickets.sla import PolicyBook, PolicyRule, SlaError, SlaPolicy, SlaTarget

HOUR = 3600
HOLIDAY_SETS = {"china": CHINA, "none": NO_HOLIDAYS}

DEFAULT_CALENDARS: list[dict[str, Any]] = [
    {"name": "china_office", "timezone": "Asia/Shanghai", "hours": {"mon-fri": ["09:00-18:00"]}},
    {"name": "24x7", "timezone": "UTC", "hours": {}, "holidays": "none"},
]
DEFAULT_POLICIES: list[dict[str, Any]] = [
    {
        "name": "complaint",
        "calendar": "24x7",
        "targets": [{"metric": "first_response", "seconds": 24 * HOUR, "warn_before": 4 * HOUR}],
        "conditions": {"types": ["complaint"]},
    },
    {
        "name": "repair",
        "calendar": "24x7",
        "targets": [
            {"metric": "first_response", "seconds": 4 * HOUR, "warn_before": HOUR},
            {"metric": "resolution", "seconds": 48 * HOUR, "warn_before": 8 * HOUR},
        ],
        "conditions": {"types": ["repair"]},
    },
    {
        "name": "chat",
        "calendar": "24x7",
        "targets": [
            {"metric": "first_response", "seconds": 30, "warn_before": 10},
            {"metric": "next_response", "seconds": 60, "warn_before": 20},
        ],
        "conditions": {"channels": ["webchat", "app"]},
    },
    {
        "name": "email",
        "calendar": "china_office",
        "targets": [
            {"metric": "first_response", "seconds": 4 * HOUR, "warn_before": HOUR},
            {"metric": "next_response", "seconds": 8 * HOUR, "warn_before": 2 * HOUR},
            {"metric": "resolution", "seconds": 48 * HOUR, "warn_before": 4 * HOUR},
        ],
        "conditions": None,
        "is_default": True,
    },
]

DEFAULT_ESCALATION: dict[str, Any] = {
    "chain": ["agent", "team_lead", "supervisor"],
    "steps": [
        {"level": "team_lead", "on": "at_risk", "after_seconds": 0},
        {"level": "supervisor", "on": "breach", "after_seconds": 0},
    ],
    "major_complaint_level": "supervisor",
}


@dataclass(frozen=True)
class SlaSetup:
    """Everything that times a ticket: the policy book and the escalation policy."""

    book: PolicyBook
    escalation: EscalationPolicy


_setups: dict[str, SlaSetup] = {}
SETUP_KEY = "kefu_sla_setup"


def calendar_of(row: dict[str, Any]) -> BusinessCalendar:
    """A calendar from its stored form; no hours means 24×7."""
    if not row.get("hours"):
        return TWENTY_FOUR_SEVEN
    base = HOLIDAY_SETS.get(row.get("holidays", "china"))
    if base is None:
        raise SlaError(f"holidays: {row.get('holidays')!r} is not one of {', '.join(HOLIDAY_SETS)}")
    extra_off, extra_on = row.get("extra_holidays") or [], row.get("extra_workdays") or []
    holidays = (
        base.with_changes(add_holidays=extra_off, add_makeup_workdays=extra_on)
        if extra_off or extra_on
        else base
    )
    return BusinessCalendar.build(
        row["timezone"], row["hours"], holidays=holidays, makeup_weekday=row.get("makeup_weekday", "mon")
    )


def build_book(calendars: list[dict[str, Any]], policies: list[dict[str, Any]]) -> PolicyBook:
    """The pure book from stored rows; a policy naming an unknown calendar is refused with its name."""
    built = {c["name"]: calendar_of(c) for c in calendars}
    named: dict[str, SlaPolicy] = {}
    rules, default = [], None
    for p in sorted(policies, key=lambda p: (p.get("position", 0), p["name"])):
        if p["calendar"] not in built:
            raise SlaError(f"calendar: policy {p['name']!r} names no stored calendar {p['calendar']!r}")
        targets = tuple(SlaTarget(**t) for t in p["targets"])
        named[p["name"]] = SlaPolicy(p["name"], targets, built[p["calendar"]])
        if p.get("conditions") is not None:
            rules.append(PolicyRule(p["name"], **{k: frozenset(v) for k, v in p["conditions"].items()}))
        if p.get("is_default"):
            default = p["name"]
    if default is None:
        raise SlaError("is_default: one SLA policy must be the default")
    return PolicyBook(named, rules, default)


def _calendar_dict(row: BusinessCalendarRow) -> dict[str, Any]:
    keys = ("name", "timezone", "hours", "holidays", "extra_holidays", "extra_workdays", "makeup_weekday")
    return {k: getattr(row, k) for k in keys}


def _policy_dict(row: SlaPolicyRow) -> dict[str, Any]:
    keys = ("name", "calendar", "targets", "conditions", "position", "is_default")
    return {k: getattr(row, k) for k in keys}


def stored_config(session: Session) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Calendars and policies as stored, or the defaults when nothing is stored yet."""
    policies = [_policy_dict(r) for r in session.scalars(select(SlaPolicyRow))]
    if not policies:
        return DEFAULT_CALENDARS, _positioned(DEFAULT_POLICIES)
    return [_calendar_dict(r) for r in session.scalars(select(BusinessCalendarRow))], policies


def escalation_of(config: dict[str, Any]) -> EscalationPolicy:
    """The pure policy from its stored form; a bad one is refused naming the field."""
    steps = tuple(EscalationStep(s["level"], s["on"], s.get("after_seconds", 0)) for s in config["steps"])
    chain = tuple(config["chain"])
    if not chain or chain[0] != "agent":
        raise EscalationError("chain: must start with agent (the customer-facing owner)")
    return EscalationPolicy(chain, steps, config["major_complaint_level"])  # type: ignore[arg-type]


def stored_escalation(session: Session) -> dict[str, Any]:
    row = session.scalar(select(EscalationPolicyRow).where(EscalationPolicyRow.name == "default"))
    if row is None:
        return DEFAULT_ESCALATION
    return {"chain": row.chain, "steps": row.steps, "major_complaint_level": row.major_complaint_level}


def sla_setup(session: Session) -> SlaSetup:
    """The setup in force, read once per session (a request, a sweeper pass); edits forget it."""
    memo = session.info.get(SETUP_KEY)
    if memo is not None:
        return memo
    calendars, policies = stored_config(session)
    escalation = stored_escalation(session)
    key = json.dumps([calendars, policies, escalation], sort_keys=True)
    setup = _setups.get(key)
    if setup is None:
        if len(_setups) >= 16:  # configurations are edited rarely; old ones are never asked for again
            _setups.clear()
        setup = _setups[key] = SlaSetup(build_book(calendars, policies), escalation_of(escalation))
    session.info[SETUP_KEY] = setup
    return setup


def forget_setup(session: Session) -> None:
    session.info.pop(SETUP_KEY, None)


def _positioned(policies: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{"position": i, "is_default": False, **p} for i, p in enumerate(policies)]


def ensure_defaults(session: Session) -> None:
    """Write the default calendars and policies when none are stored, so that they can be edited."""
    if session.scalar(select(SlaPolicyRow.id).limit(1)) is not None:
        return
    known = set(session.scalars(select(BusinessCalendarRow.name)))
    for c in DEFAULT_CALENDARS:
        if c["name"] not in known:
            session.add(BusinessCalendarRow(**{"holidays": "china", **c}))
    for p in _positioned(DEFAULT_POLICIES):
        session.add(SlaPolicyRow(**p))
    session.flush()
