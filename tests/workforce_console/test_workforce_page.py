import json
import re
from datetime import UTC, date, datetime
from html import unescape

import pytest

from kefu.access.roles import Role
from kefu.core.clock import FrozenClock, use_clock
from kefu.demo.load import load
from kefu.web.console import workforce

ANCHOR = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def fresh_plan_cache():
    workforce._cache.clear()
    yield
    workforce._cache.clear()


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
