"""CSV and RFC 5545 iCalendar export of rosters, and the heat-map matrix."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime, timedelta, timezone

import numpy as np
import pytest

from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.roster_export import heat_map, roster_csv, roster_ics
from kefu.workforce.shifts import Assignment, default_templates

TEMPLATES = default_templates()
MONDAY = date(2026, 3, 2)
ROSTER = [
    Assignment("li.na", 0, "night", "voice", (("rest", 90), ("lunch", 300))),
    Assignment("wang,wei; jr", 1, "day", "chat", (("rest", 120), ("lunch", 240))),
]


def test_csv_rows_carry_times_and_breaks():
    rows = list(csv.DictReader(io.StringIO(roster_csv(ROSTER, TEMPLATES, MONDAY))))
    assert rows[0] == {
        "agent_id": "li.na",
        "date": "2026-03-02",
        "template": "night",
        "queue": "voice",
        "start": "2026-03-02T22:00:00",
        "end": "2026-03-03T07:00:00",
        "breaks": "rest 23:30-00:00; lunch 03:00-04:00",
    }
    assert rows[1]["agent_id"] == "wang,wei; jr" and rows[1]["start"] == "2026-03-03T09:00:00"


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")


def test_ics_is_rfc5545_shaped():
    text = roster_ics(
        ROSTER,
        TEMPLATES,
        MONDAY,
        generated_at=datetime(2026, 3, 1, 20, 0, tzinfo=timezone(timedelta(hours=8))),
        calendar_name="客服排班 " * 12,
    )
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))
    lines = unfold(text)
    assert lines[0] == "BEGIN:VCALENDAR" and lines[-2] == "END:VCALENDAR"
    assert lines.count("BEGIN:VEVENT") == 2 and "DTSTAMP:20260301T120000Z" in lines
    assert "DTSTART:20260302T220000" in lines and "DTEND:20260303T070000" in lines
    assert "UID:wang\\,wei\\; jr-20260303-day@kefu" in lines
    assert any(line.startswith("X-WR-CALNAME:客服排班") and line.count("客服排班") == 12 for line in lines)
    assert "DESCRIPTION:Agent li.na\\nBreaks: rest 23:30-00:00\\; lunch 03:00-04:00" in lines


def test_ics_needs_an_aware_timestamp_and_known_templates():
    with pytest.raises(WorkforceInputError, match="generated_at"):
        roster_ics(ROSTER, TEMPLATES, MONDAY, generated_at=datetime(2026, 3, 1))
    with pytest.raises(WorkforceInputError, match="template"):
        roster_csv([Assignment("x", 0, "siesta", "voice")], TEMPLATES, MONDAY)
    assert (
        roster_ics([], TEMPLATES, MONDAY, generated_at=datetime(2026, 3, 1, tzinfo=UTC)).count("VEVENT") == 0
    )


def test_heat_map_gap_and_labels():
    need = {"voice": np.array([[2, 3], [0, 1]])}
    have = {"voice": np.array([[2, 1], [1, 1]])}
    hm = heat_map(need, have, 720)
    assert hm.period_labels == ("00:00", "12:00")
    assert hm.gap["voice"].tolist() == [[0, -2], [1, 0]]
    with pytest.raises(WorkforceInputError, match="scheduled"):
        heat_map(need, {"chat": have["voice"]}, 720)
