"""The agent workspace: presence, counters, the inbox and the conversation page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query, Response
from fastapi.responses import HTMLResponse

from kefu.access.permissions import Permission
from kefu.access.roles import Role
from kefu.channels.access import (
    access_conversation_by_public_id,
    count_open_conversations,
    list_conversations,
    messages_of,
)
from kefu.channels.models import Conversation
from kefu.core import clock
from kefu.core.errors import InvalidInput, NotFound
from kefu.customers.access import access_customer_by_id
from kefu.routing.access import queues_served_by
from kefu.routing.actions import check_set_presence
from kefu.routing.errors import RoutingError
from kefu.routing.models import Queue
from kefu.web.console.page import Page, PageDep
from kefu.web.console.presence import CHOICES, parse_choice, refusal
from kefu.web.console.queries import count_waiting, presence_of

router = APIRouter(prefix="/console", include_in_schema=False)
INBOX_SIZE = 50
P = Permission
# The inbox's status tabs; None shows every status (open first).
FILTERS = (None, "active", "queued", "ended")
StatusQuery = Annotated[str | None, Query(max_length=20)]


def _counters(page: Page) -> dict[str, int]:
    assert page.actor is not None
    # An agent counts the queues they can serve; leads and supervisors watch every queue.
    queue_ids = queues_served_by(page.session, page.actor.user_id) if page.actor.role == Role.agent else None
    return {
        "open": count_open_conversations(page.session, page.actor),
        "waiting": count_waiting(page.session, queue_ids),
    }


def _inbox(page: Page, status: str | None) -> dict[str, object]:
    assert page.actor is not None
    try:
        rows = list_conversations(page.session, page.actor, limit=INBOX_SIZE, status=status)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="status") from None
    return {"conversations": rows, "counters": _counters(page), "status": status, "filters": FILTERS}


@router.get("", response_class=HTMLResponse)
def get_workspace(page: PageDep, status: StatusQuery = None) -> Response:
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    presence = presence_of(page.session, page.actor.user_id)
    return page.render("workspace.html", presence=presence, choices=CHOICES, **_inbox(page, status))


@router.get("/inbox", response_class=HTMLResponse)
def get_inbox(page: PageDep, status: StatusQuery = None) -> Response:
    """The inbox fragment, refreshed in place so new conversations appear without a reload."""
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    return page.render("_inbox.html", **_inbox(page, status))


@router.post("/presence", response_class=HTMLResponse)
def post_presence(page: PageDep, choice: Annotated[str, Form(max_length=40)]) -> Response:
    """Ask routing for the change; a refusal re-renders the switch with the reason, showing the real state."""
    if (denied := page.refuse(P.conversations_write)) is not None:
        return denied
    try:
        state, reason = parse_choice(choice)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="choice") from None
    error = None
    try:
        with page.session.begin_nested():  # a refused change leaves nothing behind
            check_set_presence(page.session, page.actor.user_id, state, reason, clock.now())
    except (RoutingError, NotFound) as exc:
        error = refusal(exc)
    return page.render(
        "_presence.html", presence=presence_of(page.session, page.actor.user_id), choices=CHOICES, error=error
    )


@router.get("/conversations/{public_id}", response_class=HTMLResponse)
def get_conversation(public_id: str, page: PageDep) -> Response:
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        return page.render("not_found.html", status_code=404)
    customer = access_customer_by_id(page.session, page.actor, conversation.customer_id)
    queue = page.session.get(Queue, conversation.queue_id) if conversation.queue_id else None
    return page.render(
        "conversation.html",
        conversation=conversation,
        customer=customer,
        queue=queue,
        messages=messages_of(page.session, conversation.id),
    )


@router.get("/conversations/{public_id}/messages", response_class=HTMLResponse)
def get_messages(public_id: str, page: PageDep) -> Response:
    """The message list alone, refreshed when a message event arrives (and now and then regardless)."""
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        return page.render("not_found.html", status_code=404)
    return page.render(
        "_messages.html", conversation=conversation, messages=messages_of(page.session, conversation.id)
    )


def _conversation(page: Page, public_id: str) -> Conversation | None:
    """The conversation if it is in the reader's scope; missing and forbidden look the same."""
    assert page.actor is not None
    try:
        return access_conversation_by_public_id(page.session, page.actor, public_id)
    except NotFound:
        return None
