"""The workforce plan page: next week's required vs scheduled heads per queue, as a heat map."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi import APIRouter, Response
from fastapi.responses import HTMLResponse

from kefu.access.permissions import Permission
from kefu.core import clock
from kefu.web.console.page import Page, PageDep, sign_in_redirect
from kefu.workforce.forecast import MIN_HISTORY_DAYS
from kefu.workforce.planning import WeekPlan
from kefu.workforce.service import local_today, plan_for

router = APIRouter(prefix="/console", include_in_schema=False)


def _plan(page: Page) -> WeekPlan | None:
    timezone = page.request.app.state.runtime.settings.timezone
    return plan_for(page.session, local_today(clock.now(), timezone), timezone)


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
    if not page.can(Permission.workforce_read):
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
