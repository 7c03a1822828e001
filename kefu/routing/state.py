"""Routing inputs as immutable, validated values: agents, queues and waiting contacts.

Times are POSIX seconds (floats): the engine compares and subtracts them millions of times, and the
service converts its timezone-aware datetimes once when it builds the snapshot.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType

from kefu.routing.errors import CapacityError, InvalidFieldError

# The glossary's channels plus `ticket`: back-office ticket work is routed like a contact.
CHANNELS = frozenset({"webchat", "email", "voice", "app", "social", "api", "ticket"})
TIERS = ("new", "active", "high_value", "vip")
TICKET_TYPES = ("inquiry", "complaint", "suggestion", "repair", "refund")
SEVERITIES = ("normal", "major")
STRATEGIES = ("skill_first", "idle_first")
MAX_SKILL_LEVEL = 5
MAX_CONTACTS = 50  # per channel and in all: far beyond any agent, low enough to catch typos
MAX_URGENCY = 3
MAX_QUALITY = 100.0


class Presence(StrEnum):
    OFFLINE = "offline"
    AVAILABLE = "available"
    BUSY = "busy"
    AFTER_CONTACT_WORK = "after_contact_work"
    BREAK = "break"
    TRAINING = "training"


def require(ok: bool, field_name: str, reason: str) -> None:
    """Raise `InvalidFieldError` unless `ok`; keeps the validators one line per rule."""
    if not ok:
        raise InvalidFieldError(field_name, reason)


def check_routing_profile(skills: Mapping[str, int], capacity: Mapping[str, int], max_total: int) -> None:
    """An agent's routing profile as an admin sets it: levels 1..5, known channels, 0..50 contacts."""
    _frozen_counts(skills, "skills", 1, MAX_SKILL_LEVEL)
    _channels(capacity, "channel_capacity")
    _frozen_counts(capacity, "channel_capacity", 0, MAX_CONTACTS)
    ok = isinstance(max_total, int) and not isinstance(max_total, bool) and 0 <= max_total <= MAX_CONTACTS
    require(ok, "max_concurrent", f"must be in 0..{MAX_CONTACTS}")


def _finite(value: float, field_name: str) -> None:
    require(isinstance(value, int | float) and math.isfinite(value), field_name, "must be a finite number")


def _frozen_counts(
    values: Mapping[str, int], field_name: str, low: int, high: int | None
) -> Mapping[str, int]:
    """Copy a name → integer mapping, checking every value, so callers cannot mutate it afterwards."""
    require(isinstance(values, Mapping), field_name, "must be a mapping")
    for name, value in values.items():
        require(isinstance(name, str) and bool(name), field_name, "keys must be non-empty strings")
        ok = isinstance(value, int) and not isinstance(value, bool) and value >= low
        require(ok and (high is None or value <= high), f"{field_name}[{name}]", f"must be in {low}..{high}")
    return MappingProxyType(dict(values))


def _channels(values: Mapping[str, int], field_name: str) -> None:
    for name in values:
        require(
            name in CHANNELS, f"{field_name}[{name}]", f"unknown channel; expected one of {sorted(CHANNELS)}"
        )


@dataclass(frozen=True, slots=True)
class AgentState:
    """One agent as routing sees it: skills, presence, capacity and current load."""

    id: str
    team: str
    skills: Mapping[str, int]
    presence: Presence
    capacity: Mapping[str, int]  # concurrent contacts per channel, e.g. voice 1, webchat 3, email 5
    max_total: int  # combined limit across channels
    load: Mapping[str, int] = field(default_factory=dict)
    languages: frozenset[str] = frozenset()
    idle_since: float = 0.0  # when the agent last became free or last received a contact
    quality: float | None = None  # historical QA score 0..100, when known
    is_reserve: bool = False  # routed to only in surge mode
    break_reason: str | None = None
    acw_until: float | None = None  # end of after-contact work
    total_load: int = field(init=False, repr=False, compare=False)  # cached: read on every routing step

    def __post_init__(self) -> None:
        require(isinstance(self.id, str) and bool(self.id), "agent.id", "must be a non-empty string")
        require(isinstance(self.team, str), "agent.team", "must be a string")
        object.__setattr__(self, "skills", _frozen_counts(self.skills, "agent.skills", 1, MAX_SKILL_LEVEL))
        object.__setattr__(self, "capacity", _frozen_counts(self.capacity, "agent.capacity", 0, None))
        object.__setattr__(self, "load", _frozen_counts(self.load, "agent.load", 0, None))
        object.__setattr__(self, "languages", frozenset(self.languages))
        object.__setattr__(self, "presence", Presence(self.presence))
        _channels(self.capacity, "agent.capacity")
        require(
            isinstance(self.max_total, int) and self.max_total >= 0, "agent.max_total", "must be an int >= 0"
        )
        _finite(self.idle_since, "agent.idle_since")
        if self.quality is not None:
            _finite(self.quality, "agent.quality")
            require(0 <= self.quality <= MAX_QUALITY, "agent.quality", "must be within 0..100")
        if self.presence is Presence.BREAK:
            require(bool(self.break_reason), "agent.break_reason", "a break needs a reason")
        if self.presence is Presence.AFTER_CONTACT_WORK:
            require(self.acw_until is not None, "agent.acw_until", "after-contact work needs an end time")
        if self.acw_until is not None:
            _finite(self.acw_until, "agent.acw_until")
        object.__setattr__(self, "total_load", sum(self.load.values()))
        self._check_load()

    def _check_load(self) -> None:
        for channel, n in self.load.items():
            if n > self.capacity.get(channel, 0):
                raise CapacityError(self.id, f"load {n} on {channel} exceeds its capacity")
        if self.total_load > self.max_total:
            raise CapacityError(self.id, f"total load {self.total_load} exceeds max_total {self.max_total}")


