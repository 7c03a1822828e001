"""Department handoffs from the ticket page: hand a task to a department (with a deadline in business
hours; the department's owner is named through the API), and record its reply or bounce-back. Both go through
kefu.tickets.handoffs (the same checks and history as the API's `POST /tickets/{id}/handoffs` and
`…/handoffs/{id}/reply|bounce`); the section re-renders itself with the refusal next to its field.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Response
from fastapi.responses import HTMLResponse

from kefu.core import clock
from kefu.core.errors import Conflict, InvalidInput, NotFound
from kefu.tickets import access, handoffs
from kefu.tickets.models import Ticket
from kefu.web.console.labels import N_
from kefu.web.console.page import Page, PageDep, see_other
from kefu.web.console.tickets import P, ticket_context, ticket_in_reach

router = APIRouter(prefix="/console/tickets", include_in_schema=False)
Text = Annotated[str, Form(max_length=6000)]
Choice = Annotated[str, Form(max_length=20)]
MAX_TASK = 5000
MAX_HOURS = 720
ERRORS = {
    "department_id": N_("Choose a department."),
    "task": N_("Say what the department should do (5,000 characters at most)."),
    "response_hours": N_("Give the business hours to answer, more than 0 and at most 720."),
    "status": N_("A solved or closed ticket cannot be handed off; reopen it first."),
    "answer": N_("Write the department's answer (5,000 characters at most)."),
    "outcome": N_("Choose whether the department replied or sent it back."),
    "handoff_closed": N_("This handoff was already answered."),
}


def _section(page: Page, ticket: Ticket, status_code: int, **extra: Any) -> Response:
    context = ticket_context(page, ticket, **extra)
    return page.render("tickets/_handoffs.html", status_code=status_code, **context)


@router.post("/{ticket_id}/handoffs", response_class=HTMLResponse)
def post_handoff(
    ticket_id: int,
    page: PageDep,
    department_id: Choice = "",
    task: Text = "",
    response_hours: Choice = "8",
) -> Response:
    ticket = ticket_in_reach(page, ticket_id, P.tickets_write, for_update=True)
    if isinstance(ticket, Response):
        return ticket
    values = {"department_id": department_id, "task": task, "response_hours": response_hours}
    field, status_code = _check_handoff(values), 422
    if field is None:
        try:
            with page.session.begin_nested():
                handoffs.do_hand_off(
                    page.session, ticket=ticket, department_id=int(department_id), task=task.strip(),
                    owner_id=None, response_hours=float(response_hours),
                    actor_id=page.actor.user_id, now=clock.now(),
                )  # fmt: skip
        except (InvalidInput, Conflict) as exc:
            field = exc.field or "department_id"
            status_code = 409 if isinstance(exc, Conflict) else 422
        else:
            return see_other(page.request, f"/console/tickets/{ticket.id}")
    return _section(page, ticket, status_code, handoff_errors={field: ERRORS[field]}, handoff_values=values)


def _check_handoff(values: dict[str, str]) -> str | None:
    """The first field of the form that is malformed (the action checks that the department exists)."""
    if not values["department_id"].isdigit():
        return "department_id"
    if not 1 <= len(values["task"].strip()) <= MAX_TASK:
        return "task"
    try:
        hours = float(values["response_hours"])
    except ValueError:
        return "response_hours"
    return None if 0 < hours <= MAX_HOURS else "response_hours"


@router.post("/{ticket_id}/handoffs/{handoff_id}/answer", response_class=HTMLResponse)
def post_answer(
    ticket_id: int, handoff_id: int, page: PageDep, answer: Text = "", outcome: Choice = ""
) -> Response:
    """The department's answer, recorded on the ticket: replied, or sent back (bounced)."""
    ticket = ticket_in_reach(page, ticket_id, P.tickets_write, for_update=True)
    if isinstance(ticket, Response):
        return ticket
    assert page.actor is not None
    field, status_code = None, 422
    if outcome not in ("replied", "bounced"):
        field = "outcome"
    elif not 1 <= len(answer.strip()) <= MAX_TASK:
        field = "answer"
    else:
        try:
            with page.session.begin_nested():
                ticket, handoff = access.access_handoff(page.session, page.actor, ticket.id, handoff_id)
                handoffs.do_answer_handoff(
                    page.session, ticket=ticket, handoff=handoff, answer=answer.strip(), outcome=outcome,
                    actor_id=page.actor.user_id, now=clock.now(),
                )  # fmt: skip
        except NotFound:
            return page.render("not_found.html", status_code=404)
        except Conflict:
            field, status_code = "handoff_closed", 409
        else:
            return see_other(page.request, f"/console/tickets/{ticket.id}")
    errors = {handoff_id: {field: ERRORS[field]}}
    return _section(page, ticket, status_code, answer_errors=errors, answer_values={handoff_id: answer})
