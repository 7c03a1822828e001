"""Admin: SLA policies and business calendars (`config:manage`).

Edits go through kefu.tickets.sla_actions (do_put_calendar, do_put_policy), which validate the whole
configuration by building the pure policy book and make the open tickets of a changed policy due, so the
sweeper re-times them. The page only turns form text into the values those actions take.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Form, Query, Response
from fastapi.responses import HTMLResponse

from kefu.access.permissions import Permission
from kefu.core import clock
from kefu.core.errors import KefuError
from kefu.tickets import sla_actions
from kefu.tickets.policies import stored_config, stored_escalation
from kefu.tickets.sla import SlaMetric
from kefu.web.console.admin_common import render_admin, text
from kefu.web.console.labels import N_
from kefu.web.console.page import Page, PageDep, see_other

router = APIRouter(prefix="/console/admin/sla", include_in_schema=False)
P = Permission
Field = Annotated[str, Form(max_length=20000)]
NAME = re.compile(r"^[a-z0-9_]{1,60}$")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
METRICS = [m.value for m in SlaMetric]
MINUTE = 60
WEEKDAY_WORDS = {
    "mon": N_("Monday"),
    "tue": N_("Tuesday"),
    "wed": N_("Wednesday"),
    "thu": N_("Thursday"),
    "fri": N_("Friday"),
    "sat": N_("Saturday"),
    "sun": N_("Sunday"),
}
METRIC_WORDS = {
    "first_response": N_("First response"),
    "next_response": N_("Next response"),
    "resolution": N_("Resolution"),
}

ESCALATION_LEVELS = ("agent", "team_lead", "supervisor")
LEVEL_WORDS = {"agent": N_("Agent"), "team_lead": N_("Team lead"), "supervisor": N_("Supervisor")}

ERRORS = {
    "name": N_("Use 1–60 lower-case letters, digits or _."),
    "hours": N_("Write one weekday or range per line, then its hours, e.g. mon-fri 09:00-18:00."),
    "dates": N_("Write dates as YYYY-MM-DD, one per line."),
    "timezone": N_("Give a time zone such as Asia/Shanghai."),
    "sla": N_("This configuration is not valid; check the hours, dates and time zone."),
    "calendar": N_("Choose a calendar."),
    "targets": N_("Give at least one target, in minutes greater than zero."),
    "warn": N_("Warnings are given in minutes, zero or more, before the target."),
    "position": N_("Give a number from 0 to 1000."),
    "policy": N_("This policy is not valid; check the targets and conditions."),
}


def _hours_text(hours: dict[str, list[str]]) -> str:
    return "\n".join(f"{day} {' '.join(ranges)}" for day, ranges in hours.items())


def _parse_hours(value: str) -> dict[str, list[str]]:
    hours: dict[str, list[str]] = {}
    for line in value.splitlines():
        parts = line.split()
        if not parts:
            continue
        if len(parts) < 2 or not re.fullmatch(r"[a-z]{3}(-[a-z]{3})?", parts[0]):
            raise ValueError(line)
        if not all(re.fullmatch(r"\d{2}:\d{2}-\d{2}:\d{2}", r) for r in parts[1:]):
            raise ValueError(line)
        hours.setdefault(parts[0], []).extend(parts[1:])
    return hours


def _parse_dates(value: str) -> list[str]:
    days = [d for d in re.split(r"[\s,]+", value) if d]
    for day in days:
        date.fromisoformat(day)  # ValueError for anything but YYYY-MM-DD
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", day):
            raise ValueError(day)
    return sorted(set(days))


def _zone_exists(name: str) -> bool:
    if not name or len(name) > 60:
        return False
    try:
        ZoneInfo(name)
    except (ValueError, ZoneInfoNotFoundError):
        return False
    return True


def _words(value: str) -> list[str]:
    return [w for w in re.split(r"[\s,]+", value) if w]


def _context(page: Page, **extra: Any) -> dict[str, Any]:
    calendars, policies = stored_config(page.session)
    return {
        "calendars": calendars,
        "policies": sorted(policies, key=lambda p: (p.get("position", 0), p["name"])),
        "weekdays": WEEKDAYS,
        "weekday_words": WEEKDAY_WORDS,
        "metric_words": METRIC_WORDS,
        "metrics": METRICS,
        "hours_text": _hours_text,
        "escalation": stored_escalation(page.session),
        "escalation_levels": ESCALATION_LEVELS,
        "level_words": LEVEL_WORDS,
        "escalation_errors": {},
        "calendar_form": {"holidays": "china"},
        "policy_form": {},
        "calendar_errors": {},
        "policy_errors": {},
        **extra,
    }


def sla_page(page: Page, status_code: int = 200, **extra: Any) -> Response:
    return render_admin(page, "admin/sla.html", "sla", status_code, **_context(page, **extra))


def _calendar_form(calendar: dict[str, Any]) -> dict[str, Any]:
    return {
        "name": calendar["name"],
        "timezone": calendar.get("timezone", "Asia/Shanghai"),
        "hours": _hours_text(calendar.get("hours") or {}),
        "holidays": calendar.get("holidays", "china"),
        "extra_holidays": "\n".join(calendar.get("extra_holidays") or []),
        "extra_workdays": "\n".join(calendar.get("extra_workdays") or []),
        "makeup_weekday": calendar.get("makeup_weekday", "mon"),
    }


def _policy_form(policy: dict[str, Any]) -> dict[str, Any]:
    targets = {t["metric"]: t for t in policy.get("targets", [])}
    conditions = policy.get("conditions") or {}
    form = {
        "name": policy["name"],
        "calendar": policy.get("calendar", ""),
        "position": str(policy.get("position", 0)),
        "is_default": bool(policy.get("is_default")),
        **{k: ", ".join(conditions.get(k, [])) for k in ("channels", "types", "priorities", "tiers")},
    }
    for metric in METRICS:
        target = targets.get(metric)
        form[metric] = f"{target['seconds'] / MINUTE:g}" if target else ""
        form[f"{metric}_warn"] = f"{target.get('warn_before', 0) / MINUTE:g}" if target else ""
    return form


@router.get("", response_class=HTMLResponse)
def get_sla(
    page: PageDep,
    calendar: Annotated[str | None, Query(max_length=60)] = None,
    policy: Annotated[str | None, Query(max_length=60)] = None,
) -> Response:
    if (denied := page.refuse(P.config_manage)) is not None:
        return denied
    calendars, policies = stored_config(page.session)
    chosen_calendar = next((c for c in calendars if c["name"] == calendar), None)
    chosen_policy = next((p for p in policies if p["name"] == policy), None)
    return sla_page(
        page,
        calendar_form=_calendar_form(chosen_calendar) if chosen_calendar else {"holidays": "china"},
        policy_form=_policy_form(chosen_policy) if chosen_policy else {},
    )


@router.post("/calendars", response_class=HTMLResponse)
def post_calendar(
    page: PageDep,
    name: Field = "",
    timezone: Field = "Asia/Shanghai",
    hours: Field = "",
    holidays: Field = "china",
    extra_holidays: Field = "",
    extra_workdays: Field = "",
    makeup_weekday: Field = "mon",
) -> Response:
    """Create or replace a calendar: weekly hours, holiday set, extra holidays and make-up working days."""
    if (denied := page.refuse(P.config_manage)) is not None:
        return denied
    form = {
        "name": text(name), "timezone": text(timezone), "hours": hours, "holidays": holidays,
        "extra_holidays": extra_holidays, "extra_workdays": extra_workdays, "makeup_weekday": makeup_weekday,
    }  # fmt: skip
    errors: dict[str, str] = {}
    values: dict[str, Any] = {"name": form["name"], "timezone": form["timezone"]}
    if not NAME.match(form["name"]):
        errors["name"] = ERRORS["name"]
    if not _zone_exists(form["timezone"]):
        errors["timezone"] = ERRORS["timezone"]
    try:
        values["hours"] = _parse_hours(hours)
    except ValueError:
        errors["hours"] = ERRORS["hours"]
    values["holidays"] = holidays if holidays in ("china", "none") else "china"
    for field in ("extra_holidays", "extra_workdays"):
        try:
            values[field] = _parse_dates(form[field])
        except ValueError:
            errors[field] = ERRORS["dates"]
    values["makeup_weekday"] = makeup_weekday if makeup_weekday in WEEKDAYS else "mon"
    if not errors:
        try:
            with page.session.begin_nested():
                sla_actions.do_put_calendar(page.session, values=values, now=clock.now())
        except KefuError:
            errors["form"] = ERRORS["sla"]
        else:
            return see_other(page.request, "/console/admin/sla")
    return sla_page(page, 422, calendar_form=form, calendar_errors=errors, policy_form={})


@router.post("/policies", response_class=HTMLResponse)
def post_policy(
    page: PageDep,
    name: Field = "",
    calendar: Field = "",
    position: Field = "0",
    is_default: Field = "",
    channels: Field = "",
    types: Field = "",
    priorities: Field = "",
    tiers: Field = "",
    first_response: Field = "",
    first_response_warn: Field = "",
    next_response: Field = "",
    next_response_warn: Field = "",
    resolution: Field = "",
    resolution_warn: Field = "",
) -> Response:
    """Create or replace a policy: targets in business minutes on a calendar, and when it applies."""
    if (denied := page.refuse(P.config_manage)) is not None:
        return denied
    form: dict[str, Any] = {
        "name": name, "calendar": calendar, "position": position, "is_default": bool(is_default),
        "channels": channels, "types": types, "priorities": priorities, "tiers": tiers,
        "first_response": first_response, "first_response_warn": first_response_warn,
        "next_response": next_response, "next_response_warn": next_response_warn,
        "resolution": resolution, "resolution_warn": resolution_warn,
    }  # fmt: skip
    errors: dict[str, str] = {}
    name = text(name)
    if not NAME.match(name):
        errors["name"] = ERRORS["name"]
    targets = []
    try:
        for metric in METRICS:
            minutes = text(form.get(metric))
            if not minutes:
                continue
            seconds = float(minutes) * MINUTE
            warn = float(text(form.get(f"{metric}_warn")) or 0) * MINUTE
            if not (0 < seconds < 1e9 and 0 <= warn < 1e9):
                raise ValueError(metric)
            targets.append({"metric": metric, "seconds": seconds, "warn_before": warn})
    except ValueError:
        errors["targets"] = ERRORS["targets"]
    if not targets and "targets" not in errors:
        errors["targets"] = ERRORS["targets"]
    position = text(position) or "0"
    if not position.isdigit() or int(position) > 1000:
        errors["position"] = ERRORS["position"]
    conditions = {k: _words(form.get(k, "")) for k in ("channels", "types", "priorities", "tiers")}
    values = {
        "name": name,
        "calendar": text(form.get("calendar")),
        "targets": targets,
        "conditions": conditions if any(conditions.values()) else None,
        "position": int(position) if position.isdigit() else 0,
        "is_default": form["is_default"],
    }
    if not errors:
        try:
            with page.session.begin_nested():
                sla_actions.do_put_policy(page.session, values=values, now=clock.now())
        except KefuError:
            errors["form"] = ERRORS["policy"]
        else:
            return see_other(page.request, "/console/admin/sla")
    return sla_page(page, 422, policy_form=form, policy_errors=errors, calendar_form={"holidays": "china"})
