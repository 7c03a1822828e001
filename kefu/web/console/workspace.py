"""The agent workspace: presence, live counters, the inbox (conversations, tickets, offers to answer)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Query, Response
from fastapi.responses import HTMLResponse

from kefu.access.permissions import Permission
from kefu.access.roles import Role
from kefu.channels.access import (
    ConversationLine,
    count_open_conversations,
    list_conversations,
    offered_conversation_lines,
)
from kefu.channels.assignment import CONTACT_KIND
from kefu.channels.kinds import Channel
from kefu.core import clock
from kefu.core.errors import InvalidInput, KefuError, NotFound
from kefu.routing.access import count_waiting, offers_for_agent, queues_served_by
from kefu.routing.actions import check_set_presence, do_accept_offer, do_decline_offer
from kefu.routing.errors import RoutingError
from kefu.routing.models import QueueEntry
from kefu.tickets.access import open_tickets
from kefu.web.console import conversation, customer_panel, knowledge_panel
from kefu.web.console.page import Page, PageDep, see_other
from kefu.web.console.presence import CHOICES, parse_choice, presence_of, refusal

router = APIRouter(prefix="/console", include_in_schema=False)
INBOX_SIZE = 50
TICKETS_SHOWN = 20
P = Permission
# The inbox's status tabs; None shows every status (open first).
FILTERS = (None, "active", "queued", "ended")
CHANNELS = tuple(c.value for c in Channel)
# What the inbox lists: conversations and tickets (None), or one of them.
KINDS = (None, "conversations", "tickets")
StatusQuery = Annotated[str | None, Query(max_length=20)]
ChannelQuery = Annotated[str | None, Query(max_length=20)]
KindQuery = Annotated[str | None, Query(max_length=20)]


@dataclass(frozen=True, slots=True)
class Offer:
    """A contact routing offered to the reader, waiting for accept or decline."""

    entry_id: int
    channel: str
    contact_kind: str
    customer_name: str | None
    subject: str | None


def offers_shown(entries: Sequence[QueueEntry], lines: dict[int, ConversationLine]) -> list[Offer]:
    """Offers as the inbox shows them (pure); a conversation offer names its customer and subject."""
    shown = []
    for entry in entries:
        line = lines.get(entry.contact_id) if entry.contact_kind == CONTACT_KIND else None
        shown.append(
            Offer(
                entry.id,
                entry.channel,
                entry.contact_kind,
                line.customer_name if line else None,
                line.subject if line else None,
            )
        )
    return shown


def _counters(page: Page) -> dict[str, int]:
    assert page.actor is not None
    # An agent counts the queues they can serve; leads and supervisors watch every queue.
    queue_ids = queues_served_by(page.session, page.actor.user_id) if page.actor.role == Role.agent else None
    return {
        "open": count_open_conversations(page.session, page.actor),
        "waiting": count_waiting(page.session, queue_ids),
    }


def _offers(page: Page) -> list[Offer]:
    assert page.actor is not None
    entries = offers_for_agent(page.session, page.actor.user_id)
    ids = [e.contact_id for e in entries if e.contact_kind == CONTACT_KIND]
    return offers_shown(entries, offered_conversation_lines(page.session, ids))


def _inbox(page: Page, status: str | None, channel: str | None, kind: str | None) -> dict[str, object]:
    assert page.actor is not None
    status, channel, kind = status or None, channel or None, kind or None
    if kind not in KINDS:
        raise InvalidInput(f"kind: {kind!r} is not one of conversations, tickets", field="kind")
    rows: list[object] = []
    if kind != "tickets":
        try:
            rows = list_conversations(
                page.session, page.actor, limit=INBOX_SIZE, status=status, channel=channel
            )
        except ValueError as exc:
            field = str(exc).split(":", 1)[0]
            raise InvalidInput(str(exc), field=field) from None
    tickets: Sequence[object] = []
    if kind != "conversations" and status in (None, "active") and page.can(P.tickets_read):
        tickets = open_tickets(page.session, page.actor, limit=TICKETS_SHOWN, channel=channel)
    query = {k: v for k, v in {"status": status, "channel": channel, "kind": kind}.items() if v}
    return {
        "conversations": rows,
        "tickets": tickets,
        "offers": _offers(page),
        "counters": _counters(page),
        "status": status,
        "channel": channel,
        "kind": kind,
        "filters": FILTERS,
        "channels": CHANNELS,
        "kinds": KINDS,
        "query": query,
        "inbox_url": lambda **changes: inbox_url({**query, **changes}),
    }


def inbox_url(query: dict[str, str | None], path: str = "/console") -> str:
    """The inbox's address with these filters (empty ones left out), e.g. /console?status=active."""
    kept = {k: v for k, v in query.items() if v}
    return f"{path}?{urlencode(kept)}" if kept else path


@router.get("", response_class=HTMLResponse)
def get_workspace(
    page: PageDep, status: StatusQuery = None, channel: ChannelQuery = None, kind: KindQuery = None
) -> Response:
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    presence = presence_of(page.session, page.actor.user_id)
    return page.render(
        "workspace.html", presence=presence, choices=CHOICES, **_inbox(page, status, channel, kind)
    )


@router.get("/inbox", response_class=HTMLResponse)
def get_inbox(
    page: PageDep, status: StatusQuery = None, channel: ChannelQuery = None, kind: KindQuery = None
) -> Response:
    """The inbox fragment, refreshed in place so new conversations and offers appear without a reload."""
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    return page.render("_inbox.html", **_inbox(page, status, channel, kind))


@router.get("/counters", response_class=HTMLResponse)
def get_counters(page: PageDep) -> Response:
    """The two live counters, shown in the top bar of every workspace page."""
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    return page.render("_counters.html", counters=_counters(page))


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


@router.post("/offers/{entry_id}/accept", response_class=HTMLResponse)
def post_accept(entry_id: int, page: PageDep) -> Response:
    """Accept an offer (routing's one answer path); a conversation opens at once."""
    if (denied := page.refuse(P.conversations_write)) is not None:
        return denied
    try:
        with page.session.begin_nested():
            entry = do_accept_offer(page.session, entry_id, page.actor.user_id, clock.now())
    except KefuError:
        return _offer_gone(page)
    if entry.contact_kind == CONTACT_KIND:
        line = offered_conversation_lines(page.session, [entry.contact_id]).get(entry.contact_id)
        if line is not None:
            return see_other(page.request, f"/console/conversations/{line.public_id}")
    return see_other(page.request, "/console")


@router.post("/offers/{entry_id}/decline", response_class=HTMLResponse)
def post_decline(entry_id: int, page: PageDep) -> Response:
    """Decline an offer: the contact goes back to waiting, keeping its place."""
    if (denied := page.refuse(P.conversations_write)) is not None:
        return denied
    try:
        with page.session.begin_nested():
            do_decline_offer(page.session, entry_id, page.actor.user_id, clock.now())
    except KefuError:
        return _offer_gone(page)
    return see_other(page.request, "/console")


def _offer_gone(page: Page) -> Response:
    """Answered elsewhere, withdrawn or expired: say so and show the inbox as it is now."""
    return page.render("_inbox.html", offer_gone=True, **_inbox(page, None, None, None))


# The conversation page and its panels live in their own modules, under /console like the inbox.
router.include_router(conversation.router)
router.include_router(customer_panel.router)
router.include_router(knowledge_panel.router)
