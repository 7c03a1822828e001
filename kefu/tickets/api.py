"""Tickets over the REST API: lifecycle, replies and notes, assignment, escalation, handoffs, follow-ups,
SLA countdowns, and the customer's signed status link."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Annotated, Any, Literal
from urllib.parse import quote

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import FileResponse, Response
from pydantic import BaseModel, Field

from kefu.access.permissions import Permission
from kefu.channels.attachments import attachment_path, attachments_root
from kefu.channels.files import served_type
from kefu.channels.settings import ChannelSettingsDep
from kefu.core import clock
from kefu.core.errors import InvalidInput, NotFound
from kefu.tickets import (
    access,
    actions,
    automation_api,
    automations,
    conversations,
    follow_ups,
    handoffs,
    status_links,
    suggestions,
)
from kefu.tickets import attachments as ticket_files
from kefu.tickets.access import TicketFilter
from kefu.tickets.policies import sla_setup
from kefu.tickets.timing import countdowns
from kefu.web.deps import CurrentActor, RuntimeDep, SessionDep, public, require, runtime_of

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from kefu.tickets.models import FollowUp, Handoff, Ticket
    from kefu.tickets.policies import SlaSetup

# Creation alone in a router the app matches first (kefu.web.app.include_api).
create_router = APIRouter(prefix="/tickets", tags=["tickets"])
router = APIRouter(prefix="/tickets", tags=["tickets"])
# /tickets/automation/… and /tickets/fields/… first, before /tickets/{ticket_id} could take them
router.include_router(automation_api.router)
follow_up_router = APIRouter(prefix="/follow-ups", tags=["tickets"])
status_router = APIRouter(prefix="/ticket-status", tags=["tickets"], dependencies=[public()])
reports_router = APIRouter(
    prefix="/suggestions", tags=["tickets"], dependencies=[require(Permission.reports_read)]
)

TicketTypeName = Literal["inquiry", "complaint", "suggestion", "repair", "refund"]
PriorityName = Literal["low", "normal", "high", "urgent"]
ChannelName = Literal["webchat", "email", "voice", "app", "social", "api"]
Scalar = str | int | float | bool | None


class TicketIn(BaseModel):
    type: TicketTypeName
    customer_id: int | None = Field(default=None, ge=1, description="default: the conversation's customer")
    channel: ChannelName | None = Field(default=None, description="default: the conversation's, else api")
    subject: str = Field(min_length=1, max_length=300)
    description: str = Field(default="", max_length=20000)
    severity: Literal["normal", "major"] | None = None
    category: str | None = Field(default=None, max_length=80)
    priority: PriorityName = "normal"
    custom_fields: dict[Annotated[str, Field(max_length=40)], Scalar] = Field(
        default_factory=dict, max_length=50
    )
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] = Field(
        default_factory=list, max_length=20
    )
    conversation_id: int | None = Field(default=None, ge=1, description="the conversation it comes from")
    assignee_id: int | None = Field(default=None, ge=1)
    team_id: int | None = Field(default=None, ge=1)
    suggestion_kind: Literal["product", "process", "service", "other"] | None = None


class TicketPatch(BaseModel):
    type: TicketTypeName | None = None
    severity: Literal["normal", "major"] | None = None
    category: str | None = Field(default=None, max_length=80)
    priority: PriorityName | None = None
    subject: str | None = Field(default=None, min_length=1, max_length=300)
    description: str | None = Field(default=None, max_length=20000)
    custom_fields: dict[Annotated[str, Field(max_length=40)], Scalar] | None = None
    tags: list[Annotated[str, Field(min_length=1, max_length=40)]] | None = None
    suggestion_kind: Literal["product", "process", "service", "other"] | None = None


class ClockOut(BaseModel):
    metric: str
    started_at: datetime
    deadline: datetime | None
    warn_at: datetime | None
    stopped_at: datetime | None
    running: bool
    breached: bool
    business_seconds_left: float | None


class TicketOut(BaseModel):
    id: int
    public_id: str
    type: str
    severity: str | None
    category: str | None
    priority: str
    status: str
    customer_id: int
    channel: str
    subject: str
    description: str
    custom_fields: dict[str, Any]
    tags: list[str]
    suggestion_kind: str | None
    assignee_id: int | None
    team_id: int | None
    conversation_id: int | None
    created_at: datetime
    updated_at: datetime
    first_response_at: datetime | None
    solved_at: datetime | None
    closed_at: datetime | None
    sla_policy: str | None
    sla_state: str
    escalation_level: str
    due_at: datetime | None
    reopen_count: int
    sla: list[ClockOut] | None = None
    conversation_ids: list[int] | None = Field(
        default=None, description="linked conversations, the one it was created from first (single reads)"
    )


class StatusIn(BaseModel):
    status: Literal["new", "open", "pending", "on_hold", "solved", "closed"]
    reason: str = Field(default="", max_length=500)


class ReplyIn(BaseModel):
    body: str = Field(min_length=1, max_length=20000)
    public: bool = Field(description="true: a reply to the customer; false: an internal note")


class MessageIn(BaseModel):
    body: str = Field(min_length=1, max_length=20000)


class AssignIn(BaseModel):
    assignee_id: int | None = Field(default=None, ge=1)
    team_id: int | None = Field(default=None, ge=1)


class QueueIn(BaseModel):
    queue: str = Field(min_length=1, max_length=40)


class EscalateIn(BaseModel):
    to: Literal["team_lead", "supervisor"] | None = Field(default=None, description="default: one level up")
    reason: str = Field(default="", max_length=120)


class EventOut(BaseModel):
    id: int
    kind: str
    actor_id: int | None
    data: dict[str, Any]
    created_at: datetime


class HandoffIn(BaseModel):
    department_id: int = Field(ge=1)
    task: str = Field(min_length=1, max_length=5000)
    owner_id: int | None = Field(default=None, ge=1)
    response_hours: float = Field(default=8, gt=0, le=720, description="business hours to answer")


class HandoffAnswerIn(BaseModel):
    answer: str = Field(min_length=1, max_length=5000)


class HandoffOut(BaseModel):
    id: int
    ticket_id: int
    department_id: int
    owner_id: int | None
    task: str
    status: str
    due_at: datetime
    overdue_at: datetime | None
    answer: str | None
    created_at: datetime
    answered_at: datetime | None


class FollowUpOut(BaseModel):
    id: int
    ticket_id: int | None
    survey_id: int | None
    customer_id: int
    reason: str
    assignee_id: int | None
    status: str
    due_at: datetime
    result: str | None
    done_at: datetime | None


class ResultIn(BaseModel):
    result: str = Field(min_length=1, max_length=5000)


class StatusLinkOut(BaseModel):
    token: str
    url: str


class PublicStatusOut(BaseModel):
    public_id: str
    subject: str
    status: str
    updated_at: datetime
    estimate: datetime | None = Field(description="when the ticket is due to be resolved, if known")


def _out(ticket: Ticket, session: SessionDep | None = None) -> TicketOut:
    return _out_with(ticket, None if session is None else sla_setup(session))


def _out_with(ticket: Ticket, setup: SlaSetup | None) -> TicketOut:
    out = TicketOut.model_validate(ticket, from_attributes=True)
    if setup is not None:
        out.sla = [ClockOut(**c) for c in countdowns(ticket, setup, clock.now())]
    return out


@create_router.post("", status_code=201, response_model=TicketOut)
async def create_ticket(body: TicketIn, request: Request, actor: CurrentActor) -> Response:
    """The ticket is created in a transaction shared with concurrent creations (kefu.core.writer: one
    COMMIT for them all); the answer is sent once that COMMIT is done. (The runtime is taken from the
    request rather than as a dependency: one dependency fewer to solve on the busiest API call.)"""
    fields = body.model_dump()
    if fields["assignee_id"] is None and actor.role == "agent":
        fields["assignee_id"] = actor.user_id  # an agent's own ticket is theirs (and in their scope)
    if fields["team_id"] is None and fields["assignee_id"] is None and actor.role == "team_lead":
        fields["team_id"] = actor.team_id  # a team lead's unassigned ticket stays in the team's scope

    def create(session: Session) -> tuple[Ticket, SlaSetup]:
        ticket = actions.do_create_ticket(session, fields=fields, actor_id=actor.user_id, now=clock.now())
        return ticket, sla_setup(session)

    # The answer is built after the COMMIT, outside the transaction (with several server processes,
    # the others wait for the database meanwhile); the ticket's loaded values outlive its session.
    ticket, setup = await runtime_of(request).writer.run(create)
    body = _out_with(ticket, setup).model_dump_json()
    return Response(body, status_code=201, media_type="application/json")


@router.get("")
def list_tickets(
    session: SessionDep,
    actor: CurrentActor,
    status: str | None = None,
    type: str | None = None,
    sla_state: Literal["ok", "at_risk", "breached"] | None = Query(default=None, description="SLA risk"),
    team_id: int | None = None,
    assignee_id: int | None = None,
    customer_id: int | None = None,
    conversation_id: int | None = Query(default=None, ge=1, description="created from or linked to it"),
    limit: int = Query(default=50, ge=1, le=200),
    before_id: int | None = Query(
        default=None, ge=1, description="page on: the last id of the previous page"
    ),
) -> list[TicketOut]:
    """Newest first, in the actor's scope."""
    where = TicketFilter(status, type, sla_state, team_id, assignee_id, customer_id, conversation_id)
    return [_out(t) for t in access.filtered_tickets(session, actor, where, limit=limit, before_id=before_id)]


