"""Escalation: which level of the chain agent → team_lead → supervisor a ticket must reach, and when (pure).

A ticket only moves up. Steps say "reach LEVEL once an SLA clock is at risk (its warning instant) or
breached (its deadline), plus an optional delay in business seconds"; a major complaint goes straight to
its configured level; an escalation by hand moves one level up (or to a chosen higher level).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

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

    def __post_init__(self) -> None:
        chain = tuple(_level(v, "chain") for v in self.chain)
        if len(chain) < 2 or len(set(chain)) != len(chain):
            raise EscalationError("chain: needs at least two distinct levels")
        object.__setattr__(self, "chain", chain)
        for step in self.steps:
            if step.level not in chain[1:]:
                raise EscalationError(f"steps.level: {step.level} is not above the chain's start {chain}")
        major = _level(self.major_complaint_level, "major_complaint_level")
        if major not in chain:
            raise EscalationError(f"major_complaint_level: {major} is not in the chain {chain}")
        object.__setattr__(self, "major_complaint_level", major)

    def rank(self, level: EscalationLevel | str) -> int:
        level = _level(level, "level")
        if level not in self.chain:
            raise EscalationError(f"level: {level} is not in the chain {self.chain}")
        return self.chain.index(level)


@dataclass(frozen=True, slots=True)
class SlaSignal:
    """One SLA clock's risk and breach instants (either may be unknown: None)."""

    metric: str
    warn_at: datetime | None
    deadline: datetime | None


@dataclass(frozen=True, slots=True)
class EscalationDecision:
    level: EscalationLevel
    due_at: datetime
    reason: str


def _trigger_instants(on: EscalationTrigger, signals: Iterable[SlaSignal]) -> list[tuple[datetime, str]]:
    if on is EscalationTrigger.at_risk:
        # a clock without a warning is at risk at its deadline at the latest
        pairs = [(s.warn_at or s.deadline, s.metric) for s in signals]
    else:
        pairs = [(s.deadline, s.metric) for s in signals]
    return [(when, metric) for when, metric in pairs if when is not None]


def due_escalations(
    policy: EscalationPolicy,
    calendar: BusinessCalendar,
    current: EscalationLevel | str,
    signals: Iterable[SlaSignal],
    now: datetime,
    major_complaint_since: datetime | None = None,
) -> list[EscalationDecision]:
    """Every level above `current` whose step is due at `now`, lowest first, each with its due instant
    and reason (the earliest triggering metric). The caller records them; see `sweep` for idempotence."""
    floor, now_us = policy.rank(current), to_us(now, "now")
    signals = list(signals)
    best: dict[EscalationLevel, EscalationDecision] = {}
    if major_complaint_since is not None and policy.rank(policy.major_complaint_level) > floor:
        best[policy.major_complaint_level] = EscalationDecision(
            policy.major_complaint_level, major_complaint_since, "major complaint"
        )
    for step in policy.steps:
        if policy.rank(step.level) <= floor:
            continue
        for when, metric in _trigger_instants(step.on, signals):
            if when > now:  # the delay only adds time: not due yet, skip the calendar
                continue
            due = calendar.add_us(to_us(when, "signal"), round(step.after_seconds * US))
            known = best.get(step.level)
            if due <= now_us and (known is None or due < to_us(known.due_at)):
                best[step.level] = EscalationDecision(step.level, from_us(due), f"{metric} {step.on}")
    return sorted(best.values(), key=lambda d: policy.rank(d.level))


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
