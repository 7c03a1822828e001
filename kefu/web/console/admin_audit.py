"""Admin: the audit log, searched by actor, action and date range, newest first (`audit:read`).

Read through kefu.access.audit.search_audit; pages go back with `before_id` (the last id shown), so a
page stays correct while new entries are appended. Dates are days in the centre's time zone.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timedelta
from typing import Annotated
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Query, Response
from fastapi.responses import HTMLResponse

from kefu.access.access import display_names, list_users
from kefu.access.audit import search_audit
from kefu.access.permissions import Permission
from kefu.web.console.admin_common import optional_id, render_admin, text
from kefu.web.console.labels import N_
from kefu.web.console.page import PageDep

router = APIRouter(prefix="/console/admin/audit", include_in_schema=False)
PAGE_SIZE = 50
Short = Annotated[str | None, Query(max_length=60)]

ERRORS = {
    "actor_id": N_("Choose a person from the list."),
    "since": N_("Give a date as YYYY-MM-DD."),
    "until": N_("Give a date as YYYY-MM-DD, not before the first day."),
}


def _day(value: str | None, zone: ZoneInfo) -> datetime | None:
    value = text(value)
    if not value:
        return None
    return datetime.combine(date.fromisoformat(value), time(0), zone)


@router.get("", response_class=HTMLResponse)
def get_audit(
    page: PageDep,
    actor_id: Short = None,
    action: Short = None,
    since: Short = None,
    until: Short = None,
    before_id: Short = None,
) -> Response:
    if (denied := page.refuse(Permission.audit_read)) is not None:
        return denied
    assert page.actor is not None
    zone = ZoneInfo(page.request.app.state.runtime.settings.timezone)
    errors: dict[str, str] = {}
    try:
        actor = optional_id(actor_id)
    except ValueError:
        errors["actor_id"], actor = ERRORS["actor_id"], None
    try:
        first = _day(since, zone)
    except ValueError:
        errors["since"], first = ERRORS["since"], None
    try:
        last = _day(until, zone)  # the whole day: until the next midnight
        last = last + timedelta(days=1) if last else None
    except ValueError:
        errors["until"], last = ERRORS["until"], None
    if first and last and last <= first:
        errors["until"] = ERRORS["until"]
    try:
        before = optional_id(before_id)
    except ValueError:
        before = None
    entries = []
    if not errors:
        entries = list(
            search_audit(
                page.session,
                actor_id=actor,
                action=text(action) or None,
                since=first,
                until=last,
                before_id=before,
                limit=PAGE_SIZE + 1,
            )  # fmt: skip
        )
    more = len(entries) > PAGE_SIZE
    entries = entries[:PAGE_SIZE]
    query = {
        k: v
        for k, v in {"actor_id": actor_id, "action": action, "since": since, "until": until}.items()
        if text(v)
    }
    return render_admin(
        page, "admin/audit.html", "audit", 422 if errors else 200,
        entries=entries, names=display_names(page.session, {e.actor_id for e in entries}),
        people=list_users(page.session, page.actor, limit=200), query=query,
        next_before=entries[-1].id if more and entries else None, errors=errors,
        details=lambda e: json.dumps(e.details, ensure_ascii=False, sort_keys=True) if e.details else "",
    )  # fmt: skip
