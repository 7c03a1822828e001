"""Ticket views: the list with filters and the ticket page (SLA countdowns, escalation, handoffs, history).

Reads go through kefu.tickets.access (the reader's scope is part of every query); every change goes
through kefu.tickets.actions, so the status machine, SLA clocks and history apply exactly as over the API.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import cache
from typing import Annotated, Any

from fastapi import APIRouter, Form, Query, Response
from fastapi.responses import HTMLResponse

from kefu.access.access import colleague_names, display_names, list_departments, list_teams
from kefu.access.permissions import Permission
from kefu.core import clock, i18n
from kefu.core.clock import as_utc
from kefu.core.errors import Conflict, InvalidInput, NotFound
from kefu.customers.access import access_customer_by_id
from kefu.tickets import access, actions
from kefu.tickets.access import TicketFilter
from kefu.tickets.attachments import attachments_of
from kefu.tickets.conversations import linked_conversations
from kefu.tickets.kinds import TicketType
from kefu.tickets.lifecycle import TicketStatus, allowed_transitions
from kefu.tickets.models import Ticket
from kefu.tickets.policies import sla_setup
from kefu.tickets.timing import countdowns
from kefu.web.console.labels import N_
from kefu.web.console.page import Page, PageDep, see_other

router = APIRouter(prefix="/console/tickets", include_in_schema=False)
P = Permission
PAGE_SIZE = 50
SLA_STATES = ("ok", "at_risk", "breached")

# The console's words for ticket codes (msgids; templates translate them with `word(kind, code)`).
WORDS: dict[str, dict[str, str]] = {
    "status": {
        "new": N_("New ticket"),
        "open": N_("Open"),
        "pending": N_("Pending"),
        "on_hold": N_("On hold"),
        "solved": N_("Solved"),
        "closed": N_("Closed"),
    },
    "type": {
        "inquiry": N_("Inquiry"),
        "complaint": N_("Complaint"),
        "suggestion": N_("Suggestion"),
        "repair": N_("Repair"),
        "refund": N_("Refund"),
    },
    "priority": {"low": N_("Low"), "normal": N_("Normal"), "high": N_("High"), "urgent": N_("Urgent")},
    "sla_state": {"ok": N_("On track"), "at_risk": N_("At risk"), "breached": N_("Breached")},
    "metric": {
        "first_response": N_("First response"),
        "next_response": N_("Next response"),
        "resolution": N_("Resolution"),
    },
    "level": {"agent": N_("Agent"), "team_lead": N_("Team lead"), "supervisor": N_("Supervisor")},
    "handoff": {"open": N_("Open"), "replied": N_("Replied"), "bounced": N_("Bounced")},
    "event": {
        "created": N_("Ticket created"),
        "updated": N_("Edited"),
        "status": N_("Status changed"),
        "reply": N_("Public reply"),
        "note": N_("Internal note"),
        "customer_message": N_("Customer wrote"),
        "assigned": N_("Assigned"),
        "queued": N_("Queued"),
        "escalated": N_("Escalated"),
        "handoff": N_("Handed off"),
        "handoff_replied": N_("Department replied"),
        "handoff_bounced": N_("Department sent it back"),
        "handoff_overdue": N_("Handoff overdue"),
        "conversation_linked": N_("Conversation linked"),
        "conversation_unlinked": N_("Conversation unlinked"),
        "attachment": N_("File attached"),
        "automation": N_("Automation ran"),
        "automation_error": N_("Automation failed"),
        "automation_stopped": N_("Automation stopped"),
    },
}


@cache
def _translated(language: str) -> dict[str, dict[str, str]]:
    translate = i18n.translations(language).gettext
    return {kind: {code: translate(msgid) for code, msgid in codes.items()} for kind, codes in WORDS.items()}


def wording(language: str) -> Callable[[str, str | None], str]:
    """`word("status", code)` in templates: the reader's word for a ticket code (a dict lookup, translated
    once per language); an unknown code shows as itself."""
    table = _translated(language)

    def word(kind: str, code: str | None) -> str:
        return table[kind].get(code or "", code or "")

    return word


OptionalId = Annotated[str | None, Query(max_length=12)]
Short = Annotated[str | None, Query(max_length=20)]


def _choice(value: str | None, allowed: Any, field: str) -> str | None:
    if not value:
        return None
    if value not in {str(v) for v in allowed}:
        raise InvalidInput(f"{field}: {value!r} is not one of {', '.join(map(str, allowed))}", field=field)
    return value


def _id(value: str | None, field: str) -> int | None:
    if not value:
        return None
    if not value.isdigit() or int(value) < 1:
        raise InvalidInput(f"{field}: give a positive number", field=field)
    return int(value)


def _filters(
    status: str | None, type: str | None, sla_state: str | None, team_id: str | None, assignee_id: str | None
) -> TicketFilter:
    return TicketFilter(
        status=_choice(status, list(TicketStatus), "status"),
        type=_choice(type, list(TicketType), "type"),
        sla_state=_choice(sla_state, SLA_STATES, "sla_state"),
        team_id=_id(team_id, "team_id"),
        assignee_id=_id(assignee_id, "assignee_id"),
    )


@router.get("", response_class=HTMLResponse)
def get_tickets(
    page: PageDep,
    status: Short = None,
    type: Short = None,
    sla_state: Short = None,
    team_id: OptionalId = None,
    assignee_id: OptionalId = None,
    before_id: OptionalId = None,
) -> Response:
    if (denied := page.refuse(P.tickets_read)) is not None:
        return denied
    assert page.actor is not None
    where = _filters(status, type, sla_state, team_id, assignee_id)
    rows = access.filtered_tickets(
        page.session, page.actor, where, limit=PAGE_SIZE + 1, before_id=_id(before_id, "before_id")
    )
    more = len(rows) > PAGE_SIZE
    rows = rows[:PAGE_SIZE]
    people = colleague_names(page.session, page.actor, limit=200)
    names = dict(people)
    names |= display_names(page.session, [t.assignee_id for t in rows if t.assignee_id not in names])
    teams = list_teams(page.session)
    query = {
        k: v
        for k, v in {
            "status": where.status,
            "type": where.type,
            "sla_state": where.sla_state,
            "team_id": where.team_id,
            "assignee_id": where.assignee_id,
        }.items()
        if v is not None
    }
    return page.render(
        "tickets/list.html",
        active="tickets",
        tickets=rows,
        where=where,
        query=query,
        next_before=rows[-1].id if more and rows else None,
        people=people,
        names=names,
        teams=teams,
        team_names={t.id: t.name for t in teams},
        word=wording(page.language),
        statuses=list(TicketStatus),
        types=list(TicketType),
        sla_states=SLA_STATES,
    )


def ticket_in_reach(
    page: Page, ticket_id: int, permission: Permission, *, for_update: bool = False
) -> Ticket | Response:
    """The ticket in the reader's reach, or the page refusing it (403 without the permission, else 404)."""
    if (denied := page.refuse(permission)) is not None:
        return denied
    assert page.actor is not None
    try:
        return access.access_ticket_by_id(page.session, page.actor, ticket_id, for_update=for_update)
    except NotFound:
        return page.render("not_found.html", status_code=404)


