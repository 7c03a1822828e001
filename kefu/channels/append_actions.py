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
from kefu.core.prepared import Prepared, in_list, in_values
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
    if not items:
        return []
    conversations = _open_conversations(session, {conversation_id for _, conversation_id in items})
    stored = _stored_messages(session, [(inbound.channel.value, inbound.external_id) for inbound, _ in items])
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


# The statements are compiled once per dialect and run on the session's connection without SQLAlchemy's
# per-execution work (kefu.core.prepared): on the hottest path that work cost more than the database's.
_OPEN = Prepared(
    lambda size: select(Conversation.id, Conversation.public_id, Conversation.customer_id).where(
        Conversation.id.in_(in_list("id", size)), Conversation.status != bindparam("ended")
    )
)
_STORED = Prepared(
    lambda size: (
        select(Message.external_id, Message.id, Message.conversation_id, Conversation.public_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Message.channel == bindparam("channel"), Message.external_id.in_(in_list("external_id", size)))
    )
)
COLUMNS = (
    "conversation_id",
    "channel",
    "external_id",
    "sender",
    "body",
    "body_html",
    "is_internal",
    "created_at",
)
_INSERT = Prepared(
    lambda _: insert(Message.__table__).values({name: bindparam(name) for name in COLUMNS}).inline()
)


def _open_conversations(session: Session, ids: set[int]) -> dict[int, tuple[str, int]]:
    size, params = in_values("id", ids)
    rows = _OPEN.execute(session.connection(), {**params, "ended": ConversationStatus.ended.value}, size=size)
    return {id_: (public_id, customer_id) for id_, public_id, customer_id in rows}


def _stored_messages(
    session: Session, keys: list[tuple[str, str]]
) -> dict[tuple[str, str], tuple[int, int, str]]:
    """Stored messages by (channel, external id): one query per channel (a batch usually has one)."""
    by_channel: dict[str, list[str]] = {}
    for channel, external_id in keys:
        by_channel.setdefault(channel, []).append(external_id)
    found: dict[tuple[str, str], tuple[int, int, str]] = {}
    for channel, external_ids in by_channel.items():
        size, params = in_values("external_id", external_ids)
        rows = _STORED.execute(session.connection(), {**params, "channel": channel}, size=size)
        found.update(
            ((channel, external_id), (id_, conversation, public))
            for external_id, id_, conversation, public in rows
        )
    return found


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
    # executemany without RETURNING (SQLite would then insert row by row); the ids are read back at once.
    _INSERT.executemany(session.connection(), rows)
    found = _stored_messages(session, [(row["channel"], row["external_id"]) for row in rows])
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
