"""SLA policies, policy choice and deadline computation with pauses (pure).

A policy holds targets in *business* seconds of its calendar. A ticket's clock for one metric starts at a
known instant (created_at, or the customer's unanswered message for next response), runs only while the
calendar is open and the ticket is not in a paused status (see `lifecycle.SLA_PAUSED`), and the deadline
is the instant at which the running time reaches the target. While a pause is still open the deadline is
unknown (it moves with the pause), so it is reported as None with the business time left.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from kefu.tickets.calendar import TWENTY_FOUR_SEVEN, US, BusinessCalendar, from_us, to_us
from kefu.tickets.kinds import Priority, TicketType
from kefu.tickets.lifecycle import SLA_PAUSED, parse_status

CHANNELS = frozenset({"webchat", "email", "voice", "app", "social", "api"})
TIERS = frozenset({"new", "active", "high_value", "vip"})


class SlaError(ValueError):
    """Bad SLA configuration or ticket timing input; the message names the field and the reason."""


class SlaMetric(StrEnum):
    first_response = "first_response"
    next_response = "next_response"
    resolution = "resolution"


NEXT, FIRST = SlaMetric.next_response, SlaMetric.first_response


def _positive(value: float, field_name: str, allow_zero: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise SlaError(f"{field_name}: expected a number of seconds, got {value!r}")
    if value < 0 or (value == 0 and not allow_zero) or value == float("inf"):
        raise SlaError(f"{field_name}: must be a positive finite number of seconds, got {value}")
    return value


@dataclass(frozen=True, slots=True)
class SlaTarget:
    """One target: `seconds` of business time, with a warning `warn_before` seconds ahead (0 = none)."""

    metric: SlaMetric
    seconds: float
    warn_before: float = 0.0
    need_us: int = field(init=False, repr=False)  # business µs to the deadline
    warn_need_us: int = field(init=False, repr=False)  # ... to the warning

    def __post_init__(self) -> None:
        object.__setattr__(self, "metric", SlaMetric(self.metric))
        _positive(self.seconds, f"{self.metric}.seconds")
        _positive(self.warn_before, f"{self.metric}.warn_before", allow_zero=True)
        if self.warn_before >= self.seconds:
            raise SlaError(f"{self.metric}.warn_before: must be shorter than the target ({self.seconds} s)")
        object.__setattr__(self, "need_us", round(self.seconds * US))
        object.__setattr__(self, "warn_need_us", round((self.seconds - self.warn_before) * US))


@dataclass(frozen=True)
class SlaPolicy:
    name: str
    targets: tuple[SlaTarget, ...]
    calendar: BusinessCalendar = TWENTY_FOUR_SEVEN
    # The business µs to the deadline and to the warning of each target whose clock starts at creation
    # (first response, resolution), in target order: one calendar lookup of the creation gives them all.
    created_needs: tuple[int, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.name:
            raise SlaError("name: an SLA policy needs a name")
        metrics = [t.metric for t in self.targets]
        if len(set(metrics)) != len(metrics):
            raise SlaError(f"targets: policy {self.name!r} has two targets for one metric")
        needs = [n for t in self.targets if t.metric is not NEXT for n in (t.need_us, t.warn_need_us)]
        object.__setattr__(self, "created_needs", tuple(needs))

    def target(self, metric: SlaMetric) -> SlaTarget | None:
        return next((t for t in self.targets if t.metric == metric), None)


def _vocabulary(values: Iterable[str], known: Iterable[str], field_name: str) -> frozenset[str]:
    if isinstance(values, str):
        raise SlaError(f"{field_name}: expected a set of values, got the single string {values!r}")
    chosen, allowed = frozenset(values), frozenset(known)
    unknown = chosen - allowed
    if unknown:
        raise SlaError(f"{field_name}: unknown {sorted(unknown)}; known: {sorted(allowed)}")
    return chosen


@dataclass(frozen=True)
class PolicyRule:
    """Chooses `policy` when every non-empty condition holds (an empty set means "any")."""

    policy: str
    channels: frozenset[str] = frozenset()
    types: frozenset[str] = frozenset()
    priorities: frozenset[str] = frozenset()
    tiers: frozenset[str] = frozenset()

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", _vocabulary(self.channels, CHANNELS, "channels"))
        object.__setattr__(self, "types", _vocabulary(self.types, TicketType, "types"))
        object.__setattr__(self, "priorities", _vocabulary(self.priorities, Priority, "priorities"))
        object.__setattr__(self, "tiers", _vocabulary(self.tiers, TIERS, "tiers"))

    def matches(self, channel: str, type_: str, priority: str, tier: str) -> bool:
        return (
            (not self.channels or channel in self.channels)
            and (not self.types or type_ in self.types)
            and (not self.priorities or priority in self.priorities)
            and (not self.tiers or tier in self.tiers)
        )


@dataclass(frozen=True, eq=False)
class PolicyBook:
    """The centre's policies and the ordered rules that pick one; the first matching rule wins."""

    policies: Mapping[str, SlaPolicy]
    rules: Sequence[PolicyRule]
    default: str
    _memo: dict[tuple[str, str, str, str], SlaPolicy] = field(default_factory=dict, init=False, repr=False)

    def __post_init__(self) -> None:
        # private copies: the memo must not go stale if the caller's list or dict changes later
        object.__setattr__(self, "policies", dict(self.policies))
        object.__setattr__(self, "rules", tuple(self.rules))
        named = [("default", self.default)] + [(f"rules[{i}]", r.policy) for i, r in enumerate(self.rules)]
        for where, name in named:
            if name not in self.policies:
                raise SlaError(f"{where}: no SLA policy named {name!r}")

    def choose(self, channel: str, type_: str, priority: str, tier: str) -> SlaPolicy:
        """The policy of a ticket; memoised, as the inputs take few distinct values."""
        facts = (channel, type_, priority, tier)
        chosen = self._memo.get(facts)
        if chosen is None:
            rule = next((r for r in self.rules if r.matches(*facts)), None)
            chosen = self.policies[rule.policy if rule else self.default]
            self._memo[facts] = chosen
        return chosen