@router.get("/{ticket_id}")
def get_ticket(ticket_id: int, session: SessionDep, actor: CurrentActor) -> TicketOut:
    ticket = access.access_ticket_by_id(session, actor, ticket_id)
    out = _out(ticket, session)
    out.conversation_ids = conversations.linked_ids(session, ticket)
    return out


@router.patch("/{ticket_id}")
def update_ticket(ticket_id: int, body: TicketPatch, session: SessionDep, actor: CurrentActor) -> TicketOut:
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    changes = body.model_dump(exclude_unset=True)
    actions.do_update_ticket(session, ticket=ticket, changes=changes, actor_id=actor.user_id, now=clock.now())
    return _out(ticket, session)


@router.post("/{ticket_id}/status")
def change_status(ticket_id: int, body: StatusIn, session: SessionDep, actor: CurrentActor) -> TicketOut:
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    actions.do_change_status(
        session,
        ticket=ticket,
        status=body.status,
        actor_id=actor.user_id,
        now=clock.now(),
        reason=body.reason,
    )
    return _out(ticket, session)


@router.post("/{ticket_id}/replies", status_code=201)
def reply(ticket_id: int, body: ReplyIn, session: SessionDep, actor: CurrentActor) -> TicketOut:
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    actions.do_reply(
        session, ticket=ticket, body=body.body, public=body.public, actor_id=actor.user_id, now=clock.now()
    )
    return _out(ticket, session)


