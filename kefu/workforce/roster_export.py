"""Rosters as CSV and iCalendar text, and the required-vs-scheduled matrix for the heat map (pure).

The iCalendar writer follows RFC 5545 directly: CRLF line ends, content lines folded at 75 octets
(counted in UTF-8, never splitting a character), TEXT values escaped, and DTSTART/DTEND as local
"floating" times, which calendar apps show at the centre's wall-clock time without a VTIMEZONE block.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import numpy as np

from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.shifts import Assignment, ShiftTemplate

CSV_COLUMNS = ("agent_id", "date", "template", "queue", "start", "end", "breaks")


def roster_csv(assignments: Sequence[Assignment], templates: Sequence[ShiftTemplate], first_day: date) -> str:
    """One row per shift; times as ISO local date-times, breaks as "rest 10:30-11:00; lunch 13:00-14:00"."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    for s, tpl, start, end in _shifts(assignments, templates, first_day):
        writer.writerow(
            [
                s.agent_id,
                start.date().isoformat(),
                s.template,
                s.queue,
                start.isoformat(),
                end.isoformat(),
                _breaks_text(s, tpl, start),
            ]
        )
    return out.getvalue()


def roster_ics(
    assignments: Sequence[Assignment],
    templates: Sequence[ShiftTemplate],
    first_day: date,
    *,
    generated_at: datetime,
    calendar_name: str = "kefu roster",
) -> str:
    """An iCalendar (RFC 5545) text with one VEVENT per shift; `generated_at` becomes every DTSTAMP."""
    if generated_at.tzinfo is None:
        raise WorkforceInputError("generated_at", "must be timezone-aware (DTSTAMP is UTC)")
    stamp = generated_at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//kefu//workforce//EN", "CALSCALE:GREGORIAN"]
    lines.append("X-WR-CALNAME:" + _escape(calendar_name))
    for s, tpl, start, end in _shifts(assignments, templates, first_day):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_escape(s.agent_id)}-{start:%Y%m%d}-{_escape(s.template)}@kefu",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{start:%Y%m%dT%H%M%S}",
            f"DTEND:{end:%Y%m%dT%H%M%S}",
            "SUMMARY:" + _escape(f"{s.template} shift · {s.queue}"),
            "DESCRIPTION:" + _escape(f"Agent {s.agent_id}\nBreaks: {_breaks_text(s, tpl, start) or 'none'}"),
            "CATEGORIES:" + _escape(s.queue),
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(_fold(line) + "\r\n" for line in lines)


@dataclass(frozen=True)
class HeatMap:
    """Per queue, days × periods of required and scheduled heads and their difference (negative = short)."""

    queues: tuple[str, ...]
    period_labels: tuple[str, ...]
    required: dict[str, np.ndarray]
    scheduled: dict[str, np.ndarray]
    gap: dict[str, np.ndarray]


def heat_map(
    required: Mapping[str, np.ndarray], scheduled: Mapping[str, np.ndarray], period_minutes: int
) -> HeatMap:
    """The matrix the console heat map renders: scheduled − required per queue, day and period."""
    if set(required) != set(scheduled):
        raise WorkforceInputError("scheduled", "must have the same queues as required")
    for q in required:
        if np.shape(required[q]) != np.shape(scheduled[q]):
            raise WorkforceInputError("scheduled", f"queue {q!r} shape differs from required")
    queues = tuple(sorted(required))
    per_day = np.shape(required[queues[0]])[1] if queues else 0
    labels = tuple(
        f"{(i * period_minutes) // 60:02d}:{(i * period_minutes) % 60:02d}" for i in range(per_day)
    )
    req = {q: np.asarray(required[q], dtype=np.int64) for q in queues}
    sched = {q: np.asarray(scheduled[q], dtype=np.int64) for q in queues}
    return HeatMap(queues, labels, req, sched, {q: sched[q] - req[q] for q in queues})


def _shifts(
    assignments: Sequence[Assignment], templates: Sequence[ShiftTemplate], first_day: date
) -> Iterator[tuple[Assignment, ShiftTemplate, datetime, datetime]]:
    by_name = {t.name: t for t in templates}
    for s in sorted(assignments, key=lambda s: (s.day, s.agent_id)):
        if s.template not in by_name:
            raise WorkforceInputError("template", f"{s.template!r} of {s.agent_id} is not a known template")
        tpl = by_name[s.template]
        start = datetime.combine(first_day + timedelta(days=s.day), datetime.min.time()) + timedelta(
            minutes=tpl.start_minute
        )
        yield s, tpl, start, start + timedelta(minutes=tpl.length)


def _breaks_text(s: Assignment, tpl: ShiftTemplate, start: datetime) -> str:
    lengths = {b.name: b.length for b in tpl.breaks}
    parts = []
    for name, offset in s.breaks:
        begin = start + timedelta(minutes=offset)
        parts.append(f"{name} {begin:%H:%M}-{begin + timedelta(minutes=lengths[name]):%H:%M}")
    return "; ".join(parts)


def _escape(text: str) -> str:
    """RFC 5545 TEXT: backslash, semicolon and comma escaped, newlines as \\n."""
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _fold(line: str) -> str:
    """Split a content line into chunks of at most 75 octets; continuation lines start with a space."""
    chunks, current, size = [], "", 0
    for ch in line:
        width = len(ch.encode("utf-8"))
        limit = 75 if not chunks else 74  # the leading space of a continuation counts
        if size + width > limit:
            chunks.append(current)
            current, size = "", 0
        current += ch
        size += width
    chunks.append(current)
    return "\r\n ".join(chunks)
