"""Statements compiled once per dialect and run on the driver: the same rows as through SQLAlchemy."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import bindparam, insert, select

from kefu.channels.actions import Inbound, do_ingest_message
from kefu.channels.kinds import Channel
from kefu.channels.models import Conversation, Message
from kefu.core.prepared import Prepared, in_list, in_values
from kefu.core.runtime import Runtime
from kefu.customers.identity import normalise_identity
from kefu.customers.tiers import TierRules

_IDS = Prepared(lambda size: select(Conversation.id).where(Conversation.id.in_(in_list("id", size))))
_NOTES = Prepared(
    lambda _: insert(Message.__table__).values(
        {
            name: bindparam(name)
            for name in ("conversation_id", "channel", "sender", "body", "is_internal", "created_at")
        }
    )
)


def test_in_lists_are_padded_with_a_value_already_listed() -> None:
    assert in_values("id", [7]) == (1, {"id0": 7})
    size, params = in_values("id", [1, 2, 3])
    assert size == 4 and params == {"id0": 1, "id1": 2, "id2": 3, "id3": 3}


def _conversations(runtime: Runtime, count: int) -> list[int]:
    with runtime.write_sessions() as session, session.begin():
        return [
            do_ingest_message(
                session,
                Inbound(
                    Channel.webchat, f"v{i}:0", (normalise_identity("visitor", f"visitor-{i:04d}"),), "hi"
                ),
                rules=TierRules(),
            ).conversation.id
            for i in range(count)
        ]


def test_in_list_queries_find_every_listed_row(runtime: Runtime) -> None:
    ids = _conversations(runtime, 5)
    with runtime.sessions() as session:
        for wanted in (ids[:1], ids[:3], ids):
            size, params = in_values("id", wanted)
            found = _IDS.execute(session.connection(), params, size=size)
            assert sorted(row[0] for row in found) == sorted(wanted)


def test_rows_are_stored_with_their_processed_values(runtime: Runtime) -> None:
    """A timestamp shared by the rows is converted once and read back as the ORM wrote it."""
    conversation = _conversations(runtime, 1)[0]
    at = datetime(2026, 11, 26, 5, 30, 1, 250_000, tzinfo=UTC)
    rows = [
        {
            "conversation_id": conversation,
            "channel": Channel.webchat.value,
            "sender": "agent",
            "body": body,
            "is_internal": True,
            "created_at": at,
        }
        for body in ("one", "two")
    ]
    with runtime.write_sessions() as session, session.begin():
        _NOTES.executemany(session.connection(), rows)
    with runtime.sessions() as session:
        stored = session.scalars(select(Message).where(Message.is_internal.is_(True))).all()
    assert sorted(m.body for m in stored) == ["one", "two"]
    assert all(m.created_at == at and m.is_internal is True for m in stored)