def clock_text(seconds: float | None) -> str:
    """Wall-clock time as [−]H:MM:SS, the form the page's script keeps ticking (no words to translate)."""
    if seconds is None:
        return ""
    sign = "−" if seconds < 0 else ""
    total = int(abs(seconds))
    return f"{sign}{total // 3600}:{total // 60 % 60:02d}:{total % 60:02d}"


def _clocks(page: Page, ticket: Ticket, now: datetime) -> list[dict[str, Any]]:
    out = []
    for c in countdowns(ticket, sla_setup(page.session), now):
        deadline = as_utc(c["deadline"]) if c["deadline"] is not None else None
        wall = (deadline - now).total_seconds() if deadline is not None else None
        out.append({**c, "deadline": deadline, "wall_seconds": wall, "wall_text": clock_text(wall)})
    return out


def ticket_context(page: Page, ticket: Ticket, **extra: Any) -> dict[str, Any]:
    assert page.actor is not None
    now = clock.now()
    history = access.history_of(page.session, ticket)
    handoffs = access.handoffs_of(page.session, ticket)
    people = {ticket.assignee_id, *(e.actor_id for e in history), *(h.owner_id for h in handoffs)}
    try:
        customer = access_customer_by_id(page.session, page.actor, ticket.customer_id)
    except NotFound:
        customer = None
    teams = {t.id: t.name for t in list_teams(page.session)}
    return {
        "active": "tickets",
        "ticket": ticket,
        "customer": customer,
        "clocks": _clocks(page, ticket, now),
        "history": history,
        "handoffs": handoffs,
        "conversations": linked_conversations(page.session, ticket),
        "attachments": attachments_of(page.session, ticket),
        "departments": {d.id: d.name for d in list_departments(page.session)},
        "names": display_names(page.session, people),
        "team_name": teams.get(ticket.team_id) if ticket.team_id else None,
        "transitions": sorted(allowed_transitions(ticket.status), key=list(TicketStatus).index),
        "word": wording(page.language),
        "may_write": page.can(P.tickets_write),
        "timezone": page.request.app.state.runtime.settings.timezone,
        # the handoff forms (kefu.web.console.ticket_handoffs): refusals and what was typed, when re-shown
        "handoff_errors": {},
        "handoff_values": {},
        "answer_errors": {},
        "answer_values": {},
        **extra,
    }