@router.post("/{ticket_id}/customer-messages", status_code=201)
def customer_message(ticket_id: int, body: MessageIn, session: SessionDep, actor: CurrentActor) -> TicketOut:
    """For channel integrations: the customer wrote on this ticket (starts a next-response cycle)."""
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    actions.do_customer_message(session, ticket=ticket, body=body.body, now=clock.now())
    return _out(ticket, session)


@router.post("/{ticket_id}/assign")
def assign(ticket_id: int, body: AssignIn, session: SessionDep, actor: CurrentActor) -> TicketOut:
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    actions.do_assign_ticket(
        session, ticket=ticket, assignee_id=body.assignee_id, team_id=body.team_id, actor_id=actor.user_id,
        now=clock.now(),
    )  # fmt: skip
    return _out(ticket, session)


@router.post("/{ticket_id}/queue", status_code=201)
def queue(ticket_id: int, body: QueueIn, session: SessionDep, actor: CurrentActor) -> dict[str, int]:
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    entry = actions.do_queue_ticket(
        session, ticket=ticket, queue=body.queue, actor_id=actor.user_id, now=clock.now()
    )
    return {"entry_id": entry}


@router.post("/{ticket_id}/escalate")
def escalate(ticket_id: int, body: EscalateIn, session: SessionDep, actor: CurrentActor) -> TicketOut:
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    actions.do_escalate_by_hand(
        session, ticket=ticket, to=body.to, reason=body.reason, actor_id=actor.user_id, now=clock.now()
    )
    return _out(ticket, session)


@router.get("/{ticket_id}/events")
def history(ticket_id: int, session: SessionDep, actor: CurrentActor) -> list[EventOut]:
    ticket = access.access_ticket_by_id(session, actor, ticket_id)
    return [EventOut.model_validate(e, from_attributes=True) for e in access.history_of(session, ticket)]


@router.get("/{ticket_id}/status-link")
def status_link(
    ticket_id: int, session: SessionDep, actor: CurrentActor, runtime: RuntimeDep
) -> StatusLinkOut:
    """A link the customer can open without signing in; it shows only this ticket's status."""
    ticket = access.access_ticket_by_id(session, actor, ticket_id)
    settings = runtime.settings
    token = status_links.status_token(settings.signing_key, ticket.public_id)
    return StatusLinkOut(token=token, url=status_links.status_url(settings.public_url, token))


@router.get("/{ticket_id}/handoffs")
def list_handoffs(ticket_id: int, session: SessionDep, actor: CurrentActor) -> list[HandoffOut]:
    ticket = access.access_ticket_by_id(session, actor, ticket_id)
    return [HandoffOut.model_validate(h, from_attributes=True) for h in access.handoffs_of(session, ticket)]


