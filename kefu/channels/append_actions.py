"""Appending many customers' messages to conversations they already have open, in a few statements.

Live chat sends most messages into a conversation the connection already knows. Resolving the customer
and the conversation again for each (as `do_ingest_message` must for a first contact) costs about eight
statements per message; here a whole batch costs four: check the conversations are still open, find
duplicates, insert the rest with RETURNING, touch the customers. Anything that does not fit (conversation
ended, duplicate race with another process) is left to `do_ingest_message`, which handles every case.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.channels.actions import Inbound, check_inbound, message_event
from kefu.channels.kinds import ConversationStatus, Sender
from kefu.channels.models import Conversation, Message
from kefu.core import clock
from kefu.core.events import send_event_on_commit
from kefu.customers.actions import do_touch_customers


@dataclass(frozen=True)
class Appended:
    message_id: int
    conversation_id: int
    conversation_public_id: str
    duplicate: bool


def do_append_messages(session: Session, items: list[tuple[Inbound, int]]) -> list[Appended | None]:
    """Store each (message, known conversation id) pair; None where the slow path must decide.

    Raises the validation error of the first invalid message before writing anything, so callers validate
    (`check_inbound`) first when they want one bad message to fail alone.
    """
    for inbound, _ in items:
        check_inbound(inbound)
    conversations = _open_conversations(session, {conversation_id for _, conversation_id in items})
    stored = _stored_messages(session, items)
    outcomes: list[Appended | None] = [None] * len(items)
    fresh: list[int] = []
    seen: set[tuple[str, str]] = set()
    for index, (inbound, conversation_id) in enumerate(items):
        key = (inbound.channel.value, inbound.external_id)
        if key in stored:
            message_id, stored_conversation, public = stored[key]
            outcomes[index] = Appended(message_id, stored_conversation, public, duplicate=True)
        elif conversation_id in conversations and key not in seen:
            fresh.append(index)
            seen.add(key)
    if fresh:
        _insert(session, items, fresh, conversations, outcomes)
    return outcomes


def _open_conversations(session: Session, ids: set[int]) -> dict[int, tuple[str, int]]:
    rows = session.execute(
        select(Conversation.id, Conversation.public_id, Conversation.customer_id).where(
            Conversation.id.in_(ids), Conversation.status != ConversationStatus.ended.value
        )
    )
    return {row.id: (row.public_id, row.customer_id) for row in rows}


def _stored_messages(session: Session, items: list[tuple[Inbound, int]]) -> dict[tuple[str, str], tuple]:
    channels = {inbound.channel.value for inbound, _ in items}
    external_ids = {inbound.external_id for inbound, _ in items}
    rows = session.execute(
        select(
            Message.channel, Message.external_id, Message.id, Message.conversation_id, Conversation.public_id
        )
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.channel.in_(channels), Message.external_id.in_(external_ids))
    )
    return {(r.channel, r.external_id): (r.id, r.conversation_id, r.public_id) for r in rows}


def _insert(
    session: Session,
    items: list[tuple[Inbound, int]],
    fresh: list[int],
    conversations: dict[int, tuple[str, int]],
    outcomes: list[Appended | None],
) -> None:
    now = clock.now()
    rows = [_row(items[i][0], items[i][1], now) for i in fresh]
    try:
        with session.begin_nested():
            # Core executemany on the table: no RETURNING (SQLite would then insert row by row) and no ORM
            # bulk bookkeeping, which cost more than the inserts themselves.
            session.execute(insert(Message.__table__), rows)
            ids = _ids_of(session, rows)
            do_touch_customers(session, {conversations[r["conversation_id"]][1] for r in rows}, now)
    except IntegrityError:
        return  # another process stored one of them meanwhile: the slow path sorts each out
    for index, row in zip(fresh, rows, strict=True):
        row["id"] = ids[(row["channel"], row["external_id"])]
        public_id, customer_id = conversations[row["conversation_id"]]
        outcomes[index] = Appended(row["id"], row["conversation_id"], public_id, duplicate=False)
        send_event_on_commit(session, message_event(row, customer_id))


def _row(inbound: Inbound, conversation_id: int, now: datetime) -> dict[str, Any]:
    return {
        "conversation_id": conversation_id,
        "channel": inbound.channel.value,
        "external_id": inbound.external_id,
        "sender": Sender.customer.value,
        "body": inbound.body,
        "body_html": inbound.body_html,
        "is_internal": False,
        "created_at": now,
    }


def _ids_of(session: Session, rows: list[dict[str, Any]]) -> dict[tuple[str, str], int]:
    found = session.execute(
        select(Message.channel, Message.external_id, Message.id).where(
            Message.channel.in_({r["channel"] for r in rows}),
            Message.external_id.in_([r["external_id"] for r in rows]),
        )
    )
    return {(channel, external_id): message_id for channel, external_id, message_id in found}
