"""The glossary's measures, each defined once (pure).

Reports, KPIs and the wallboard call these, so a measure never has two definitions. Inputs are plain
records; callers build them from the database (see kefu.analytics.contacts).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class ContactRecord:
    """One contact as the measures see it. `queued_at` None: never entered a queue (bot-contained)."""

    queued_at: datetime | None
    answered_at: datetime | None
    ended_at: datetime | None
    abandoned: bool
    hold_seconds: float = 0.0
    after_contact_seconds: float = 0.0
    transferred: bool = False

    @property
    def offered(self) -> bool:
        return self.queued_at is not None

    @property
    def answered(self) -> bool:
        return self.queued_at is not None and self.answered_at is not None

    @property
    def wait_seconds(self) -> float | None:
        if self.queued_at is None or self.answered_at is None:
            return None
        return (self.answered_at - self.queued_at).total_seconds()

    @property
    def handle_seconds(self) -> float | None:
        """Talk or chat time + hold + after-contact work, for answered contacts."""
        if not self.answered or self.ended_at is None:
            return None
        talk = (self.ended_at - self.answered_at).total_seconds()  # type: ignore[operator]
        return talk + self.hold_seconds + self.after_contact_seconds


def _ratio(numerator: float, denominator: float) -> float | None:
    """None when there is nothing to measure, rather than a misleading 0 %."""
    return numerator / denominator if denominator else None


def offered(contacts: Iterable[ContactRecord]) -> int:
    return sum(1 for c in contacts if c.offered)


def answered(contacts: Iterable[ContactRecord]) -> int:
    return sum(1 for c in contacts if c.answered)


def abandoned(contacts: Iterable[ContactRecord]) -> int:
    return sum(1 for c in contacts if c.offered and c.abandoned and not c.answered)


def answer_rate(contacts: Sequence[ContactRecord]) -> float | None:
    """answered / offered."""
    return _ratio(answered(contacts), offered(contacts))


def service_level(contacts: Sequence[ContactRecord], threshold_seconds: float) -> float | None:
    """Answered within X seconds / offered (abandoned contacts count against it)."""
    within = sum(1 for c in contacts if c.answered and (c.wait_seconds or 0.0) <= threshold_seconds)
    return _ratio(within, offered(contacts))


def asa(contacts: Sequence[ContactRecord]) -> float | None:
    """Total wait of answered contacts / answered, in seconds."""
    waits = [c.wait_seconds for c in contacts if c.answered]
    return _ratio(sum(w for w in waits if w is not None), len(waits))


def aht(contacts: Sequence[ContactRecord]) -> float | None:
    """(Talk or chat time + hold + after-contact work) / handled, in seconds."""
    handled = [h for c in contacts if (h := c.handle_seconds) is not None]
    return _ratio(sum(handled), len(handled))


def transfer_rate(contacts: Sequence[ContactRecord]) -> float | None:
    """Contacts transferred at least once / answered."""
    return _ratio(sum(1 for c in contacts if c.answered and c.transferred), answered(contacts))


def longest_wait(waiting_since: Iterable[datetime], now: datetime) -> float:
    """Seconds the longest-waiting contact has waited so far (0 when nobody waits)."""
    return max(((now - t).total_seconds() for t in waiting_since), default=0.0)


@dataclass(frozen=True, slots=True)
class SurveyAnswer:
    attitude: int
    efficiency: int
    accuracy: int

    @property
    def overall(self) -> float:
        return (self.attitude + self.efficiency + self.accuracy) / 3


@dataclass(frozen=True, slots=True)
class CsatSummary:
    csat: float | None  # share of answers scoring 4–5 of 5
    attitude: float | None
    efficiency: float | None
    accuracy: float | None
    answers: int


def csat(answers: Sequence[SurveyAnswer]) -> CsatSummary:
    """Share of answers scoring 4–5 (on the mean of the three dimensions), and the mean of each dimension."""
    n = len(answers)
    return CsatSummary(
        csat=_ratio(sum(1 for a in answers if a.overall >= 4), n),
        attitude=_ratio(sum(a.attitude for a in answers), n),
        efficiency=_ratio(sum(a.efficiency for a in answers), n),
        accuracy=_ratio(sum(a.accuracy for a in answers), n),
        answers=n,
    )


def occupancy(handling_seconds: float, available_idle_seconds: float) -> float | None:
    """Handling time / (handling time + available idle time)."""
    return _ratio(handling_seconds, handling_seconds + available_idle_seconds)


def resolution_rate(solved: int, handled: int) -> float | None:
    return _ratio(solved, handled)


def containment(bot_conversations: int, contained: int) -> float | None:
    """Bot conversations closed without handoff and not reopened within 24 h / bot conversations."""
    return _ratio(contained, bot_conversations)


def is_repeat_complainant(complaint_times: Iterable[datetime], window_days: int = 30) -> bool:
    """Two or more complaints within any `window_days` window."""
    times = sorted(complaint_times)
    return any((b - a).days < window_days for a, b in zip(times, times[1:], strict=False))


def retention(active_first: set[int], active_second: set[int]) -> float | None:
    """Customers active in both periods / customers active in the first (churn = 1 − retention)."""
    return _ratio(len(active_first & active_second), len(active_first))
