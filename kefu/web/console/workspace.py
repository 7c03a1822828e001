"""The agent workspace: presence, counters, the inbox and the conversation page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import HTMLResponse

from kefu.access.permissions import Permission
from kefu.access.roles import Role
from kefu.channels.access import (
    access_conversation_by_public_id,
    count_open_conversations,
    list_conversations,
    messages_of,
)
from kefu.core import clock
from kefu.core.errors import InvalidInput, NotFound
from kefu.customers.access import access_customer_by_id
from kefu.routing.models import Queue
from kefu.web.console.page import Page, PageDep, sign_in_redirect
from kefu.web.console.presence import BREAK_REASONS, CHOICES, PresenceBoard
from kefu.web.console.queries import count_waiting, eligible_queue_ids

router = APIRouter(prefix="/console", include_in_schema=False)
INBOX_SIZE = 50
P = Permission


def presence_board(request: Request) -> PresenceBoard:
    """The app's board, created on first use (it lives as long as the app)."""
    board = getattr(request.app.state, "console_presence", None)
    if board is None:
        board = request.app.state.console_presence = PresenceBoard()
    return board


def _counters(page: Page) -> dict[str, int]:
    assert page.actor is not None
    # An agent counts the queues they can serve; leads and supervisors watch every queue.
    queue_ids = (
        eligible_queue_ids(page.session, page.actor.user_id) if page.actor.role == Role.agent else None
    )
    return {
        "open": count_open_conversations(page.session, page.actor),
        "waiting": count_waiting(page.session, queue_ids),
    }


def _inbox(page: Page) -> dict[str, object]:
    assert page.actor is not None
    rows = list_conversations(page.session, page.actor, limit=INBOX_SIZE)
    return {"conversations": rows, "counters": _counters(page)}


@router.get("", response_class=HTMLResponse)
def get_workspace(page: PageDep) -> Response:
    if page.actor is None:
        return sign_in_redirect(page.request)
    if not page.can(P.conversations_read):
        return page.forbidden()
    entry = presence_board(page.request).get(page.actor.user_id, clock.now())
    return page.render(
        "workspace.html", presence=entry, choices=CHOICES, break_reasons=BREAK_REASONS, **_inbox(page)
    )


@router.get("/inbox", response_class=HTMLResponse)
def get_inbox(page: PageDep) -> Response:
    """The inbox fragment, polled by the workspace so new conversations appear without a reload."""
    if page.actor is None:
        return sign_in_redirect(page.request)
    if not page.can(P.conversations_read):
        return page.forbidden()
    return page.render("_inbox.html", **_inbox(page))


@router.post("/presence", response_class=HTMLResponse)
def post_presence(
    page: PageDep,
    state: Annotated[str, Form(max_length=30)],
    reason: Annotated[str | None, Form(max_length=30)] = None,
) -> Response:
    if page.actor is None:
        return sign_in_redirect(page.request)
    if not page.can(P.conversations_write):
        return page.forbidden()
    try:
        entry = presence_board(page.request).set(page.actor.user_id, state, reason or None, clock.now())
    except ValueError as exc:
        field = "reason" if str(exc).startswith("reason") else "state"
        raise InvalidInput(str(exc), field=field) from None
    return page.render("_presence.html", presence=entry, choices=CHOICES, break_reasons=BREAK_REASONS)


@router.get("/conversations/{public_id}", response_class=HTMLResponse)
def get_conversation(public_id: str, page: PageDep) -> Response:
    if page.actor is None:
        return sign_in_redirect(page.request)
    if not page.can(P.conversations_read):
        return page.forbidden()
    try:
        conversation = access_conversation_by_public_id(page.session, page.actor, public_id)
    except NotFound:
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