Pause = tuple[int, int | None]  # (start µs, end µs or None: still paused)


@dataclass(frozen=True, slots=True)
class StatusInterval:
    """The ticket was in `status` from `start` until `end` (None: still is)."""

    status: str
    start: datetime
    end: datetime | None = None


@dataclass(frozen=True, slots=True)
class TicketTimes:
    """The SLA-relevant facts of one ticket. `awaiting_reply_since` is the customer's oldest message not
    yet answered after the first response (it starts a next-response cycle)."""

    ticket_id: int
    created_at: datetime
    status_history: tuple[StatusInterval, ...] = ()
    first_response_at: datetime | None = None
    awaiting_reply_since: datetime | None = None
    solved_at: datetime | None = None
    # The paused periods in µs, sorted and disjoint, if the caller has them so (a stored ticket keeps
    # them that way); None: derived from `status_history`.
    pauses_us: tuple[Pause, ...] | None = None


@dataclass(frozen=True, slots=True)
class SlaClock:
    """One metric's clock. The deadline and warning instants are None while an open pause holds them
    back (then `remaining` is the business time left); `stopped_at` is when the metric was met (reply,
    solve). Instants are kept in µs for the sweep; the properties give datetimes."""

    ticket_id: int
    metric: SlaMetric
    started_at: datetime
    start_us: int
    stopped_at: datetime | None
    stop_us: int | None
    deadline_us: int | None
    warn_us: int | None
    remaining_us: int

    @property
    def deadline(self) -> datetime | None:
        return None if self.deadline_us is None else from_us(self.deadline_us)

    @property
    def warn_at(self) -> datetime | None:
        return None if self.warn_us is None else from_us(self.warn_us)

    @property
    def remaining(self) -> float:
        return self.remaining_us / US

    @property
    def breached(self) -> bool:
        """Stopped after the deadline; a running clock is judged against `now` by the sweep."""
        return self.stop_us is not None and self.deadline_us is not None and self.stop_us > self.deadline_us


def pauses_of(history: Iterable[StatusInterval]) -> list[Pause]:
    """Merged, sorted paused periods in µs from a status history (an open-ended one last)."""
    spans: list[Pause] = []
    for i, iv in enumerate(history):
        if iv.status not in SLA_PAUSED:
            parse_status(iv.status, f"status_history[{i}].status")  # refuses an unknown status
            continue
        start = to_us(iv.start, f"status_history[{i}].start")
        end = None if iv.end is None else to_us(iv.end, f"status_history[{i}].end")
        if end is not None and end < start:
            raise SlaError(f"status_history[{i}]: ends before it starts")
        spans.append((start, end))
    spans.sort(key=lambda p: p[0])
    merged: list[Pause] = []
    for start, end in spans:
        if merged and (merged[-1][1] is None or start <= merged[-1][1]):
            last_end = merged[-1][1]
            merged[-1] = (merged[-1][0], None if last_end is None or end is None else max(last_end, end))
        else:
            merged.append((start, end))
    return merged


