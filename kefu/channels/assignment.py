"""Conversations and routing: a conversation waiting for a person enters a queue, and the agent routing
chooses becomes the conversation's agent, in the same transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.models import User
from kefu.channels.kinds import ConversationStatus
from kefu.channels.models import Conversation
from kefu.core.events import Event, send_event_on_commit
from kefu.customers.models import Customer
from kefu.routing.actions import do_abandon, do_enqueue, do_release, queue_for_channel
from kefu.routing.models import Queue, QueueEntry

CONTACT_KIND = "conversation"
# Set by kefu.wiring: whether the bot answers a new conversation first (the bot domain decides, and keeps
# its own record); channels never import the bot.
BotGate = Callable[[Session, Conversation], bool]
_bot_gate: list[BotGate] = []


def on_new_conversation(gate: BotGate) -> None:
    _bot_gate[:] = [gate]


def do_queue_conversation(session: Session, conversation: Conversation, now: datetime) -> QueueEntry | None:
    """A new conversation: the bot takes it first where the bot is on for its channel (status `bot`,
    queued later by its bot_handoff), else it enters routing at once (`do_enqueue_conversation`)."""
    if _bot_gate and _bot_gate[0](session, conversation):
        conversation.status, conversation.bot_handled, conversation.queued_at = (
            ConversationStatus.bot.value,
            True,
            None,
        )
        return None
    return do_enqueue_conversation(session, conversation, now)


def do_enqueue_conversation(
    session: Session, conversation: Conversation, now: datetime, queue_code: str | None = None
) -> QueueEntry | None:
    """Put the conversation in `queue_code`, else its channel's queue (in the customer's language); None
    when the centre has no queue for that channel, so the conversation waits in the inbox for whoever
    picks it up."""
    customer = session.get(Customer, conversation.customer_id)
    queue = queue_for_channel(session, conversation.channel, customer.language if customer else None)
    if queue_code is not None:
        queue = session.scalar(select(Queue).where(Queue.code == queue_code)) or queue
    if queue is None:
        return None
    last_agent = session.scalar(
        select(Conversation.agent_id)
        .where(
            Conversation.customer_id == conversation.customer_id,
            Conversation.agent_id.is_not(None),
            Conversation.id != conversation.id,
        )
        .order_by(Conversation.started_at.desc())
        .limit(1)
    )
    conversation.queue_id, conversation.queued_at = queue.id, conversation.queued_at or now
    return do_enqueue(
        session,
        contact_kind=CONTACT_KIND,
        contact_id=conversation.id,
        queue_code=queue.code,
        now=now,
        customer_id=conversation.customer_id,
        tier=customer.tier if customer else "active",
        last_agent_id=last_agent,
        dedicated_agent_id=customer.dedicated_agent_id if customer else None,
    )


def do_assign_agent(session: Session, conversation_id: int, agent_id: int, now: datetime) -> None:
    """Routing chose (or a transfer moved to) `agent_id`: the conversation is now theirs and answered."""
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        return
    previous = conversation.agent_id
    conversation.agent_id = agent_id
    conversation.team_id = session.scalar(select(User.team_id).where(User.id == agent_id))
    conversation.status = ConversationStatus.active.value
    conversation.answered_at = conversation.answered_at or now
    if previous is not None and previous != agent_id:
        conversation.transfer_count += 1
    send_event_on_commit(
        session,
        Event(
            "conversation.assigned",
            {"conversation_id": conversation.id, "agent_id": agent_id},
            recipients=tuple(a for a in (agent_id, previous) if a),
        ),
    )


def _open_entry(session: Session, conversation_id: int) -> QueueEntry | None:
    return session.scalar(
        select(QueueEntry).where(
            QueueEntry.contact_kind == CONTACT_KIND,
            QueueEntry.contact_id == conversation_id,
            QueueEntry.status.in_(("waiting", "offered", "assigned")),
        )
    )


def do_end_conversation(
    session: Session, conversation: Conversation, now: datetime, after_contact_seconds: float = 0.0
) -> None:
    """The conversation ended: free the agent (after-contact work first), or count an abandoned wait."""
    entry = _open_entry(session, conversation.id)
    if entry is not None and entry.status == "assigned":
        do_release(session, entry.id, now, after_contact_seconds)
    elif entry is not None and entry.status == "waiting":
        do_abandon(session, entry.id, now)
        conversation.abandoned = True
    conversation.status, conversation.ended_at = ConversationStatus.ended.value, now
    conversation.after_contact_seconds = int(after_contact_seconds)
    send_event_on_commit(
        session,
        Event(
            "conversation.ended",
            {"conversation_id": conversation.id},
            recipients=(conversation.agent_id,) if conversation.agent_id else None,
        ),
    )