@router.post("/{ticket_id}/handoffs", status_code=201)
def hand_off(ticket_id: int, body: HandoffIn, session: SessionDep, actor: CurrentActor) -> HandoffOut:
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    handoff = handoffs.do_hand_off(
        session, ticket=ticket, department_id=body.department_id, task=body.task, owner_id=body.owner_id,
        response_hours=body.response_hours, actor_id=actor.user_id, now=clock.now(),
    )  # fmt: skip
    return HandoffOut.model_validate(handoff, from_attributes=True)


def _answer(
    ticket_id: int, handoff_id: int, answer: str, outcome: str, session: SessionDep, actor: Any
) -> Handoff:
    ticket, handoff = access.access_handoff(session, actor, ticket_id, handoff_id)
    return handoffs.do_answer_handoff(
        session, ticket=ticket, handoff=handoff, answer=answer, outcome=outcome, actor_id=actor.user_id,
        now=clock.now(),
    )  # fmt: skip


@router.post("/{ticket_id}/handoffs/{handoff_id}/reply")
def handoff_reply(
    ticket_id: int, handoff_id: int, body: HandoffAnswerIn, session: SessionDep, actor: CurrentActor
) -> HandoffOut:
    handoff = _answer(ticket_id, handoff_id, body.answer, "replied", session, actor)
    return HandoffOut.model_validate(handoff, from_attributes=True)


@router.post("/{ticket_id}/handoffs/{handoff_id}/bounce")
def handoff_bounce(
    ticket_id: int, handoff_id: int, body: HandoffAnswerIn, session: SessionDep, actor: CurrentActor
) -> HandoffOut:
    """The department sends the task back (not theirs, information missing): recorded as a bounce."""
    handoff = _answer(ticket_id, handoff_id, body.answer, "bounced", session, actor)
    return HandoffOut.model_validate(handoff, from_attributes=True)


@follow_up_router.get("")
def list_follow_ups(
    session: SessionDep,
    actor: CurrentActor,
    status: Literal["open", "done"] | None = None,
    limit: int = Query(default=100, ge=1, le=500),
) -> list[FollowUpOut]:
    rows = access.list_follow_ups(session, actor, status=status, limit=limit)
    return [FollowUpOut.model_validate(f, from_attributes=True) for f in rows]


@follow_up_router.post("/{follow_up_id}/result")
def follow_up_result(
    follow_up_id: int, body: ResultIn, session: SessionDep, actor: CurrentActor
) -> FollowUpOut:
    row: FollowUp = access.access_follow_up_by_id(session, actor, follow_up_id)
    follow_ups.do_record_result(session, follow_up=row, result=body.result, now=clock.now())
    return FollowUpOut.model_validate(row, from_attributes=True)


@status_router.get("/{token}")
def public_status(token: str, session: SessionDep, runtime: RuntimeDep) -> PublicStatusOut:
    """What the customer's signed link shows: this ticket's status and estimate, nothing else."""
    ticket = status_links.ticket_for_token(session, runtime.settings.signing_key, token)
    estimate = status_links.estimate(ticket, sla_setup(session), clock.now())
    return PublicStatusOut(
        public_id=ticket.public_id,
        subject=ticket.subject,
        status=ticket.status,
        updated_at=ticket.updated_at,
        estimate=estimate,
    )


class DigestOut(BaseModel):
    since: datetime
    until: datetime
    by_kind: dict[str, int]


def _period(since: datetime | None, until: datetime | None) -> tuple[datetime, datetime]:
    """[since, until); by default the last 7 days (a weekly digest)."""
    until = until or clock.now()
    since = since or until - timedelta(days=7)
    if since.tzinfo is None or until.tzinfo is None:
        raise InvalidInput(
            "since: give times with a zone offset (e.g. 2026-03-01T00:00:00+08:00)", field="since"
        )
    return since, until


@reports_router.get("/digest")
def digest(session: SessionDep, since: datetime | None = None, until: datetime | None = None) -> DigestOut:
    since, until = _period(since, until)
    return DigestOut(since=since, until=until, by_kind=suggestions.counts_by_kind(session, since, until))


@reports_router.get("/digest.csv", response_class=Response)
def digest_csv(session: SessionDep, since: datetime | None = None, until: datetime | None = None) -> Response:
    since, until = _period(since, until)
    body = suggestions.digest_csv(suggestions.suggestions_in(session, since, until))
    name = f"suggestions-{since.date()}-{until.date()}.csv"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    return Response(body, media_type="text/csv; charset=utf-8", headers=headers)


class AttachmentOut(BaseModel):
    id: str = Field(description="the attachment's unguessable id")
    filename: str
    content_type: str
    size: int
    sha256: str
    uploaded_by_id: int | None
    created_at: datetime


