"""CSV text ↔ workforce objects for the `kefu wfm` commands (pure: text in, text out; no files).

Errors name the line and column, since these files are written by hand or exported from other tools.
"""

from __future__ import annotations

import csv
import io
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime

import numpy as np

from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.forecast import HistoryPoint, QueueForecast
from kefu.workforce.shifts import Agent
from kefu.workforce.staffing import StaffingRequest, StaffingResult

STAFF_COLUMNS = (
    "interval_start",
    "queue",
    "interval_seconds",
    "volume",
    "aht_seconds",
    "target_sl",
    "target_seconds",
)
STAFF_OUTPUT = ("agents", "service_level", "asa_seconds", "occupancy", "abandon_rate", "scheduled_heads")


def _rows(text: str, required: tuple[str, ...]) -> tuple[list[str], list[dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text))
    header = [h.strip() for h in reader.fieldnames or []]
    missing = [c for c in required if c not in header]
    if missing:
        raise WorkforceInputError("columns", f"missing {', '.join(missing)}")
    reader.fieldnames = header
    return header, [{k: (v or "").strip() for k, v in row.items() if k is not None} for row in reader]


def _field(row: dict[str, str], line: int, name: str, parse: Callable[[str], object]) -> object:
    try:
        return parse(row[name])
    except (ValueError, KeyError) as exc:
        raise WorkforceInputError(f"line {line} {name}", f"cannot read {row.get(name)!r}") from exc


def read_staffing(text: str) -> tuple[list[str], list[dict[str, str]], list[StaffingRequest]]:
    """The header, the raw rows (echoed back on output) and the parsed requests."""
    header, rows = _rows(text, STAFF_COLUMNS)
    return header, rows, [_staffing_request(row, line) for line, row in enumerate(rows, start=2)]


def _staffing_request(row: dict[str, str], line: int) -> StaffingRequest:
    def number(name: str, default: float | None = None) -> float | None:
        if not row.get(name) and name not in STAFF_COLUMNS:
            return default
        return _field(row, line, name, float)

    concurrency = number("concurrency", 1.0)
    if concurrency != int(concurrency):
        raise WorkforceInputError(f"line {line} concurrency", "must be a whole number")
    return StaffingRequest(
        interval_start=_field(row, line, "interval_start", datetime.fromisoformat),
        queue=row["queue"],
        interval_seconds=number("interval_seconds"),
        volume=number("volume"),
        aht_seconds=number("aht_seconds"),
        target_sl=_fraction(number("target_sl")),
        target_seconds=number("target_seconds"),
        patience_seconds=number("patience_seconds"),
        shrinkage=_fraction(number("shrinkage", 0.0)),
        concurrency=int(concurrency),
    )


def _fraction(value: float) -> float:
    """Targets and shrinkage may be written as 80 (percent) or 0.8; values above 1 are percent."""
    return value / 100.0 if value > 1 else value


def write_staffing(header: list[str], rows: list[dict[str, str]], results: list[StaffingResult]) -> str:
    out = io.StringIO()
    columns = header + [c for c in STAFF_OUTPUT if c not in header]
    writer = csv.DictWriter(out, columns, lineterminator="\n")
    writer.writeheader()
    for row, r in zip(rows, results, strict=True):
        writer.writerow(
            {
                **row,
                "agents": r.agents,
                "service_level": f"{r.service_level:.4f}",
                "asa_seconds": f"{r.asa_seconds:.2f}",
                "occupancy": f"{r.occupancy:.4f}",
                "abandon_rate": "" if r.abandon_rate is None else f"{r.abandon_rate:.4f}",
                "scheduled_heads": r.scheduled_heads,
            }
        )
    return out.getvalue()


def read_history(text: str) -> list[HistoryPoint]:
    _, rows = _rows(text, ("interval_start", "queue", "volume", "aht_seconds"))
    return [
        HistoryPoint(
            _field(row, line, "interval_start", datetime.fromisoformat),
            row["queue"],
            _field(row, line, "volume", float),
            _field(row, line, "aht_seconds", float),
        )
        for line, row in enumerate(rows, start=2)
    ]


def write_forecast(results: list[QueueForecast]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["interval_start", "queue", "volume", "aht_seconds", "method"])
    for f in results:
        for p in f.points:
            writer.writerow(
                [p.interval_start.isoformat(), p.queue, f"{p.volume:.2f}", f"{p.aht_seconds:.1f}", f.method]
            )
    return out.getvalue()


def read_required(text: str, period_minutes: int) -> tuple[date, dict[str, np.ndarray]]:
    """Heads per queue as days × periods, from `heads` or (a `kefu wfm staff` output) `scheduled_heads`.

    Finer rows are folded into the period by their maximum: the period must cover its busiest part.
    """
    header, rows = _rows(text, ("interval_start", "queue"))
    column = "heads" if "heads" in header else "scheduled_heads"
    if column not in header:
        raise WorkforceInputError("columns", "need heads or scheduled_heads")
    cells: dict[tuple[str, int, int], int] = defaultdict(int)
    starts = []
    for line, row in enumerate(rows, start=2):
        start = _field(row, line, "interval_start", datetime.fromisoformat)
        heads = _field(row, line, column, float)  # spreadsheets write 3 as 3.0
        if heads < 0 or heads != int(heads):
            raise WorkforceInputError(f"line {line} {column}", "must be a whole number >= 0")
        heads = int(heads)
        starts.append(start)
        minute = start.hour * 60 + start.minute
        key = (row["queue"], start.toordinal(), minute // period_minutes)
        cells[key] = max(cells[key], heads)
    if not starts:
        raise WorkforceInputError("required", "has no rows")
    first, last = min(starts).date(), max(starts).date()
    days = (last - first).days + 1
    grid = {q: np.zeros((days, 1440 // period_minutes), dtype=np.int64) for q, _, _ in cells}
    for (q, ordinal, period), heads in cells.items():
        grid[q][ordinal - first.toordinal(), period] = heads
    return first, grid


def read_agents(text: str, days: int) -> list[Agent]:
    """Columns agent_id, skills ("voice|chat"); optional available_days ("0|1|2", blank = every day),
    templates ("early|day", blank = any) and prior_unpopular."""
    _, rows = _rows(text, ("agent_id", "skills"))
    agents = []
    for line, row in enumerate(rows, start=2):
        skills = frozenset(s for s in row["skills"].split("|") if s)
        if not row["agent_id"] or not skills:
            raise WorkforceInputError(f"line {line}", "agent_id and skills are required")
        available = (
            frozenset(_field(row, line, "available_days", lambda v: [int(d) for d in v.split("|")]))
            if row.get("available_days")
            else frozenset(range(days))
        )
        agents.append(
            Agent(
                row["agent_id"],
                skills,
                available,
                frozenset(t for t in row.get("templates", "").split("|") if t),
                int(_field(row, line, "prior_unpopular", int)) if row.get("prior_unpopular") else 0,
            )
        )
    return agents


def write_history(points: list[HistoryPoint]) -> str:
    """History in the layout `read_history` (and so `kefu wfm forecast`) reads."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["interval_start", "queue", "volume", "aht_seconds"])
    for p in points:
        writer.writerow([p.interval_start.isoformat(), p.queue, f"{p.volume:g}", f"{p.aht_seconds:.1f}"])
    return out.getvalue()
