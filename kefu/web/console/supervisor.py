"""The supervisor wallboard: per-queue figures for today, refreshed in place by htmx polling."""

from __future__ import annotations

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from kefu.access.permissions import Permission
from kefu.core import clock
from kefu.web.console.page import Page, PageDep
from kefu.web.console.wallboard import agent_lines, start_of_day, wallboard
from kefu.web.security_headers import CHART_CONTENT_SECURITY_POLICY
from kefu.workforce.service import surge_now

router = APIRouter(prefix="/console", include_in_schema=False)
# Seconds between refreshes: the figures move by the minute; a busy wallboard costs one query pair a poll.
REFRESH_SECONDS = 5


def _figures(page: Page) -> dict[str, object]:
    now = clock.now()
    timezone = page.request.app.state.runtime.settings.timezone
    board = wallboard(page.session, page.actor, since=start_of_day(now, timezone), now=now, timezone=timezone)
    hourly = board.hourly
    chart = {
        "hours": [f"{h:02d}" for h in hourly.hours],
        "offered": hourly.offered,
        "answered": hourly.answered,
    }
    assert page.actor is not None
    agents = agent_lines(page.session, page.actor)
    # The surge check is centre-wide: shown to those who see the whole centre.
    surge = (
        [s.evidence for s in surge_now(page.session, now, timezone, compute=False) if s.active]
        if page.can(Permission.workforce_read)
        else []
    )
    return {
        "queues": board.queues,
        "agents": agents,
        "chart": chart,
        "refresh": REFRESH_SECONDS,
        "surge": surge,
    }


@router.get("/wallboard", response_class=HTMLResponse)
def get_wallboard(page: PageDep) -> Response:
    if (denied := page.refuse(Permission.reports_read)) is not None:
        return denied
    response = page.render("wallboard.html", **_figures(page))
    response.headers["Content-Security-Policy"] = CHART_CONTENT_SECURITY_POLICY
    return response


@router.get("/wallboard/panel", response_class=HTMLResponse)
def get_wallboard_panel(page: PageDep) -> Response:
    if (denied := page.refuse(Permission.reports_read)) is not None:
        return denied
    return page.render("_wallboard_panel.html", **_figures(page))
