"""`kefu wfm`: forecast, staff and schedule from CSV files, with a summary table and solve progress."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import numpy as np
import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from kefu.workforce import csv_io
from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.forecast import forecast as run_forecast
from kefu.workforce.roster_export import roster_csv, roster_ics
from kefu.workforce.rules import check_roster
from kefu.workforce.scheduling import Roster, RosterProblem, build_roster
from kefu.workforce.shifts import LabourRules, default_templates
from kefu.workforce.staffing import staff as run_staff

wfm_app = typer.Typer(help="Workforce planning: forecast volume, staff with Erlang C/A, build rosters.")
console = Console()

InFile = Annotated[Path, typer.Argument(exists=True, dir_okay=False, help="input CSV")]
OutFile = Annotated[Path, typer.Option("--out", "-o", dir_okay=False, help="output CSV")]


def _fail(error: WorkforceInputError) -> typer.Exit:
    console.print(f"[red]error[/red] {error}")
    return typer.Exit(code=1)


@wfm_app.command()
def staff(source: InFile, out: OutFile) -> None:
    """Minimum agents per interval and queue (Erlang C; Erlang A where patience_seconds is given)."""
    try:
        header, rows, requests = csv_io.read_staffing(source.read_text(encoding="utf-8"))
        results = run_staff(requests)
    except WorkforceInputError as error:
        raise _fail(error) from error
    out.write_text(csv_io.write_staffing(header, rows, results), encoding="utf-8")
    table = Table(title=f"Staffing · {len(results)} intervals → {out}")
    for column in ("queue", "intervals", "peak agents", "peak heads", "mean SL", "mean abandon"):
        table.add_column(column, justify="right" if column != "queue" else "left")
    for queue in sorted({r.request.queue for r in results}):
        mine = [r for r in results if r.request.queue == queue]
        abandon = [r.abandon_rate for r in mine if r.abandon_rate is not None]
        table.add_row(
            queue,
            str(len(mine)),
            str(max(r.agents for r in mine)),
            str(max(r.scheduled_heads for r in mine)),
            f"{np.mean([r.service_level for r in mine]):.1%}",
            f"{np.mean(abandon):.1%}" if abandon else "—",
        )
    console.print(table)


@wfm_app.command()
def forecast(
    source: InFile,
    out: OutFile,
    days: Annotated[int, typer.Option(help="days to forecast after the history ends")] = 14,
    interval_minutes: Annotated[int, typer.Option(help="length of one interval")] = 30,
) -> None:
    """Volume and AHT per queue and interval; the method is chosen per queue by back-test WAPE."""
    try:
        results = run_forecast(
            csv_io.read_history(source.read_text(encoding="utf-8")), days, interval_minutes=interval_minutes
        )
    except WorkforceInputError as error:
        raise _fail(error) from error
    out.write_text(csv_io.write_forecast(results), encoding="utf-8")
    table = Table(title=f"Forecast · {days} days → {out}")
    for column in ("queue", "method", "back-test", "WAPE", "MAPE", "holiday factor"):
        table.add_column(column)
    for f in results:
        for a in f.accuracy:
            chosen = a.method == f.method
            table.add_row(
                f.queue if chosen else "",
                f.method if chosen else "",
                a.method,
                f"{a.wape:.1%}",
                f"{a.mape:.1%}",
                f"{f.holiday_factor:.2f}" if chosen else "",
            )
    console.print(table)


@wfm_app.command()
def schedule(
    required: InFile,
    agents: Annotated[Path, typer.Option(exists=True, dir_okay=False, help="agents CSV")],
    out: OutFile,
    ics: Annotated[Path | None, typer.Option(dir_okay=False, help="also write an iCalendar file")] = None,
    time_limit: Annotated[float, typer.Option(help="solver time limit, seconds")] = 30.0,
    max_days: Annotated[int, typer.Option(help="maximum working days per agent")] = 5,
) -> None:
    """Roster named agents onto the default shift templates to cover the required heads."""
    templates = default_templates()
    rules = LabourRules(max_days_per_week=max_days)
    try:
        first_day, need = csv_io.read_required(required.read_text(encoding="utf-8"), 30)
        days = next(iter(need.values())).shape[0]
        people = csv_io.read_agents(agents.read_text(encoding="utf-8"), days)
        roster = _solve_with_progress(RosterProblem(need, people, templates, rules), time_limit)
    except WorkforceInputError as error:
        raise _fail(error) from error
    out.write_text(roster_csv(roster.assignments, templates, first_day), encoding="utf-8")
    if ics:
        ics.write_text(
            roster_ics(roster.assignments, templates, first_day, generated_at=datetime.now(UTC)),
            encoding="utf-8",
        )
    broken = check_roster(roster.assignments, people, templates, rules, days)
    table = Table(title=f"Roster · {days} days from {first_day} → {out}")
    table.add_column("figure")
    table.add_column("value", justify="right")
    share = roster.under / roster.required_total if roster.required_total else 0.0
    for figure, value in (
        ("solver status", roster.status),
        ("shifts", str(len(roster.assignments))),
        ("agents used", str(len({s.agent_id for s in roster.assignments}))),
        ("under-staffed agent-intervals", f"{roster.under} ({share:.1%})"),
        ("over-staffed agent-intervals", str(roster.over)),
        ("labour-rule check", "no rule broken" if not broken else f"{len(broken)} violations"),
    ):
        table.add_row(figure, value)
    console.print(table)


def _solve_with_progress(problem: RosterProblem, time_limit: float) -> Roster:
    """Run the solver in a thread and advance a bar on elapsed time, noting each better roster."""
    outcome: dict[str, object] = {}
    best: list[float] = []

    def work() -> None:
        try:
            outcome["roster"] = build_roster(
                problem, time_limit_seconds=time_limit, progress=lambda _t, objective: best.append(objective)
            )
        except WorkforceInputError as error:
            outcome["error"] = error

    columns = (TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn())
    with Progress(*columns, console=console, transient=True) as bar:
        task = bar.add_task("solving roster", total=time_limit)
        thread = threading.Thread(target=work, daemon=True)
        started = time.monotonic()
        thread.start()
        while thread.is_alive():
            thread.join(0.2)
            note = f"solving roster · {len(best)} improvements" if best else "solving roster"
            bar.update(task, completed=min(time.monotonic() - started, time_limit), description=note)
    if "error" in outcome:
        raise outcome["error"]  # type: ignore[misc]
    return outcome["roster"]  # type: ignore[return-value]


@wfm_app.command()
def history(
    out: OutFile,
    days: Annotated[int, typer.Option(min=1, max=366, help="full days of history up to yesterday")] = 28,
    interval_minutes: Annotated[int, typer.Option(help="length of one interval")] = 30,
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="data folder (default $KEFU_DATA_DIR)")
    ] = None,
) -> None:
    """Export kefu's own contact history (offered contacts and AHT per queue and interval, in the centre's
    time zone) as the CSV `kefu wfm forecast` reads."""
    import os

    if data_dir is not None:
        os.environ["KEFU_DATA_DIR"] = str(data_dir)
    from kefu.core.config import Settings
    from kefu.core.runtime import open_runtime
    from kefu.workforce.history import contact_history
    from kefu.workforce.service import local_today

    settings = Settings()
    runtime = open_runtime(settings)
    try:
        today = local_today(datetime.now(UTC), settings.timezone)
        with runtime.sessions() as session:
            points, _ = contact_history(
                session, today - timedelta(days=days), today - timedelta(days=1), settings.timezone,
                interval_minutes,
            )  # fmt: skip
    finally:
        runtime.close()
    out.write_text(csv_io.write_history(points), encoding="utf-8")
    queues = sorted({p.queue for p in points})
    console.print(f"{len(points)} intervals of {len(queues)} queues ({', '.join(queues)}) → {out}")
