"""The workforce plan page: next week's required vs scheduled heads per queue, as a heat map.

The plan (forecast from the last four weeks, Erlang staffing, a CP-SAT head-count plan) takes seconds,
so it is computed once per centre day and kept in the process until the day changes.
"""

from __future__ import annotations

import json
import threading
from datetime import date, timedelta
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from kefu.access.permissions import Permission
from kefu.core import clock
from kefu.web.console.page import Page, PageDep, sign_in_redirect
from kefu.workforce.errors import WorkforceInputError
from kefu.workforce.forecast import MIN_HISTORY_DAYS
from kefu.workforce.history import contact_history
from kefu.workforce.planning import WeekPlan, week_plan

router = APIRouter(prefix="/console", include_in_schema=False)
HISTORY_DAYS = 28
_cache: dict[date, WeekPlan | None] = {}
_lock = threading.Lock()


def _plan(page: Page) -> WeekPlan | None:
    """Next week's plan from history up to yesterday; None while there is too little history."""
    timezone = page.request.app.state.runtime.settings.timezone
    today = clock.now().astimezone(ZoneInfo(timezone)).date()
    with _lock:
        if today not in _cache:
            history, channels = contact_history(
                page.session, today - timedelta(days=HISTORY_DAYS), today - timedelta(days=1), timezone
            )
            try:
                _cache.clear()
                _cache[today] = week_plan(history, channels) if history else None
            except WorkforceInputError:
                _cache[today] = None  # too little history for a forecast
        return _cache[today]


def _chart(plan: WeekPlan) -> dict[str, object]:
    heat = plan.heat_map
    days = [(plan.first_day + timedelta(days=d)).isoformat() for d in range(plan.days)]
    return {
        "days": days,
        "periods": list(heat.period_labels),
        "queues": [
            {
                "queue": q,
                # [period, day, scheduled − required, required, scheduled], as ECharts' heat map wants
                "cells": [
                    [p, d, int(heat.gap[q][d][p]), int(heat.required[q][d][p]), int(heat.scheduled[q][d][p])]
                    for d in range(plan.days)
                    for p in range(len(heat.period_labels))
                ],
            }
            for q in heat.queues
        ],
    }


@router.get("/workforce", response_class=HTMLResponse)
def get_workforce(page: PageDep) -> Response:
    if page.actor is None:
        return sign_in_redirect(page.request)
    if not page.can(Permission.reports_read):
        return page.forbidden()
    plan = _plan(page)
    if plan is None:
        return page.render("workforce.html", plan=None, min_days=MIN_HISTORY_DAYS)
    rows = [
        {
            "queue": f.queue,
            "method": f.method,
            "wape": next((a.wape for a in f.accuracy if a.method == f.method), None),
            "required": int(plan.heat_map.required[f.queue].sum()),
            "under": plan.under[f.queue],
            "over": plan.over[f.queue],
        }
        for f in plan.forecasts
    ]
    return page.render("workforce.html", plan=plan, rows=rows, chart=json.dumps(_chart(plan)))
