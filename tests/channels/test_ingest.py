"""Idempotent ingestion: the same channel message id is stored once, even when two deliveries race."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from kefu.channels import actions
from kefu.channels.actions import Inbound, MessageTooLarge, do_ingest_message
from kefu.channels.append_actions import do_append_messages
from kefu.channels.kinds import Channel, ConversationStatus
from kefu.channels.models import Conversation, Message
from kefu.core.errors import InvalidInput
from kefu.core.events import Event
from kefu.core.runtime import Runtime
from kefu.customers.identity import normalise_identity
from kefu.customers.tiers import TierRules

RULES = TierRules()
VISITOR = normalise_identity("visitor", "visitor-0001")


def _inbound(external_id: str, body: str = "hello") -> Inbound:
    return Inbound(channel=Channel.webchat, external_id=external_id, identities=(VISITOR,), body=body)


def test_race_lost_at_the_unique_constraint_returns_the_stored_message(
    runtime: Runtime, frozen_clock, monkeypatch: pytest.MonkeyPatch
) -> None:
    with runtime.write_sessions() as session, session.begin():
        stored = do_ingest_message(session, _inbound("m-1"), rules=RULES).message.id
    # The other delivery checked before ours committed: its look-up saw nothing.
    real_lookup, blind = actions._stored, iter([None])
    monkeypatch.setattr(actions, "_stored", lambda *a: next(blind, None) or real_lookup(*a))
    with runtime.write_sessions() as session, session.begin():
        again = do_ingest_message(session, _inbound("m-1", "changed"), rules=RULES)
        assert again.duplicate and again.message.id == stored
        later = do_ingest_message(session, _inbound("m-2"), rules=RULES)  # the transaction is still usable
        assert not later.duplicate
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 2


def test_events_follow_the_commit_and_vanish_on_rollback(runtime: Runtime, frozen_clock) -> None:
    seen: list[Event] = []
    runtime.bus.subscribe(seen.append)
    with runtime.write_sessions() as session, session.begin():
        do_ingest_message(session, _inbound("m-1"), rules=RULES)
        assert seen == []
    assert {"customer.created", "conversation.started", "message.created"} <= {e.type for e in seen}
    seen.clear()
    with runtime.sessions() as session:
        session.begin()
        do_ingest_message(session, _inbound("m-2"), rules=RULES)
        session.rollback()
    assert seen == []


def test_limits_are_named(runtime: Runtime, frozen_clock) -> None:
    with runtime.write_sessions() as session, session.begin():
        with pytest.raises(MessageTooLarge, match="limit of 20000"):
            do_ingest_message(session, _inbound("big", "x" * 20_001), rules=RULES)
        with pytest.raises(InvalidInput, match="external_id"):
            do_ingest_message(session, _inbound("", "x"), rules=RULES)


def _first(runtime: Runtime, external_id: str = "w-0") -> int:
    with runtime.write_sessions() as session, session.begin():
        return do_ingest_message(session, _inbound(external_id), rules=RULES).conversation.id


def test_fast_append_stores_once_and_announces_each_message(runtime: Runtime, frozen_clock) -> None:
    conversation = _first(runtime)
    seen: list[Event] = []
    runtime.bus.subscribe(seen.append)
    items = [
        (_inbound("w-1", "a"), conversation),
        (_inbound("w-2", "b"), conversation),
        (_inbound("w-1", "a"), conversation),
        (_inbound("w-0", "again"), conversation),
    ]
    with runtime.write_sessions() as session, session.begin():
        outcomes = do_append_messages(session, items)
    first, second, repeated, earlier = outcomes
    assert not first.duplicate and not second.duplicate and first.message_id != second.message_id
    assert repeated is None  # the same id twice in one batch: left to the full action, which dedupes
    assert earlier.duplicate and earlier.conversation_id == conversation
    assert [e.payload["body"] for e in seen if e.type == "message.created"] == ["a", "b"]
    with runtime.sessions() as session:
        assert session.get(Message, first.message_id).body == "a"


def test_fast_append_leaves_ended_conversations_to_the_full_action(runtime: Runtime, frozen_clock) -> None:
    conversation = _first(runtime)
    with runtime.write_sessions() as session, session.begin():
        session.get(Conversation, conversation).status = ConversationStatus.ended.value
    with runtime.write_sessions() as session, session.begin():
        assert do_append_messages(session, [(_inbound("w-1"), conversation)]) == [None]
