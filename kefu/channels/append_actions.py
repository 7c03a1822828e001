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

from sqlalchemy import bindparam, insert, select
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


def do_append_messages(
    session: Session, items: list[tuple[Inbound, int]], *, savepoint: bool = True
) -> list[Appended | None]:
    """Store each (message, known conversation id) pair; None where the slow path must decide.

    Raises the validation error of the first invalid message before writing anything, so callers validate
    (`check_inbound`) first when they want one bad message to fail alone. The insert runs in a SAVEPOINT so
    that a duplicate stored meanwhile by another process leaves the transaction usable; a caller whose
    transaction holds nothing else passes `savepoint=False` and, on IntegrityError, rolls back and lets
    the slow path decide each message.
    """
    for inbound, _ in items:
        check_inbound(inbound)
    conversations = _open_conversations(session, {conversation_id for _, conversation_id in items})
    stored = _stored_messages(
        session,
        {inbound.channel.value for inbound, _ in items},
        [inbound.external_id for inbound, _ in items],
    )
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
        _insert(session, items, fresh, conversations, outcomes, savepoint)
    return outcomes


# The statements below are built once and run on the session's connection (SQLAlchemy Core): building a
# select() and its cache key costs more than running it, and the ORM's per-statement bookkeeping would be
# pure overhead on the hottest path (measured: a batch of one message cost ~5 ms of CPU before).
_OPEN = select(Conversation.id, Conversation.public_id, Conversation.customer_id).where(
    Conversation.id.in_(bindparam("ids", expanding=True)),
    Conversation.status != ConversationStatus.ended.value,
)
_STORED = (
    select(Message.channel, Message.external_id, Message.id, Message.conversation_id, Conversation.public_id)
    .join(Conversation, Conversation.id == Message.conversation_id)
    .where(
        Message.channel.in_(bindparam("channels", expanding=True)),
        Message.external_id.in_(bindparam("external_ids", expanding=True)),
    )
)
_INSERT = insert(Message.__table__)


def _open_conversations(session: Session, ids: set[int]) -> dict[int, tuple[str, int]]:
    rows = session.connection().execute(_OPEN, {"ids": list(ids)})
    return {id_: (public_id, customer_id) for id_, public_id, customer_id in rows}


def _stored_messages(
    session: Session, channels: set[str], external_ids: list[str]
) -> dict[tuple[str, str], tuple[int, int, str]]:
    rows = session.connection().execute(_STORED, {"channels": list(channels), "external_ids": external_ids})
    return {
        (channel, external_id): (id_, conversation, public)
        for channel, external_id, id_, conversation, public in rows
    }


def _insert(
    session: Session,
    items: list[tuple[Inbound, int]],
    fresh: list[int],
    conversations: dict[int, tuple[str, int]],
    outcomes: list[Appended | None],
    savepoint: bool,
) -> None:
    now = clock.now()
    rows = [_row(items[i][0], items[i][1], now) for i in fresh]
    if savepoint:
        try:
            with session.begin_nested():
                found = _insert_rows(session, rows, conversations, now)
        except IntegrityError:
            return  # another process stored one of them meanwhile: the slow path sorts each out
    else:
        found = _insert_rows(session, rows, conversations, now)
    for index, row in zip(fresh, rows, strict=True):
        row["id"] = found[(row["channel"], row["external_id"])][0]
        public_id, customer_id = conversations[row["conversation_id"]]
        outcomes[index] = Appended(row["id"], row["conversation_id"], public_id, duplicate=False)
        send_event_on_commit(session, message_event(row, customer_id))


def _insert_rows(
    session: Session, rows: list[dict[str, Any]], conversations: dict[int, tuple[str, int]], now: datetime
) -> dict[tuple[str, str], tuple[int, int, str]]:
    # Core executemany on the table: no RETURNING (SQLite would then insert row by row) and no ORM bulk
    # bookkeeping, which cost more than the inserts themselves.
    session.connection().execute(_INSERT, rows)
    found = _stored_messages(session, {r["channel"] for r in rows}, [r["external_id"] for r in rows])
    do_touch_customers(session, {conversations[r["conversation_id"]][1] for r in rows}, now)
    return found


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
