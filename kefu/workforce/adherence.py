"""Schedule adherence (glossary `adherence`): time in the scheduled state / scheduled time (pure).

A schedule and the actual presence are both lists of spans (start, end, state). Time counts as
adherent where the actual state equals the scheduled state at that moment; actual spans outside the
schedule do not count either way. Mapping presence codes onto schedule states ("on_call" → "work")
is the caller's, so this stays a plain interval calculation.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.shifts import Assignment, ShiftTemplate


@dataclass(frozen=True)
class StateSpan:
    start: datetime
    end: datetime
    state: str


@dataclass(frozen=True)
class Adherence:
    scheduled_seconds: float
    adherent_seconds: float

    @property
    def adherence(self) -> float:
        """1.0 when nothing was scheduled: no time could be out of adherence."""
        return self.adherent_seconds / self.scheduled_seconds if self.scheduled_seconds else 1.0


def adherence(scheduled: Sequence[StateSpan], actual: Sequence[StateSpan]) -> Adherence:
    """Adherence of one agent over the scheduled spans given."""
    for name, spans in (("scheduled", scheduled), ("actual", actual)):
        ordered = sorted(spans, key=lambda s: s.start)
        if any(s.end < s.start for s in ordered):
            raise WorkforceInputError(name, "a span ends before it starts")
        if any(b.start < a.end for a, b in zip(ordered, ordered[1:], strict=False)):
            raise WorkforceInputError(name, "spans overlap")
    total = sum((s.end - s.start).total_seconds() for s in scheduled)
    adherent = sum(
        max(0.0, (min(s.end, a.end) - max(s.start, a.start)).total_seconds())
        for s in scheduled
        for a in actual
        if a.state == s.state
    )
    return Adherence(total, adherent)


def scheduled_spans(shift: Assignment, template: ShiftTemplate, first_day: date) -> list[StateSpan]:
    """A rostered shift as "work" spans around its "break" spans (lunch is a break too)."""
    start = datetime.combine(first_day + timedelta(days=shift.day), datetime.min.time()) + timedelta(
        minutes=template.start_minute
    )
    lengths = {b.name: b.length for b in template.breaks}
    spans, cursor = [], start
    for name, offset in sorted(shift.breaks, key=lambda b: b[1]):
        begin = start + timedelta(minutes=offset)
        end = begin + timedelta(minutes=lengths[name])
        spans += [StateSpan(cursor, begin, "work"), StateSpan(begin, end, "break")]
        cursor = end
    spans.append(StateSpan(cursor, start + timedelta(minutes=template.length), "work"))
    return [s for s in spans if s.end > s.start]
