"""The only writers of tickets: create, edit, assign, change status, reply, escalate by hand.

Every change keeps a `TicketEvent` in the history, recomputes the SLA risk and `due_at` (the sweep's
selection), and announces itself after commit. Validation of plain values happens in `check_*`.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session, make_transient_to_detached

from kefu.access.models import Team, User
from kefu.channels.models import Conversation
from kefu.core.errors import Conflict, InvalidInput
from kefu.core.events import Event, send_event_on_commit
from kefu.core.ids import public_id
from kefu.core.prepared import Prepared
from kefu.customers.models import Customer
from kefu.routing.actions import do_enqueue
from kefu.surveys.actions import do_create_survey
from kefu.tickets import conversations, follow_ups
from kefu.tickets.automations import run_automation
from kefu.tickets.escalation import EscalationError, manual_escalation
from kefu.tickets.escalations import escalate
from kefu.tickets.fields import checked_custom_fields
from kefu.tickets.kinds import Priority, Severity, TicketType
from kefu.tickets.lifecycle import InvalidTransition, TicketStatus, check_transition, is_reopen
from kefu.tickets.models import Ticket, TicketEvent
from kefu.tickets.notify import watchers
from kefu.tickets.policies import SlaSetup, sla_setup
from kefu.tickets.sla import CHANNELS
from kefu.tickets.timing import level_in_chain, moved_pauses, refresh_sla

SUGGESTION_KINDS = ("product", "process", "service", "other")
# A ticket this old is "long": the customer hears when it moves (progress notices).
LONG_TICKET = timedelta(hours=24)
EDITABLE = ("type", "severity", "category", "priority", "subject", "description", "custom_fields", "tags")
EDITABLE += ("suggestion_kind",)
CLEARABLE = ("category", "severity", "suggestion_kind")  # None is a value for these (severity: default)


def _choice(value: str, allowed: Any, field: str) -> str:
    names = [str(v) for v in allowed]
    if value not in names:
        raise InvalidInput(f"{field}: {value!r} is not one of {', '.join(names)}", field=field)
    return value


def check_classification(fields: dict[str, Any]) -> dict[str, Any]:
    """Type, severity, priority and suggestion kind as a consistent set: severity only for complaints
    (normal unless said), a suggestion kind only for suggestions."""
    type_ = _choice(fields["type"], TicketType, "type")
    _choice(fields.get("priority") or "normal", Priority, "priority")
    if type_ == "complaint":
        fields["severity"] = _choice(fields.get("severity") or "normal", Severity, "severity")
    elif fields.get("severity"):
        raise InvalidInput("severity: only complaints have a severity", field="severity")
    if type_ == "suggestion":
        fields["suggestion_kind"] = _choice(
            fields.get("suggestion_kind") or "other", SUGGESTION_KINDS, "suggestion_kind"
        )
    elif fields.get("suggestion_kind"):
        raise InvalidInput("suggestion_kind: only suggestions have a kind", field="suggestion_kind")
    return fields


def user_or_refuse(session: Session, user_id: int, field: str) -> User:
    user = session.get(User, user_id)
    if user is None or not user.is_active:
        raise InvalidInput(f"{field}: no active user {user_id}", field=field)
    return user


def _team_or_refuse(session: Session, team_id: int | None) -> None:
    if team_id is not None and session.get(Team, team_id) is None:
        raise InvalidInput(f"team_id: no team {team_id}", field="team_id")


def _record(
    session: Session, ticket: Ticket, kind: str, actor_id: int | None, now: datetime, **data: Any
) -> None:
    session.add(TicketEvent(**_event_row(ticket, kind, actor_id, now, data)))


def _announce(session: Session, ticket: Ticket, kind: str, **data: Any) -> None:
    payload = {"ticket": ticket.id, "public_id": ticket.public_id, "status": ticket.status, **data}
    send_event_on_commit(session, Event(f"ticket.{kind}", payload, watchers(session, ticket)))


def _touch(session: Session, ticket: Ticket, now: datetime) -> None:
    ticket.updated_at = now
    refresh_sla(ticket, sla_setup(session), now)


def _from_conversation(session: Session, fields: dict[str, Any]) -> dict[str, Any]:
    """A ticket from a conversation that needs follow-up work: its customer and channel by default."""
    if fields.get("conversation_id") is None:
        if fields.get("customer_id") is None:
            raise InvalidInput("customer_id: give the customer or the conversation", field="customer_id")
        return {**fields, "channel": fields.get("channel") or "api"}
    conversation = session.get(Conversation, fields["conversation_id"])
    if conversation is None:
        raise InvalidInput(
            f"conversation_id: no conversation {fields['conversation_id']}", field="conversation_id"
        )
    customer = fields.get("customer_id") or conversation.customer_id
    return {**fields, "customer_id": customer, "channel": fields.get("channel") or conversation.channel}


# Every column has a value before the INSERT (see `_insert_new`): a column left unset would be read back
# from the database on first use.
_TICKET_COLUMNS = tuple(c.key for c in Ticket.__table__.columns if c.key != "id")
_EVENT_COLUMNS = ("ticket_id", "actor_id", "kind", "data", "created_at")
_NEW_TICKET = {key: None for key in _TICKET_COLUMNS} | {
    "status": TicketStatus.new.value, "priority": "normal", "description": "", "escalation_level": "agent",
    "sla_state": "ok", "reopen_count": 0,
}  # fmt: skip
# Both statements of a creation run on the driver, compiled once per dialect (kefu.core.prepared):
# through SQLAlchemy's `execute`, building cache keys and processing the parameters cost more than the
# INSERT itself.
_CUSTOMERS = Customer.__table__.c
_TIER = Prepared(lambda _: select(_CUSTOMERS.tier).where(_CUSTOMERS.id == bindparam("id")))
_INSERT = Prepared(
    lambda _: (
        insert(Ticket.__table__)
        .values({key: bindparam(key, type_=Ticket.__table__.c[key].type) for key in _TICKET_COLUMNS})
        .returning(Ticket.__table__.c.id)
    )
)


# The `created` history row goes in at once, like the ticket: it is the ticket's first, so no history of
# the ticket can be pending in the session before it (the order of a ticket's history is its ids' order).
_INSERT_EVENT = Prepared(
    lambda _: insert(TicketEvent.__table__).values(
        {key: bindparam(key, type_=TicketEvent.__table__.c[key].type) for key in _EVENT_COLUMNS}
    )
)


def _event_row(
    ticket: Ticket, kind: str, actor_id: int | None, now: datetime, data: dict[str, Any]
) -> dict[str, Any]:
    return {"ticket_id": ticket.id, "actor_id": actor_id, "kind": kind, "data": data, "created_at": now}


def _new_ticket(values: dict[str, Any]) -> Ticket:
    """A Ticket holding `values` (every column but the id). They go straight into the instance's dict, as
    SQLAlchemy itself does when it loads a row: the instrumented constructor, one attribute event per
    column, cost more than the INSERT. `_insert_new` then makes them its loaded, committed state."""
    unknown = set(values) - set(_NEW_TICKET)
    if unknown:
        raise TypeError(f"not a column of tickets: {sorted(unknown)}")  # as the constructor would
    ticket = Ticket()
    ticket.__dict__.update(values)
    return ticket


def _customer_tier(session: Session, customer_id: int) -> str | None:
    rows = _TIER.execute(session.connection(), {"id": customer_id})
    return rows[0][0] if rows else None


def _insert_new(session: Session, ticket: Ticket) -> None:
    """INSERT a new ticket with one statement and attach it to the session as persistent.

    Why not `session.add` + `flush`: the unit-of-work flush of one row costs more than everything else
    in a creation. The object is complete (every column set), so it joins the session as if just loaded;
    later changes to it (escalation, automation) are flushed as UPDATEs the usual way. The history and
    other rows the creation adds stay with the session and go in with its next flush, many in one statement.
    """
    values = {key: getattr(ticket, key) for key in _TICKET_COLUMNS}
    ticket.id = _INSERT.execute(session.connection(), values)[0][0]
    make_transient_to_detached(ticket)
    session.add(ticket)


def do_create_ticket(
    session: Session, *, fields: dict[str, Any], actor_id: int | None, now: datetime
) -> Ticket:
    """A new ticket with its SLA policy chosen; a major complaint reaches its escalation level at once."""
    fields = _from_conversation(session, check_classification(dict(fields)))
    _choice(fields["channel"], sorted(CHANNELS), "channel")
    tier = _customer_tier(session, fields["customer_id"])
    if tier is None:
        raise InvalidInput(f"customer_id: no customer {fields['customer_id']}", field="customer_id")
    if fields.get("assignee_id") is not None:
        assignee = user_or_refuse(session, fields["assignee_id"], "assignee_id")
        fields["team_id"] = fields.get("team_id") or assignee.team_id
    _team_or_refuse(session, fields.get("team_id"))
    fields["custom_fields"] = checked_custom_fields(
        session, fields["type"], fields.get("custom_fields") or {}
    )
    setup = sla_setup(session)
    policy = setup.book.choose(fields["channel"], fields["type"], fields.get("priority") or "normal", tier)
    given = {k: v for k, v in fields.items() if v is not None}
    ticket = _new_ticket(_NEW_TICKET | {"custom_fields": {}, "tags": []} | given | {
        "public_id": public_id(), "created_at": now, "updated_at": now, "sla_policy": policy.name,
        "sla_pauses": [],
    })  # fmt: skip
    refresh_sla(ticket, setup, now)  # due_at goes into the INSERT (no UPDATE right after it)
    _insert_new(session, ticket)
    created = {"policy": policy.name, **_summary(fields)}
    _INSERT_EVENT.execute(session.connection(), _event_row(ticket, "created", actor_id, now, created))
    if ticket.type == "complaint" and ticket.severity == "major":
        _major(session, ticket, setup, now, actor_id)
        refresh_sla(ticket, setup, now)
    _announce(session, ticket, "created", customer=ticket.customer_id, channel=ticket.channel)
    if ticket.type == "suggestion":
        _notify_customer(session, ticket, "acknowledged")  # the customer is thanked for the suggestion
    run_automation(session, ticket, "created", now)
    return ticket


def do_link_conversation(
    session: Session, *, ticket: Ticket, conversation: Conversation, actor_id: int | None, now: datetime
) -> Ticket:
    """Tie an existing ticket to the conversation it is about (the same customer's): one more linked
    conversation (kefu.tickets.conversations); linking it again changes nothing."""
    if ticket.customer_id != conversation.customer_id:
        raise InvalidInput("ticket_id: the ticket belongs to another customer", field="ticket_id")
    if conversation.id in conversations.linked_ids(session, ticket):
        return ticket
    conversations.do_link(session, ticket=ticket, conversation_id=conversation.id, actor_id=actor_id, now=now)
    run_automation(session, ticket, "conversation_linked", now)
    return ticket


def _major(session: Session, ticket: Ticket, setup: SlaSetup, now: datetime, actor_id: int | None) -> None:
    """A major complaint goes straight to the policy's level for it (the supervisor by default)."""
    level = setup.escalation.major_complaint_level.value
    if setup.escalation.rank(level) > setup.escalation.rank(
        level_in_chain(setup.escalation, ticket.escalation_level)
    ):
        escalate(session, ticket, level, now, "major complaint", setup.escalation, actor_id)


def _summary(fields: dict[str, Any]) -> dict[str, Any]:
    """The creation fields for the history, without the description (kept on the ticket itself)."""
    return {k: v for k, v in fields.items() if v is not None and k != "description"}


def do_update_ticket(
    session: Session,
    *,
    ticket: Ticket,
    changes: dict[str, Any],
    actor_id: int | None,
    now: datetime,
    automate: bool = True,
) -> Ticket:
    """Change classification or content; the policy is chosen again when what chooses it changed. Custom
    fields are checked against the (new) type's schema. `automate=False`: the change is automation's own
    (its rules have already seen it)."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"{unknown[0]}: cannot be changed here", field=unknown[0])
    emptied = sorted(k for k, v in changes.items() if v is None and k not in CLEARABLE)
    if emptied:
        raise InvalidInput(f"{emptied[0]}: cannot be emptied", field=emptied[0])
    merged = {k: getattr(ticket, k) for k in ("type", "severity", "priority", "suggestion_kind")}
    for key in ("severity", "suggestion_kind"):
        if "type" in changes and changes["type"] != ticket.type and key not in changes:
            merged[key] = None  # a changed type drops the old type's own field unless it is given again
    merged.update(changes)
    checked = check_classification(merged)
    if "custom_fields" in changes or ("type" in changes and changes["type"] != ticket.type):
        values = changes["custom_fields"] if "custom_fields" in changes else ticket.custom_fields or {}
        changes["custom_fields"] = checked_custom_fields(session, checked["type"], values)
    diff = {}
    for key, value in {**changes, **{k: checked.get(k) for k in ("severity", "suggestion_kind")}}.items():
        if getattr(ticket, key) != value:
            diff[key] = {"from": getattr(ticket, key), "to": value}
            setattr(ticket, key, value)
    if not diff:
        return ticket
    if {"type", "priority"} & set(diff):
        tier = session.scalar(select(Customer.tier).where(Customer.id == ticket.customer_id)) or "active"
        ticket.sla_policy = (
            sla_setup(session).book.choose(ticket.channel, ticket.type, ticket.priority, tier).name
        )
    _record(session, ticket, "updated", actor_id, now, changes=diff)
    if diff.get("severity", {}).get("to") == "major":
        _major(session, ticket, sla_setup(session), now, actor_id)
    _touch(session, ticket, now)
    _announce(session, ticket, "updated", fields=sorted(diff))
    if automate:
        run_automation(session, ticket, "updated", now, _flat_changes(diff))
    return ticket


def _flat_changes(diff: dict[str, Any]) -> dict[str, Any]:
    """field → old value, custom fields as `custom.<name>` (what automation conditions test)."""
    flat = {k: v["from"] for k, v in diff.items() if k != "custom_fields"}
    if "custom_fields" in diff:
        old, new = diff["custom_fields"]["from"] or {}, diff["custom_fields"]["to"] or {}
        flat.update({f"custom.{k}": old.get(k) for k in set(old) | set(new) if old.get(k) != new.get(k)})
    return flat


def do_assign_ticket(
    session: Session,
    *,
    ticket: Ticket,
    assignee_id: int | None,
    team_id: int | None,
    actor_id: int | None,
    now: datetime,
) -> Ticket:
    """A new customer-facing owner (and team, by default the owner's)."""
    if assignee_id is not None:
        team_id = team_id or user_or_refuse(session, assignee_id, "assignee_id").team_id
    _team_or_refuse(session, team_id)
    before = {"assignee_id": ticket.assignee_id, "team_id": ticket.team_id}
    ticket.assignee_id, ticket.team_id = assignee_id, team_id
    _record(
        session, ticket, "assigned", actor_id, now, before=before, assignee_id=assignee_id, team_id=team_id
    )
    if ticket.status == TicketStatus.new and assignee_id is not None:
        _set_status(session, ticket, TicketStatus.open, actor_id, now, reason="assigned")
    _touch(session, ticket, now)
    _announce(session, ticket, "assigned", assignee=assignee_id, team=team_id)
    moved = {k: v for k, v in before.items() if getattr(ticket, k) != v}
    run_automation(session, ticket, "assigned", now, moved)
    return ticket


def do_take_routed_ticket(session: Session, ticket_id: int, agent_id: int, now: datetime) -> None:
    """Routing chose the agent for the ticket's queued work: they become its customer-facing owner."""
    ticket = session.get(Ticket, ticket_id)
    if ticket is not None:
        do_assign_ticket(session, ticket=ticket, assignee_id=agent_id, team_id=None, actor_id=None, now=now)


def do_queue_ticket(
    session: Session, *, ticket: Ticket, queue: str, actor_id: int | None, now: datetime
) -> int:
    """Put the ticket's work into a routing queue; the routing leader picks its agent."""
    tier = session.scalar(select(Customer.tier).where(Customer.id == ticket.customer_id)) or "active"
    entry = do_enqueue(
        session, contact_kind="ticket", contact_id=ticket.id, queue_code=queue, now=now,
        customer_id=ticket.customer_id, tier=tier, ticket_type=ticket.type,
        severity=ticket.severity or "normal", last_agent_id=ticket.assignee_id,
    )  # fmt: skip
    _record(session, ticket, "queued", actor_id, now, queue=queue, entry=entry.id)
    return entry.id


def _set_status(
    session: Session, ticket: Ticket, target: TicketStatus, actor_id: int | None, now: datetime, reason: str
) -> None:
    old = ticket.status
    ticket.sla_pauses = moved_pauses(ticket.sla_pauses or [], old, target.value, now)
    ticket.status = target.value
    if target is TicketStatus.solved:
        ticket.solved_at = now
    elif target is TicketStatus.closed:
        ticket.closed_at = now
    elif is_reopen(old, target):
        ticket.solved_at = ticket.closed_at = None
        ticket.reopen_count += 1
    _record(session, ticket, "status", actor_id, now, **{"from": old, "to": target.value, "reason": reason})


def do_change_status(
    session: Session, *, ticket: Ticket, status: str, actor_id: int | None, now: datetime, reason: str = ""
) -> Ticket:
    """Move through the status machine (409 naming the allowed targets otherwise). Solving asks the
    customer for CSAT; closing creates the follow-ups the customer qualifies for."""
    old = ticket.status
    try:
        target = check_transition(old, status)
    except InvalidTransition as exc:
        raise Conflict(str(exc), code="invalid_transition", field="status") from exc
    _set_status(
        session, ticket, target, actor_id, now, reason or ("reopened" if is_reopen(old, target) else "")
    )
    _touch(session, ticket, now)
    if target is TicketStatus.solved:
        do_create_survey(
            session, customer_id=ticket.customer_id, channel=ticket.channel, now=now,
            ticket_id=ticket.id, agent_id=ticket.assignee_id,
        )  # fmt: skip
    if target is TicketStatus.closed:
        follow_ups.after_closure(session, ticket, now)
    _announce(session, ticket, "status_changed", **{"from": old, "to": target.value})
    if now - ticket.created_at >= LONG_TICKET:
        _notify_customer(session, ticket, "moved")
    run_automation(session, ticket, "status_changed", now, {"status": old})
    return ticket


def _notify_customer(session: Session, ticket: Ticket, why: str) -> None:
    """A progress notice for the customer; the channel side sends it (with the signed status link)."""
    payload = {
        "ticket": ticket.id, "public_id": ticket.public_id, "customer": ticket.customer_id,
        "channel": ticket.channel, "status": ticket.status, "why": why,
    }  # fmt: skip
    send_event_on_commit(session, Event("ticket.progress", payload, ()))


def do_reply(
    session: Session, *, ticket: Ticket, body: str, public: bool, actor_id: int | None, now: datetime
) -> Ticket:
    """A public reply (to the customer, sent by the channel side on `ticket.public_reply`) stops the
    first-response and the current next-response clock; an internal note is seen by staff only."""
    if ticket.status == TicketStatus.closed:
        raise Conflict("status: a closed ticket takes no replies; reopen it first", field="status")
    if not public:
        _record(session, ticket, "note", actor_id, now, body=body)
        _announce(session, ticket, "note", author=actor_id)
        run_automation(session, ticket, "note_added", now)
        return ticket
    _record(session, ticket, "reply", actor_id, now, body=body)
    old = ticket.status
    if ticket.first_response_at is None:
        ticket.first_response_at = now
    ticket.awaiting_reply_since = None
    if ticket.status == TicketStatus.new:
        _set_status(session, ticket, TicketStatus.open, actor_id, now, reason="replied")
    _touch(session, ticket, now)
    payload = {
        "ticket": ticket.id, "public_id": ticket.public_id, "customer": ticket.customer_id,
        "channel": ticket.channel, "conversation": ticket.conversation_id, "body": body, "author": actor_id,
    }  # fmt: skip
    send_event_on_commit(session, Event("ticket.public_reply", payload, ()))
    run_automation(session, ticket, "reply_added", now, {"status": old} if ticket.status != old else {})
    return ticket


def do_customer_message(session: Session, *, ticket: Ticket, body: str, now: datetime) -> Ticket:
    """The customer wrote: it starts a next-response cycle (if none is open) and a pending ticket reopens
    its work (the customer answered); a solved ticket is reopened."""
    _record(session, ticket, "customer_message", None, now, body=body)
    old = ticket.status
    if ticket.first_response_at is not None and ticket.awaiting_reply_since is None:
        ticket.awaiting_reply_since = now
    if ticket.status in (TicketStatus.pending, TicketStatus.solved, TicketStatus.closed):
        reason = "customer replied" if ticket.status == TicketStatus.pending else "reopened"
        _set_status(session, ticket, TicketStatus.open, None, now, reason=reason)
    _touch(session, ticket, now)
    _announce(session, ticket, "customer_message")
    run_automation(session, ticket, "customer_message", now, {"status": old} if ticket.status != old else {})
    return ticket


def do_escalate_by_hand(
    session: Session, *, ticket: Ticket, to: str | None, reason: str, actor_id: int | None, now: datetime
) -> Ticket:
    """One level up the chain, or straight to a higher level; refused at the top or downwards (409)."""
    try:
        policy = sla_setup(session).escalation
        level = manual_escalation(policy, level_in_chain(policy, ticket.escalation_level), to)
    except EscalationError as exc:
        raise Conflict(str(exc), code="invalid_escalation", field="to") from exc
    before = ticket.escalation_level
    escalate(session, ticket, level.value, now, reason or "by hand", policy, actor_id)
    _touch(session, ticket, now)
    run_automation(session, ticket, "escalated", now, {"escalation_level": before})
    return ticket
