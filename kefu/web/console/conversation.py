"""The conversation page: the live message stream, replies and internal notes, files, transfer, tickets.

Replies and solving go through the public API (`POST /api/v1/conversations/{id}/replies|solve`), the same
endpoints integrations use; what has no API of its own (internal notes, agent files, transfer by the
conversation rather than by queue entry, linking a ticket) is answered here, through the domains' actions.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Query, Response, UploadFile
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from kefu.access.access import display_names, list_departments
from kefu.access.permissions import Permission
from kefu.channels.access import (
    access_conversation_by_public_id,
    attachments_of,
    messages_after,
    messages_of,
)
from kefu.channels.actions import MAX_BODY_CHARS, do_add_note
from kefu.channels.assignment import CONTACT_KIND
from kefu.channels.attachments import attachments_root, do_store_attachment
from kefu.channels.files import CHAT_UPLOAD_TYPES, check_upload, safe_filename
from kefu.channels.kinds import ConversationStatus
from kefu.channels.models import Conversation, Message
from kefu.channels.replies import do_agent_reply
from kefu.channels.settings import get_channel_settings
from kefu.core import clock
from kefu.core.errors import InvalidInput, KefuError, NotFound
from kefu.customers.access import access_customer_by_id
from kefu.routing.access import list_queues, open_entry_for_contact, queue_name, transfer_agents
from kefu.routing.actions import check_transfer
from kefu.tickets.access import access_ticket_by_id, tickets_of_conversation
from kefu.tickets.actions import do_create_ticket, do_link_conversation
from kefu.tickets.kinds import TicketType
from kefu.web.console.labels import N_
from kefu.web.console.page import Page, PageDep, see_other

router = APIRouter(prefix="/conversations", include_in_schema=False)  # included by workspace.router
P = Permission
TICKET_TYPES = tuple(t.value for t in TicketType)


@dataclass(frozen=True, slots=True)
class TransferTarget:
    """One choice of the transfer select: `agent:7`, `queue:webchat_zh` or `department:2`."""

    kind: str
    value: str
    name: str

    @property
    def choice(self) -> str:
        return f"{self.kind}:{self.value}"


def parse_target(raw: str) -> dict[str, Any]:
    """{"to_agent": 7} from "agent:7" (routing's transfer arguments); ValueError naming the field (pure)."""
    kind, _, value = raw.partition(":")
    if kind in ("agent", "department"):
        if not value.isdigit() or int(value) < 1:
            raise ValueError(f"target: {kind} needs a numeric id, got {value!r}")
        return {f"to_{kind}": int(value)}
    if kind == "queue" and value:
        return {"to_queue": value}
    raise ValueError("target: expected agent:<id>, queue:<code> or department:<id>")


def _ticket_action(
    page: Page, conversation: Conversation, action: str, *, subject: str, type: str, ticket_id: str
) -> None:
    actor, now = page.actor, clock.now()
    assert actor is not None
    if action == "create":
        if not subject.strip():
            raise InvalidInput("subject: must not be empty", field="subject")
        fields: dict[str, Any] = {
            "type": type,
            "subject": subject.strip(),
            "conversation_id": conversation.id,
        }
        if actor.role == "agent":
            fields["assignee_id"] = actor.user_id  # an agent's own ticket is theirs, as over the API
        do_create_ticket(page.session, fields=fields, actor_id=actor.user_id, now=now)
    elif action == "link":
        number = ticket_id.strip().lstrip("#")
        if not number.isdigit():
            raise InvalidInput("ticket_id: a ticket number is required", field="ticket_id")
        ticket = access_ticket_by_id(page.session, actor, int(number), for_update=True)
        do_link_conversation(
            page.session, ticket=ticket, conversation=conversation, actor_id=actor.user_id, now=now
        )
    else:
        raise InvalidInput("action: create or link", field="action")


def ticket_refusal(error: KefuError) -> str:
    """The catalog msgid saying why a ticket was not created or linked (the template translates it)."""
    field = getattr(error, "field", None)
    if field == "subject":
        return N_("A ticket needs a subject.")
    if isinstance(error, NotFound):
        return N_("There is no such ticket in your reach.")
    if field == "ticket_id":
        return N_("Give the number of a ticket of this customer.")
    return N_("The ticket could not be saved. Check the fields and try again.")


def _conversation(page: Page, public_id: str) -> Conversation | None:
    """The conversation if it is in the reader's scope; missing and forbidden look the same."""
    assert page.actor is not None
    try:
        return access_conversation_by_public_id(page.session, page.actor, public_id)
    except NotFound:
        return None


def _stream(page: Page, messages: list[Message]) -> dict[str, Any]:
    authors = {m.author_id for m in messages if m.author_id}
    return {
        "messages": messages,
        "files": attachments_of(page.session, [m.id for m in messages]),
        "authors": _names(page, authors),
        "last_id": messages[-1].id if messages else 0,
    }


def _names(page: Page, user_ids: set[int]) -> dict[int, str]:
    return display_names(page.session, user_ids) if user_ids else {}


def _targets(page: Page, conversation: Conversation) -> list[TransferTarget]:
    assert page.actor is not None
    agents = transfer_agents(page.session, exclude=conversation.agent_id)
    return [
        *(TransferTarget("agent", str(a.user_id), a.name) for a in agents),
        *(TransferTarget("queue", q.code, q.name) for q in list_queues(page.session)),
        *(TransferTarget("department", str(d.id), d.name) for d in list_departments(page.session)),
    ]


def _linked_tickets(page: Page, conversation: Conversation) -> list[Any]:
    assert page.actor is not None
    return list(tickets_of_conversation(page.session, page.actor, conversation.id))


@router.get("/{public_id}", response_class=HTMLResponse)
def get_conversation(public_id: str, page: PageDep) -> Response:
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        return page.render("not_found.html", status_code=404)
    customer = access_customer_by_id(page.session, page.actor, conversation.customer_id)
    writable = page.can(P.conversations_write) and conversation.status != ConversationStatus.ended.value
    return page.render(
        "conversation.html",
        conversation=conversation,
        customer=customer,
        queue_name=queue_name(page.session, conversation.queue_id),
        writable=writable,
        targets=_targets(page, conversation) if writable else [],
        ticket_types=TICKET_TYPES,
        tickets=_linked_tickets(page, conversation),
        **_stream(page, messages_of(page.session, conversation.id)),
    )


@router.get("/{public_id}/messages", response_class=HTMLResponse)
def get_messages(public_id: str, page: PageDep, after: Annotated[int | None, Query(ge=0)] = None) -> Response:
    """The message list, or with `after` only the newer messages (appended by the page's script)."""
    if (denied := page.refuse(P.conversations_read)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        return page.render("not_found.html", status_code=404)
    if after is not None:
        return page.render(
            "_message_items.html",
            conversation=conversation,
            **_stream(page, messages_after(page.session, conversation.id, after)),
        )
    return page.render(
        "_messages.html",
        conversation=conversation,
        **_stream(page, messages_of(page.session, conversation.id)),
    )


class NoteIn(BaseModel):
    body: str = Field(min_length=1, max_length=MAX_BODY_CHARS)


@router.post("/{public_id}/notes")
def post_note(public_id: str, note: NoteIn, page: PageDep) -> Response:
    """An internal note for colleagues: shown in the stream, never delivered to the customer."""
    if (denied := page.refuse(P.conversations_write)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        raise NotFound(f"conversation {public_id} not found")
    message = do_add_note(page.session, conversation, body=note.body, author_id=page.actor.user_id)
    return JSONResponse({"message_id": message.id, "internal": True}, status_code=201)


@router.post("/{public_id}/attachments")
def post_attachment(public_id: str, page: PageDep, file: Annotated[UploadFile, File()]) -> Response:
    """A file for the customer: a reply naming it, with the file attached (chat channels' types only)."""
    if (denied := page.refuse(P.conversations_write)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        raise NotFound(f"conversation {public_id} not found")
    settings = get_channel_settings(page.request)
    data = file.file.read(settings.max_upload_bytes + 1)
    content_type = (file.content_type or "").split(";", 1)[0].strip().lower()
    check_upload(len(data), content_type, max_bytes=settings.max_upload_bytes, allowed=CHAT_UPLOAD_TYPES)
    name = safe_filename(file.filename)
    message = do_agent_reply(
        page.session,
        conversation=conversation,
        body=f"[{name}]",
        author_id=page.actor.user_id,
        settings=settings,
    )
    runtime = page.request.app.state.runtime
    do_store_attachment(
        page.session,
        root=attachments_root(runtime.settings.data_dir),
        message_id=message.id,
        data=data,
        filename=name,
        content_type=content_type,
    )
    return JSONResponse({"message_id": message.id}, status_code=201)


@router.post("/{public_id}/transfer", response_class=HTMLResponse)
def post_transfer(
    public_id: str,
    page: PageDep,
    target: Annotated[str, Form(max_length=80)],
    reason: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    """Routing's transfer of the conversation's assigned contact; the reader then returns to the inbox."""
    if (denied := page.refuse(P.conversations_write)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        return page.render("not_found.html", status_code=404)
    try:
        destination = parse_target(target)
    except ValueError as exc:
        raise InvalidInput(str(exc), field="target") from None
    entry = open_entry_for_contact(page.session, CONTACT_KIND, conversation.id)
    error = None
    if entry is None or entry.status != "assigned":
        error = "not_assigned"
    else:
        try:
            with page.session.begin_nested():
                check_transfer(
                    page.session,
                    entry.id,
                    actor_id=page.actor.user_id,
                    now=clock.now(),
                    reason=reason.strip() or "console",
                    **destination,
                )
        except KefuError:
            error = "refused"
    if error is not None:
        return page.render(
            "_transfer.html", conversation=conversation, targets=_targets(page, conversation), error=error
        )
    return see_other(page.request, "/console")


@router.post("/{public_id}/tickets", response_class=HTMLResponse)
def post_ticket(
    public_id: str,
    page: PageDep,
    action: Annotated[str, Form(max_length=10)],
    subject: Annotated[str, Form(max_length=300)] = "",
    type: Annotated[str, Form(max_length=20)] = "inquiry",
    ticket_id: Annotated[str, Form(max_length=20)] = "",
) -> Response:
    """Create a ticket from the conversation, or link an existing one of the same customer."""
    if (denied := page.refuse(P.tickets_write)) is not None:
        return denied
    conversation = _conversation(page, public_id)
    if conversation is None:
        return page.render("not_found.html", status_code=404)
    error = None
    try:
        with page.session.begin_nested():
            _ticket_action(page, conversation, action, subject=subject, type=type, ticket_id=ticket_id)
    except KefuError as exc:
        error = ticket_refusal(exc)
    return page.render(
        "_tickets_panel.html",
        conversation=conversation,
        tickets=_linked_tickets(page, conversation),
        ticket_types=TICKET_TYPES,
        error=error,
    )
