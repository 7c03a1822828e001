"""Escalation: which level of the chain agent → team_lead → supervisor a ticket must reach, and when (pure).

A ticket only moves up. Steps say "reach LEVEL once an SLA clock is at risk (its warning instant) or
breached (its deadline), plus an optional delay in business seconds"; a major complaint goes straight to
its configured level; an escalation by hand moves one level up (or to a chosen higher level).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import NamedTuple

from kefu.tickets.calendar import US, BusinessCalendar, from_us, to_us


class EscalationError(ValueError):
    """Bad escalation configuration or request; the message names the field and the reason."""


class EscalationLevel(StrEnum):
    agent = "agent"
    team_lead = "team_lead"
    supervisor = "supervisor"


class EscalationTrigger(StrEnum):
    at_risk = "at_risk"  # the SLA warning instant has passed
    breach = "breach"  # the SLA deadline has passed


@dataclass(frozen=True, slots=True)
class EscalationStep:
    level: EscalationLevel
    on: EscalationTrigger
    after_seconds: float = 0.0  # business seconds after the trigger instant
    after_us: int = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "level", _level(self.level, "steps.level"))
        try:
            object.__setattr__(self, "on", EscalationTrigger(self.on))
        except ValueError as exc:
            known = ", ".join(EscalationTrigger)
            raise EscalationError(f"steps.on: {self.on!r} is not one of {known}") from exc
        delay = self.after_seconds
        if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay < float("inf"):
            raise EscalationError(f"steps.after_seconds: must be a finite number ≥ 0, got {delay!r}")
        object.__setattr__(self, "after_us", round(delay * US))


def _level(value: str, field_name: str) -> EscalationLevel:
    try:
        return EscalationLevel(value)
    except ValueError as exc:
        raise EscalationError(f"{field_name}: {value!r} is not one of {', '.join(EscalationLevel)}") from exc


DEFAULT_STEPS = (
    EscalationStep(EscalationLevel.team_lead, EscalationTrigger.at_risk),
    EscalationStep(EscalationLevel.supervisor, EscalationTrigger.breach),
)


@dataclass(frozen=True)
class EscalationPolicy:
    """The chain (lowest first), the steps that climb it, and where a major complaint starts."""

    chain: tuple[EscalationLevel, ...] = tuple(EscalationLevel)
    steps: tuple[EscalationStep, ...] = DEFAULT_STEPS
    major_complaint_level: EscalationLevel = EscalationLevel.supervisor
    # level → position in the chain; str-valued enum members hash like their values, so both spellings work
    ranks: dict[str, int] = field(init=False, repr=False, compare=False)
    # per current rank, the steps that climb above it: (level, its rank, on breach?, delay µs, trigger)
    above: tuple[tuple[tuple[EscalationLevel, int, bool, int, EscalationTrigger], ...], ...] = field(
        init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        chain = tuple(_level(v, "chain") for v in self.chain)
        if len(chain) < 2 or len(set(chain)) != len(chain):
            raise EscalationError("chain: needs at least two distinct levels")
        object.__setattr__(self, "chain", chain)
        object.__setattr__(self, "ranks", {level.value: i for i, level in enumerate(chain)})
        for step in self.steps:
            if step.level not in chain[1:]:
                raise EscalationError(f"steps.level: {step.level} is not above the chain's start {chain}")
        major = _level(self.major_complaint_level, "major_complaint_level")
        if major not in chain:
            raise EscalationError(f"major_complaint_level: {major} is not in the chain {chain}")
        object.__setattr__(self, "major_complaint_level", major)
        steps = [
            (s.level, self.ranks[s.level], s.on is EscalationTrigger.breach, s.after_us, s.on)
            for s in self.steps
        ]
        above = tuple(tuple(s for s in steps if s[1] > floor) for floor in range(len(chain)))
        object.__setattr__(self, "above", above)

    def rank(self, level: EscalationLevel | str) -> int:
        """Position in the chain (0 = first), with a clear error for a level outside it."""
        rank = self.ranks.get(level)
        if rank is None:
            raise EscalationError(f"level: {level!r} is not in the chain {', '.join(self.chain)}")
        return rank


# (metric, warning µs, deadline µs): what escalation needs of one SLA clock (`SlaSignal` is the same
# shape with names). The sweep takes the earliest instants straight from its clocks, as `triggers` does.
Signal = tuple[str, int | None, int | None]


class SlaSignal(NamedTuple):
    """One SLA clock's risk and breach instants in µs since the epoch (either may be unknown: None);
    `SlaSignal.at` builds one from datetimes."""

    metric: str
    warn_us: int | None
    deadline_us: int | None

    @classmethod
    def at(cls, metric: str, warn_at: datetime | None, deadline: datetime | None) -> SlaSignal:
        return cls(
            metric,
            None if warn_at is None else to_us(warn_at, "warn_at"),
            None if deadline is None else to_us(deadline, "deadline"),
        )


@dataclass(frozen=True, slots=True)
class EscalationDecision:
    level: EscalationLevel
    due_us: int
    reason: str

    @property
    def due_at(self) -> datetime:
        return from_us(self.due_us)


def due_escalations(
    policy: EscalationPolicy,
    calendar: BusinessCalendar,
    current: EscalationLevel | str,
    signals: Sequence[Signal],
    now: datetime,
    major_complaint_since: datetime | None = None,
) -> list[EscalationDecision]:
    """Every level above `current` whose step is due at `now`, lowest first, each with its due instant
    and reason (the earliest triggering metric). The caller records them; see `sweep` for idempotence."""
    since = major_complaint_since
    major_us = None if since is None else to_us(since, "major_complaint_since")
    now_us = to_us(now, "now")
    risk, breach = triggers(signals)
    dues = [
        d
        for d in level_dues(policy, calendar, policy.rank(current), risk, breach, major_us)
        if d[2] <= now_us
    ]
    return [EscalationDecision(level, due, reason) for level, _rank, due, reason in sorted(dues, key=by_rank)]


def by_rank(due: LevelDue) -> int:
    return due[1]


Trigger = tuple[int, str]  # the first instant a clock is at risk (or breached), and its metric


def triggers(signals: Sequence[Signal]) -> tuple[Trigger | None, Trigger | None]:
    """The earliest at-risk and breach instants of the signals, with their metrics. A clock without a
    warning is at risk at its deadline at the latest."""
    risk: Trigger | None = None
    breach: Trigger | None = None
    for metric, warn_us, deadline_us in signals:
        if deadline_us is not None and (breach is None or deadline_us < breach[0]):
            breach = (deadline_us, metric)
        when = deadline_us if warn_us is None else warn_us
        if when is not None and (risk is None or when < risk[0]):
            risk = (when, metric)
    return risk, breach


# (level, its rank, due µs, reason), the reasons of the usual metrics built once
LevelDue = tuple[EscalationLevel, int, int, str]
_REASONS = {
    (m, on): f"{m} {on}"
    for m in ("first_response", "next_response", "resolution")
    for on in EscalationTrigger
}


def level_dues(
    policy: EscalationPolicy,
    calendar: BusinessCalendar,
    floor: int,
    risk: Trigger | None,
    breach: Trigger | None,
    major_us: int | None = None,
) -> list[LevelDue]:
    """For each level above the rank `floor`, the earliest instant one of its steps falls due and why
    (a major complaint first, then the steps in order; the first of equal instants wins)."""
    major = policy.major_complaint_level
    best: list[LevelDue] = []
    if major_us is not None and policy.ranks[major] > floor:
        best.append((major, policy.ranks[major], major_us, "major complaint"))
    for level, rank, on_breach, after_us, on in policy.above[floor]:
        trigger = breach if on_breach else risk
        if trigger is None:
            continue
        due = calendar.add_us(trigger[0], after_us) if after_us else trigger[0]
        for i, known in enumerate(best):
            if known[0] is level:
                if due < known[2]:
                    best[i] = (level, rank, due, _reason(trigger[1], on))
                break
        else:
            best.append((level, rank, due, _reason(trigger[1], on)))
    return best


def _reason(metric: str, on: EscalationTrigger) -> str:
    return _REASONS.get((metric, on)) or f"{metric} {on}"


def manual_escalation(
    policy: EscalationPolicy, current: EscalationLevel | str, to: EscalationLevel | str | None = None
) -> EscalationLevel:
    """Escalation by hand: one level up the chain, or straight to a higher level `to`."""
    here = policy.rank(current)
    if to is None:
        if here + 1 == len(policy.chain):
            raise EscalationError(f"level: {current} is already the top of the chain")
        return policy.chain[here + 1]
    if policy.rank(to) <= here:
        raise EscalationError(f"to: {to} is not above the current level {current}")
    return _level(to, "to")