@router.get("/{ticket_id}", response_class=HTMLResponse)
def get_ticket(ticket_id: int, page: PageDep) -> Response:
    ticket = ticket_in_reach(page, ticket_id, P.tickets_read)
    if isinstance(ticket, Response):
        return ticket
    return page.render("tickets/ticket.html", **ticket_context(page, ticket))


@router.post("/{ticket_id}/status", response_class=HTMLResponse)
def post_status(
    ticket_id: int,
    page: PageDep,
    status: Annotated[str, Form(max_length=20)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
) -> Response:
    """Move through the status machine; a refused move re-renders the form with the reason (409)."""
    ticket = ticket_in_reach(page, ticket_id, P.tickets_write, for_update=True)
    if isinstance(ticket, Response):
        return ticket
    error, code = None, 200
    if status not in set(TicketStatus):
        error, code = N_("Choose a status."), 422
    elif len(reason) > 500:
        error, code = N_("The reason is too long (500 characters at most)."), 422
    else:
        try:
            with page.session.begin_nested():
                actions.do_change_status(
                    page.session, ticket=ticket, status=status, actor_id=page.actor.user_id,
                    now=clock.now(), reason=reason.strip(),
                )  # fmt: skip
        except Conflict:
            error, code = N_("This status change is not allowed from the ticket's current status."), 409
    if error is None:
        return see_other(page.request, f"/console/tickets/{ticket.id}")
    context = ticket_context(page, ticket, status_error=error, chosen=status, reason=reason)
    return page.render("tickets/_status.html", status_code=code, **context)


@router.post("/{ticket_id}/replies", response_class=HTMLResponse)
def post_reply(
    ticket_id: int,
    page: PageDep,
    body: Annotated[str, Form(max_length=40000)] = "",
    kind: Annotated[str, Form(max_length=10)] = "note",
) -> Response:
    """A public reply to the customer or an internal note (seen by staff only)."""
    ticket = ticket_in_reach(page, ticket_id, P.tickets_write, for_update=True)
    if isinstance(ticket, Response):
        return ticket
    error, code = None, 200
    if kind not in ("reply", "note"):
        error, code = N_("Choose a public reply or an internal note."), 422
    elif not body.strip():
        error, code = N_("Write something first."), 422
    elif len(body) > 20000:
        error, code = N_("Too long: 20,000 characters at most."), 422
    else:
        try:
            with page.session.begin_nested():
                actions.do_reply(
                    page.session, ticket=ticket, body=body.strip(), public=kind == "reply",
                    actor_id=page.actor.user_id, now=clock.now(),
                )  # fmt: skip
        except Conflict:
            error, code = N_("A closed ticket takes no replies; reopen it first."), 409
    if error is None:
        return see_other(page.request, f"/console/tickets/{ticket.id}")
    context = ticket_context(page, ticket, reply_error=error, body=body, kind=kind)
    return page.render("tickets/_reply.html", status_code=code, **context)