def spend_us(
    cal: BusinessCalendar, start: int, needs: Sequence[int], pauses: Sequence[Pause]
) -> tuple[list[int | None], int]:
    """For each need, the instant (µs) at which that many business µs outside the pauses have been spent
    from `start`, or None when an open-ended pause comes first; and the business µs spent before such a
    pause (what a held-back clock has used)."""
    runs: list[tuple[int, int, int | None]] = []  # (run start, spent before it, spent at its end)
    cursor, spent, held = start, 0, False
    for p0, p1 in pauses:
        if p1 is not None and p1 <= cursor:
            continue
        if p0 > cursor:
            available = cal.between_us(cursor, p0)
            runs.append((cursor, spent, spent + available))
            spent += available
        if p1 is None:
            held = True
            break
        cursor = p1
    if not held:
        runs.append((cursor, spent, None))
    out: list[int | None] = []
    for need in needs:
        for r0, before, end in runs:
            if end is None or need <= end:
                out.append(cal.add_us(r0, need - before))
                break
        else:
            out.append(None)
    return out, spent


# One clock: metric, start, stop (None: running), deadline and warning (None: no warning, or held back by an
# open pause), business time left when held back; instants in µs. A plain tuple: the sweep builds
# hundreds of thousands of them.
Clock = tuple[SlaMetric, int, int | None, int | None, int | None, int]


def clocks_us(
    policy: SlaPolicy,
    created: int,
    first: int | None,
    awaiting: int | None,
    solved: int | None,
    pauses: Sequence[Pause] = (),
) -> list[Clock]:
    """The clocks of every metric the policy targets and the ticket has started (instants in µs)."""
    cal, clocks = policy.calendar, []
    if pauses:
        made, used = spend_us(cal, created, policy.created_needs, pauses)
    else:
        made, used = cal.add_many_us(created, policy.created_needs), 0
    i = 0
    for target in policy.targets:
        metric = target.metric
        if metric is NEXT:
            if first is None or awaiting is None:
                continue
            t0, stop, needs = awaiting, None, (target.need_us, target.warn_need_us)
            if pauses:
                (deadline, warn), spent = spend_us(cal, t0, needs, pauses)
            else:
                (deadline, warn), spent = cal.add_many_us(t0, needs), 0
        else:
            t0, stop, spent = created, first if metric is FIRST else solved, used
            deadline, warn = made[i], made[i + 1]
            i += 2
        if stop is not None and stop < t0:
            raise SlaError(f"{metric}.stopped_at: {from_us(stop).isoformat()} is before the clock started")
        left = 0 if deadline is not None else target.need_us - spent
        clocks.append((metric, t0, stop, deadline, warn if target.warn_before else None, left))
    return clocks


def times_us(times: TicketTimes) -> tuple[int, int | None, int | None, int | None, tuple[Pause, ...]]:
    """A ticket's SLA facts in µs: created, first response, awaiting reply since, solved, paused periods."""
    if times.pauses_us is not None:
        pauses = times.pauses_us
    else:
        pauses = tuple(pauses_of(times.status_history)) if times.status_history else ()
    first, awaiting, solved = times.first_response_at, times.awaiting_reply_since, times.solved_at
    return (
        to_us(times.created_at, "created_at"),
        None if first is None else to_us(first, "first_response_at"),
        None if awaiting is None else to_us(awaiting, "awaiting_reply_since"),
        None if solved is None else to_us(solved, "solved_at"),
        pauses,
    )


def sla_clocks(policy: SlaPolicy, times: TicketTimes) -> list[SlaClock]:
    """The clocks of every metric the policy targets and the ticket has started."""
    out = []
    for metric, t0, stop, deadline, warn, left in clocks_us(policy, *times_us(times)):
        started = times.awaiting_reply_since if metric is NEXT else times.created_at
        stopped = None if stop is None else times.first_response_at if metric is FIRST else times.solved_at
        out.append(SlaClock(times.ticket_id, metric, started, t0, stopped, stop, deadline, warn, left))  # type: ignore[arg-type]
    return out
