import json
import re
from datetime import UTC, date, datetime
from html import unescape

import pytest

from kefu.access.roles import Role
from kefu.core.clock import FrozenClock, use_clock
from kefu.demo.load import load
from kefu.workforce import service

ANCHOR = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def fresh_plan_cache():
    service.forget_plans()
    yield
    service.forget_plans()


def test_supervisor_sees_next_weeks_plan_from_history(client, runtime, factory):
    load(runtime.sessions, ANCHOR, show_progress=False)
    headers = factory.auth(factory.user(Role.supervisor))
    with use_clock(FrozenClock(datetime(2026, 3, 1, 2, tzinfo=UTC))):  # 10:00 in Shanghai
        page = client.get("/console/workforce", headers=headers)
    assert page.status_code == 200
    html = page.text
    assert "voice_general" in html and "chat_presales" in html
    chart = json.loads(unescape(re.search(r'data-chart="([^"]*)"', html).group(1)))
    assert chart["days"][0] == "2026-03-01" and len(chart["days"]) == 7 and len(chart["periods"]) == 48
    voice = next(q for q in chart["queues"] if q["queue"] == "voice_general")
    cells = {(p, d): (gap, req, sched) for p, d, gap, req, sched in voice["cells"]}
    assert all(gap == sched - req for gap, req, sched in cells.values())
    # The demo's day curve: late morning needs more people than the small hours.
    assert cells[(21, 1)][1] > cells[(7, 1)][1]
    assert sum(req for _, req, _ in cells.values()) > 0


def test_the_plan_needs_enough_history_and_the_right_role(client, factory):
    supervisor = factory.auth(factory.user(Role.supervisor))
    page = client.get("/console/workforce", headers={**supervisor, "Accept-Language": "en"})
    assert page.status_code == 200 and "at least 14 days" in page.text
    agent = factory.auth(factory.user(Role.agent))
    assert client.get("/console/workforce", headers=agent).status_code == 403
    assert client.get("/console/workforce", follow_redirects=False).status_code in (302, 303, 307)


def test_surge_is_raised_when_today_runs_far_above_the_plan(client, runtime, factory):
    from datetime import timedelta

    from kefu.channels.models import Conversation
    from kefu.routing.models import Queue

    load(runtime.sessions, ANCHOR, show_progress=False)
    headers = factory.auth(factory.user(Role.supervisor))
    now = datetime(2026, 3, 1, 2, 10, tzinfo=UTC)  # 10:10 in Shanghai; the next interval starts 10:30
    with use_clock(FrozenClock(now)):
        calm = {s["queue"]: s for s in client.get("/api/v1/workforce/surge", headers=headers).json()}
        assert calm["voice_general"]["interval_start"] == "2026-03-01T10:30:00"
        with runtime.sessions() as session, session.begin():
            voice = session.query(Queue).filter_by(code="voice_general").one()
            for i in range(1500):  # a flood of calls this morning, far above a quiet Sunday
                at = now - timedelta(hours=2) + timedelta(seconds=i * 4.5)
                session.add(
                    Conversation(
                        public_id=f"flood{i}",
                        customer_id=1,
                        channel="voice",
                        status="ended",
                        queue_id=voice.id,
                        started_at=at,
                        queued_at=at,
                    )
                )
        surge = {s["queue"]: s for s in client.get("/api/v1/workforce/surge", headers=headers).json()}
    flooded = surge["voice_general"]
    assert flooded["active"] and not calm["voice_general"]["active"]
    assert (
        flooded["load_ratio"] > 1.2
        and flooded["expected_volume"] > 5 * calm["voice_general"]["expected_volume"]
    )
    assert flooded["offered_erlangs"] == pytest.approx(
        flooded["expected_volume"] * flooded["aht_seconds"] / 1800
    )
    assert (
        client.get("/api/v1/workforce/surge", headers=factory.auth(factory.user(Role.agent))).status_code
        == 403
    )


def test_history_export_feeds_the_forecast_command(tmp_path, monkeypatch):
    from typer.testing import CliRunner

    from kefu.cli import app

    monkeypatch.delenv("KEFU_DATABASE_URL", raising=False)
    runner = CliRunner()
    data = tmp_path / "centre"
    assert runner.invoke(app, ["demo", "--data-dir", str(data), "--no-serve"]).exit_code == 0
    exported = runner.invoke(
        app, ["wfm", "history", "--data-dir", str(data), "--out", str(tmp_path / "h.csv")]
    )
    assert exported.exit_code == 0, exported.output
    lines = (tmp_path / "h.csv").read_text().splitlines()
    assert lines[0] == "interval_start,queue,volume,aht_seconds" and len(lines) > 500
    forecast = runner.invoke(
        app, ["wfm", "forecast", str(tmp_path / "h.csv"), "--out", str(tmp_path / "f.csv"), "--days", "7"]
    )
    assert forecast.exit_code == 0, forecast.output
    assert "voice_general" in (tmp_path / "f.csv").read_text()


def test_the_wallboard_shows_a_surge_once_the_plan_exists(client, runtime, factory):
    from datetime import timedelta

    from kefu.channels.models import Conversation
    from kefu.routing.models import Queue

    load(runtime.sessions, ANCHOR, show_progress=False)
    headers = {**factory.auth(factory.user(Role.supervisor)), "Accept-Language": "zh-CN"}
    now = datetime(2026, 3, 1, 2, 10, tzinfo=UTC)
    with use_clock(FrozenClock(now)):
        with runtime.sessions() as session, session.begin():
            voice = session.query(Queue).filter_by(code="voice_general").one()
            for i in range(1500):
                at = now - timedelta(hours=2) + timedelta(seconds=i * 4.5)
                session.add(
                    Conversation(
                        public_id=f"flood{i}",
                        customer_id=1,
                        channel="voice",
                        status="ended",
                        queue_id=voice.id,
                        started_at=at,
                        queued_at=at,
                    )
                )
        before = client.get("/console/wallboard/panel", headers=headers).text
        service.warm_plan(runtime.sessions, now, "Asia/Shanghai")
        after = client.get("/console/wallboard/panel", headers=headers).text
    assert 'data-surge="on"' not in before  # no plan yet: the wallboard never waits for one
    assert 'data-surge="on"' in after and "高峰应急" in after and 'data-queue="voice_general"' in after


def test_team_leads_do_not_see_the_centre_wide_plan(client, factory):
    lead = factory.auth(factory.user(Role.team_lead, factory.team()))
    assert client.get("/console/workforce", headers=lead).status_code == 403
    assert client.get("/api/v1/workforce/surge", headers=lead).status_code == 403