def _attachment_out(row: Any) -> AttachmentOut:
    return AttachmentOut(
        id=row.public_id, filename=row.filename, content_type=row.content_type, size=row.size,
        sha256=row.sha256, uploaded_by_id=row.uploaded_by_id, created_at=row.created_at,
    )  # fmt: skip


@router.post("/{ticket_id}/attachments", status_code=201)
def attach(
    ticket_id: int,
    file: Annotated[UploadFile, File()],
    session: SessionDep,
    actor: CurrentActor,
    runtime: RuntimeDep,
    settings: ChannelSettingsDep,
) -> AttachmentOut:
    """A file on the ticket (multipart `file`): 413 over the upload limit, 422 for a type not taken."""
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    data = file.file.read(settings.max_upload_bytes + 1)  # never more than the limit plus one byte
    row = ticket_files.do_attach(
        session, root=attachments_root(runtime.settings.data_dir), ticket=ticket, data=data,
        filename=file.filename, content_type=file.content_type or "", max_bytes=settings.max_upload_bytes,
        actor_id=actor.user_id, now=clock.now(),
    )  # fmt: skip
    automations.run_automation(session, ticket, "attachment_added", clock.now())
    return _attachment_out(row)


@router.get("/{ticket_id}/attachments")
def list_attachments(ticket_id: int, session: SessionDep, actor: CurrentActor) -> list[AttachmentOut]:
    ticket = access.access_ticket_by_id(session, actor, ticket_id)
    return [_attachment_out(a) for a in ticket_files.attachments_of(session, ticket)]


@router.get("/{ticket_id}/attachments/{attachment_id}")
def download_attachment(
    ticket_id: int, attachment_id: str, session: SessionDep, actor: CurrentActor, runtime: RuntimeDep
) -> FileResponse:
    """Always a download (HTML and SVG as application/octet-stream), with nosniff and a sandbox."""
    ticket = access.access_ticket_by_id(session, actor, ticket_id)
    row = ticket_files.attachment_of(session, ticket, attachment_id)
    if row is None:
        raise NotFound("attachment not found", field="attachment_id")
    return FileResponse(
        attachment_path(attachments_root(runtime.settings.data_dir), row.public_id),
        media_type=served_type(row.content_type),
        headers={
            "Content-Disposition": f"attachment; filename*=UTF-8''{quote(row.filename, safe='')}",
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )


class LinkIn(BaseModel):
    conversation_id: int = Field(ge=1)


class LinkedOut(BaseModel):
    conversation_id: int
    public_id: str
    channel: str
    status: str
    linked_at: datetime
    origin: bool = Field(description="the conversation the ticket was created from (stays linked)")


@router.get("/{ticket_id}/conversations")
def linked(ticket_id: int, session: SessionDep, actor: CurrentActor) -> list[LinkedOut]:
    ticket = access.access_ticket_by_id(session, actor, ticket_id)
    return [LinkedOut(**vars(c)) for c in conversations.linked_conversations(session, ticket)]


@router.post("/{ticket_id}/conversations", status_code=201)
def link(ticket_id: int, body: LinkIn, session: SessionDep, actor: CurrentActor) -> list[LinkedOut]:
    """Link one of the customer's conversations (409 if linked already); answers the linked list."""
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    now = clock.now()
    conversations.do_link(
        session, ticket=ticket, conversation_id=body.conversation_id, actor_id=actor.user_id, now=now
    )
    automations.run_automation(session, ticket, "conversation_linked", now)
    return [LinkedOut(**vars(c)) for c in conversations.linked_conversations(session, ticket)]


@router.delete("/{ticket_id}/conversations/{conversation_id}", status_code=204)
def unlink(ticket_id: int, conversation_id: int, session: SessionDep, actor: CurrentActor) -> Response:
    ticket = access.access_ticket_by_id(session, actor, ticket_id, for_update=True)
    conversations.do_unlink(
        session, ticket=ticket, conversation_id=conversation_id, actor_id=actor.user_id, now=clock.now()
    )
    return Response(status_code=204)


@router.get("/{ticket_id}/automation-runs")
def automation_runs(ticket_id: int, session: SessionDep, actor: CurrentActor) -> list[automation_api.RunOut]:
    """The automation rules that fired on this ticket, newest first."""
    ticket = access.access_ticket_by_id(session, actor, ticket_id)
    rows = automations.runs_of(session, ticket_id=ticket.id, rule_id=None, limit=200)
    return [automation_api.RunOut.model_validate(r, from_attributes=True) for r in rows]
