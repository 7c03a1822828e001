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

    def rank(self, level: EscalationLevel | str) -> int:
        """Position in the chain (0 = first), with a clear error for a level outside it."""
        rank = self.ranks.get(level)
        if rank is None:
            raise EscalationError(f"level: {level!r} is not in the chain {', '.join(self.chain)}")
        return rank


# (metric, warning µs, deadline µs): what escalation needs of one SLA clock. The sweep passes plain
# tuples, one per clock per ticket; `SlaSignal` is the same shape with names, for everyone else.
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


def _earliest_trigger(on: EscalationTrigger, signals: Sequence[Signal]) -> tuple[int, str] | None:
    """The first instant any clock triggers `on`, and its metric. A clock without a warning is at risk
    at its deadline at the latest."""
    best: tuple[int, str] | None = None
    for metric, warn_us, deadline_us in signals:
        when = deadline_us if on is EscalationTrigger.breach or warn_us is None else warn_us
        if when is not None and (best is None or when < best[0]):
            best = (when, metric)
    return best


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
    return due_escalations_us(policy, calendar, policy.rank(current), signals, to_us(now, "now"), major_us)


def due_escalations_us(
    policy: EscalationPolicy,
    calendar: BusinessCalendar,
    floor: int,
    signals: Sequence[Signal],
    now_us: int,
    major_us: int | None = None,
) -> list[EscalationDecision]:
    """`due_escalations` with the current level as its rank and instants in µs, for the sweep's loop."""
    dues = [d for d in _earliest_per_level(policy, calendar, floor, signals, major_us, until_us=now_us)
            if d.due_us <= now_us]  # fmt: skip
    if len(dues) > 1:
        dues.sort(key=lambda d: policy.ranks[d.level])
    return dues


def next_escalation_us(
    policy: EscalationPolicy,
    calendar: BusinessCalendar,
    floor: int,
    signals: Sequence[Signal],
    now_us: int,
    major_us: int | None = None,
) -> int | None:
    """The first instant after `now_us` at which a level above `floor` falls due, if the signals hold."""
    dues = [
        d.due_us for d in _earliest_per_level(policy, calendar, floor, signals, major_us) if d.due_us > now_us
    ]
    return min(dues, default=None)


def _triggers(signals: Sequence[Signal]) -> dict[EscalationTrigger, tuple[int, str] | None]:
    """`_earliest_trigger` for both triggers in one pass over the signals (the sweep's inner loop)."""
    risk: tuple[int, str] | None = None
    breach: tuple[int, str] | None = None
    for metric, warn_us, deadline_us in signals:
        if deadline_us is not None and (breach is None or deadline_us < breach[0]):
            breach = (deadline_us, metric)
        when = deadline_us if warn_us is None else warn_us
        if when is not None and (risk is None or when < risk[0]):
            risk = (when, metric)
    return {EscalationTrigger.at_risk: risk, EscalationTrigger.breach: breach}


def _earliest_per_level(
    policy: EscalationPolicy,
    calendar: BusinessCalendar,
    floor: int,
    signals: Sequence[Signal],
    major_us: int | None,
    until_us: int | None = None,
) -> list[EscalationDecision]:
    """For each level above `floor`, the earliest instant one of its steps falls due and why. With
    `until_us`, steps triggered after it are left out without asking the calendar (a delay only adds
    time, so they cannot be due by then)."""
    ranks, major = policy.ranks, policy.major_complaint_level
    best: dict[EscalationLevel, EscalationDecision] = {}
    if major_us is not None and ranks[major] > floor:
        best[major] = EscalationDecision(major, major_us, "major complaint")
    triggers = _triggers(signals) if signals else None
    if triggers is None:
        return list(best.values())
    for step in policy.steps:
        if ranks[step.level] <= floor:
            continue
        trigger = triggers[step.on]
        if trigger is None or (until_us is not None and trigger[0] > until_us):
            continue
        due = calendar.add_us(trigger[0], step.after_us) if step.after_us else trigger[0]
        known = best.get(step.level)
        if known is None or due < known.due_us:
            best[step.level] = EscalationDecision(step.level, due, f"{trigger[1]} {step.on}")
    return list(best.values())


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
