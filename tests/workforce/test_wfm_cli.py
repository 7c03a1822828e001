"""The `kefu wfm` sub-app through Typer's CliRunner: CSV in, CSV out, summary tables, clear errors."""

from __future__ import annotations

import csv
from datetime import datetime, timedelta

from typer.testing import CliRunner

from kefu.workforce.cli import wfm_app

runner = CliRunner()
STAFF_HEADER = "interval_start,queue,interval_seconds,volume,aht_seconds,target_sl,target_seconds"


def read(path):
    return list(csv.DictReader(path.open(encoding="utf-8")))


def test_staff_writes_the_issue_columns(tmp_path):
    source, out = tmp_path / "in.csv", tmp_path / "out.csv"
    source.write_text(
        f"{STAFF_HEADER},patience_seconds,shrinkage\n"
        "2026-03-02T09:00,voice,1800,360,240,0.8,20,,30\n"
        "2026-03-02T09:00,chat,1800,360,240,80,20,60,0.3\n"
        "2026-03-02T09:30,voice,1800,0,240,0.8,20,,\n",
        encoding="utf-8",
    )
    result = runner.invoke(wfm_app, ["staff", str(source), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = read(out)
    assert list(rows[0]) == [
        *STAFF_HEADER.split(","),
        "patience_seconds",
        "shrinkage",
        "agents",
        "service_level",
        "asa_seconds",
        "occupancy",
        "abandon_rate",
        "scheduled_heads",
    ]
    voice, chat, quiet = rows
    assert (voice["agents"], voice["scheduled_heads"], voice["abandon_rate"]) == ("54", "78", "")
    assert voice["service_level"] == "0.8172"
    assert int(chat["agents"]) <= 54 and 0 < float(chat["abandon_rate"]) < 0.2
    assert (quiet["agents"], quiet["scheduled_heads"]) == ("0", "0")
    assert "voice" in result.output and "Staffing" in result.output


def test_staff_names_the_bad_line(tmp_path):
    source = tmp_path / "in.csv"
    source.write_text(f"{STAFF_HEADER}\n2026-03-02T09:00,voice,1800,lots,240,0.8,20\n", encoding="utf-8")
    result = runner.invoke(wfm_app, ["staff", str(source), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "line 2 volume" in result.output
    missing = tmp_path / "m.csv"
    missing.write_text("interval_start,queue\n", encoding="utf-8")
    result = runner.invoke(wfm_app, ["staff", str(missing), "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1 and "missing interval_seconds" in result.output


def test_forecast_reports_back_test_per_method(tmp_path):
    source, out = tmp_path / "history.csv", tmp_path / "fc.csv"
    lines = ["interval_start,queue,volume,aht_seconds"]
    start = datetime(2025, 3, 3)
    for i in range(21 * 48):
        t = start + timedelta(minutes=30 * i)
        lines.append(f"{t.isoformat()},voice,{10 + (i % 48) // 4 + t.weekday()},{200 + i % 7}")
    source.write_text("\n".join(lines) + "\n", encoding="utf-8")
    result = runner.invoke(wfm_app, ["forecast", str(source), "--out", str(out), "--days", "2"])
    assert result.exit_code == 0, result.output
    rows = read(out)
    assert len(rows) == 96 and rows[0]["interval_start"] == "2025-03-24T00:00:00"
    assert {"seasonal_naive", "seasonal_mean", "holt_winters"} <= set(result.output.split())


def test_schedule_from_staff_output(tmp_path):
    required, agents = tmp_path / "required.csv", tmp_path / "agents.csv"
    out, ics = tmp_path / "roster.csv", tmp_path / "roster.ics"
    lines = ["interval_start,queue,scheduled_heads"]
    for day in range(2):
        for slot in range(96):  # 15-minute rows are folded into 30-minute periods
            t = datetime(2026, 3, 2) + timedelta(days=day, minutes=15 * slot)
            lines.append(f"{t.isoformat()},voice,{2 if 36 <= slot < 72 else 0}")
    required.write_text("\n".join(lines) + "\n", encoding="utf-8")
    agents.write_text(
        "agent_id,skills,available_days,templates\n"
        + "".join(f"a{i},voice|chat,,\n" for i in range(4))
        + "b1,voice,1,day|early\n",
        encoding="utf-8",
    )
    result = runner.invoke(
        wfm_app,
        [
            "schedule",
            str(required),
            "--agents",
            str(agents),
            "--out",
            str(out),
            "--ics",
            str(ics),
            "--time-limit",
            "3",
        ],
    )
    assert result.exit_code == 0, result.output
    rows = read(out)
    assert rows and {r["queue"] for r in rows} == {"voice"}
    assert ics.read_text(encoding="utf-8").count("BEGIN:VEVENT") == len(rows)
    assert "no rule broken" in result.output


def test_schedule_refuses_fractional_heads(tmp_path):
    required, agents = tmp_path / "required.csv", tmp_path / "agents.csv"
    required.write_text("interval_start,queue,heads\n2026-03-02T09:00,voice,2.5\n", encoding="utf-8")
    agents.write_text("agent_id,skills\na1,voice\n", encoding="utf-8")
    result = runner.invoke(
        wfm_app, ["schedule", str(required), "--agents", str(agents), "--out", str(tmp_path / "r.csv")]
    )
    assert result.exit_code == 1 and "line 2 heads" in result.output