def evolve(agent: AgentState, load: Mapping[str, int] | None = None, **changes: object) -> AgentState:
    """A copy of `agent` with `changes`, without re-running validation.

    Only for the routing hot path (a contact assigned or released), whose callers have already checked
    capacity: re-validating skills and limits there would double the cost of a decision.
    """
    copy = object.__new__(AgentState)
    for name in AgentState.__slots__:
        object.__setattr__(copy, name, changes.get(name, getattr(agent, name)))
    if load is not None:
        object.__setattr__(copy, "load", MappingProxyType(dict(load)))
        object.__setattr__(copy, "total_load", sum(load.values()))
    return copy


@dataclass(frozen=True, slots=True)
class OverflowStep:
    """After `after_seconds` in queue, widen the requirement; steps accumulate in order."""

    after_seconds: float
    min_level: int | None = None  # lowers every required skill's minimum; 0 drops the skill requirement
    teams: frozenset[str] = frozenset()  # teams that may now serve the queue as well

    def __post_init__(self) -> None:
        _finite(self.after_seconds, "overflow.after_seconds")
        require(self.after_seconds > 0, "overflow.after_seconds", "must be > 0")
        if self.min_level is not None:
            ok = isinstance(self.min_level, int) and 0 <= self.min_level <= MAX_SKILL_LEVEL
            require(ok, "overflow.min_level", f"must be in 0..{MAX_SKILL_LEVEL}")
        object.__setattr__(self, "teams", frozenset(self.teams))


@dataclass(frozen=True, slots=True)
class StickyPolicy:
    """How long a contact may be held for its dedicated or last agent; None turns the preference off.

    0 means "prefer that agent only when free right now"; a positive wait holds the contact for up to
    that many seconds while the agent is logged in, then routes it normally.
    """

    dedicated_agent_wait: float | None = None
    last_agent_wait: float | None = None

    def __post_init__(self) -> None:
        for name in ("dedicated_agent_wait", "last_agent_wait"):
            value = getattr(self, name)
            if value is not None:
                _finite(value, f"sticky.{name}")
                require(value >= 0, f"sticky.{name}", "must be >= 0")


@dataclass(frozen=True, slots=True)
class QueueConfig:
    """Contacts waiting for one kind of skill on one channel, and how their agent is picked."""

    id: str
    channel: str
    skills: Mapping[str, int] = field(default_factory=dict)  # skill -> minimum level
    language: str | None = None
    strategy: str = "skill_first"
    teams: frozenset[str] = frozenset()  # empty: any team
    sticky: StickyPolicy = StickyPolicy()
    overflow: tuple[OverflowStep, ...] = ()

    def __post_init__(self) -> None:
        require(isinstance(self.id, str) and bool(self.id), "queue.id", "must be a non-empty string")
        require(self.channel in CHANNELS, "queue.channel", f"unknown channel {self.channel!r}")
        require(self.strategy in STRATEGIES, "queue.strategy", f"must be one of {STRATEGIES}")
        object.__setattr__(self, "skills", _frozen_counts(self.skills, "queue.skills", 1, MAX_SKILL_LEVEL))
        object.__setattr__(self, "teams", frozenset(self.teams))
        object.__setattr__(self, "overflow", tuple(self.overflow))
        afters = [step.after_seconds for step in self.overflow]
        require(afters == sorted(set(afters)), "queue.overflow", "after_seconds must strictly increase")


@dataclass(frozen=True, slots=True)
class WaitingContact:
    """A contact (conversation, call, e-mail or ticket) waiting in a queue for an agent."""

    id: str
    queue: str
    channel: str
    enqueued_at: float
    tier: str = "active"
    ticket_type: str | None = None
    severity: str = "normal"
    urgency: int = 0  # explicit urgency 0..3 set by the bot, the intake rules or a supervisor
    last_agent: str | None = None
    dedicated_agent: str | None = None

    def __post_init__(self) -> None:
        require(isinstance(self.id, str) and bool(self.id), "contact.id", "must be a non-empty string")
        require(
            isinstance(self.queue, str) and bool(self.queue), "contact.queue", "must be a non-empty string"
        )
        require(self.channel in CHANNELS, "contact.channel", f"unknown channel {self.channel!r}")
        _finite(self.enqueued_at, "contact.enqueued_at")
        require(self.tier in TIERS, "contact.tier", f"must be one of {TIERS}")
        ok_type = self.ticket_type is None or self.ticket_type in TICKET_TYPES
        require(ok_type, "contact.ticket_type", f"must be one of {TICKET_TYPES}")
        require(self.severity in SEVERITIES, "contact.severity", f"must be one of {SEVERITIES}")
        ok = isinstance(self.urgency, int) and 0 <= self.urgency <= MAX_URGENCY
        require(ok, "contact.urgency", f"must be in 0..{MAX_URGENCY}")
