"""Admin: the escalation chain on the SLA page (`config:manage`) — which levels above the agent exist,
the steps that climb them (on an SLA clock's warning or deadline, plus business minutes), and where a
major complaint goes at once. Saved by kefu.tickets.sla_actions.do_put_escalation (the same check as
`PUT /api/v1/sla/escalation`), after which the sweeper re-times every open ticket.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse

from kefu.core import clock
from kefu.core.errors import KefuError
from kefu.tickets import sla_actions
from kefu.web.console.admin_common import P, text
from kefu.web.console.admin_sla import ESCALATION_LEVELS, MINUTE, sla_page
from kefu.web.console.labels import N_
from kefu.web.console.page import PageDep, see_other

router = APIRouter(prefix="/console/admin/sla", include_in_schema=False)
Values = Annotated[list[str] | None, Form()]
Choice = Annotated[str, Form(max_length=20)]
TRIGGERS = ("at_risk", "breach")

ERRORS = {
    "steps": N_("Give each step a trigger and zero or more business minutes."),
    "escalation": N_("Every step's level must be in the chain, and the chain needs a level above the agent."),
}


@router.post("/escalation", response_class=HTMLResponse)
def post_escalation(
    page: PageDep,
    chain: Values = None,
    step_level: Values = None,
    step_on: Values = None,
    step_after: Values = None,
    major_complaint_level: Choice = "supervisor",
) -> Response:
    """Replace the chain: the agent first, then the checked levels in rank order; empty step rows are
    left out."""
    if (denied := page.refuse(P.config_manage)) is not None:
        return denied
    levels = ["agent", *(lv for lv in ESCALATION_LEVELS[1:] if lv in (chain or []))]
    form = {"chain": levels, "steps": [], "major_complaint_level": major_complaint_level}
    try:
        form["steps"] = _steps(step_level or [], step_on or [], step_after or [])
    except ValueError:
        return sla_page(page, 422, escalation=form, escalation_errors={"steps": ERRORS["steps"]})
    try:
        with page.session.begin_nested():
            sla_actions.do_put_escalation(page.session, values=form, now=clock.now())
    except KefuError:
        return sla_page(page, 422, escalation=form, escalation_errors={"escalation": ERRORS["escalation"]})
    return see_other(page.request, "/console/admin/sla#escalation")


def _steps(levels: list[str], triggers: list[str], minutes: list[str]) -> list[dict[str, Any]]:
    """The form's step rows (parallel lists) as the action takes them; ValueError for a malformed row."""
    if not len(levels) == len(triggers) == len(minutes):
        raise ValueError("the form's step lists differ in length")
    steps = []
    for level, trigger, after in zip(levels, triggers, minutes, strict=True):
        if not level:
            continue
        seconds = float(text(after) or 0) * MINUTE
        if trigger not in TRIGGERS or not 0 <= seconds < 1e9:
            raise ValueError(trigger)
        steps.append({"level": level, "on": trigger, "after_seconds": seconds})
    return steps
