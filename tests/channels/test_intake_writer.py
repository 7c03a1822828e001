"""The live-channel group-commit writer, in both of its modes: the fast path on the event loop (SQLite
with an in-process bus) and the whole batch in a worker thread (PostgreSQL, or a Redis bus)."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import select

from kefu.channels.actions import Inbound, MessageTooLarge, do_ingest_message
from kefu.channels.append_actions import Appended
from kefu.channels.intake_writer import IntakeWriter
from kefu.channels.kinds import Channel, ConversationStatus
from kefu.channels.models import Conversation, Message
from kefu.core.events import Event
from kefu.core.runtime import Runtime
from kefu.customers.identity import normalise_identity
from kefu.customers.tiers import TierRules

RULES = TierRules()
VISITOR = normalise_identity("visitor", "visitor-0001")
MODES = [pytest.param(True, id="inline"), pytest.param(False, id="thread")]


def _inbound(external_id: str, body: str = "hello", visitor: str = "visitor-0001") -> Inbound:
    identity = normalise_identity("visitor", visitor)
    return Inbound(channel=Channel.webchat, external_id=external_id, identities=(identity,), body=body)


def _first(runtime: Runtime, external_id: str = "w-0") -> int:
    with runtime.write_sessions() as session, session.begin():
        return do_ingest_message(session, _inbound(external_id), rules=RULES).conversation.id


def test_the_mode_follows_the_database_and_the_bus(runtime: Runtime) -> None:
    writer = IntakeWriter(runtime.write_sessions, RULES)
    assert writer.inline is (runtime.engine.dialect.name == "sqlite")


@pytest.mark.parametrize("inline", MODES)
def test_writer_batches_fast_and_slow_paths_and_reports_bad_messages_alone(
    runtime: Runtime, frozen_clock, inline: bool
) -> None:
    conversation = _first(runtime)
    writer = IntakeWriter(runtime.write_sessions, RULES, inline=inline)
    other = _inbound("v2:1", "new visitor", visitor="visitor-0002")

    async def scenario() -> list:
        return await asyncio.gather(
            writer.submit(_inbound("w-1"), conversation),
            writer.submit(other),
            writer.submit(_inbound("w-big", "x" * 20_001), conversation),
            writer.submit(_inbound("w-0"), conversation),
            return_exceptions=True,
        )

    fast, slow, too_large, duplicate = asyncio.run(scenario())
    assert fast.conversation_id == conversation and not fast.duplicate
    assert slow.conversation_id != conversation
    assert isinstance(too_large, MessageTooLarge)
    assert duplicate.duplicate


@pytest.mark.parametrize("inline", MODES)
def test_writer_survives_a_failed_batch(
    runtime: Runtime, frozen_clock, monkeypatch: pytest.MonkeyPatch, inline: bool
) -> None:
    conversation = _first(runtime)
    writer = IntakeWriter(runtime.write_sessions, RULES, inline=inline)
    name = "_write_fast" if inline else "_write"
    real, failures = getattr(writer, name), iter([RuntimeError("disk full")])

    def flaky(batch):
        error = next(failures, None)
        if error is not None:
            raise error
        return real(batch)

    monkeypatch.setattr(writer, name, flaky)

    async def scenario() -> tuple:
        first = await asyncio.gather(writer.submit(_inbound("w-1"), conversation), return_exceptions=True)
        second = await writer.submit(_inbound("w-1"), conversation)
        return first[0], second

    failed, stored = asyncio.run(scenario())
    assert isinstance(failed, RuntimeError)  # not acknowledged: the client sends it again
    assert not stored.duplicate  # the retry is stored, once


@pytest.mark.parametrize("inline", MODES)
def test_acks_follow_the_commit_in_the_order_sent(runtime: Runtime, frozen_clock, inline: bool) -> None:
    conversation = _first(runtime)
    writer = IntakeWriter(runtime.write_sessions, RULES, inline=inline)
    published: list[tuple[int, bool]] = []  # (message id, committed when announced)
    acked: list[int] = []
    ack_threads: set[int] = set()

    def on_event(event: Event) -> None:
        if event.type == "message.created":
            with runtime.sessions() as session:  # another connection sees it: it is committed
                found = session.scalar(select(Message.id).where(Message.id == event.payload["message_id"]))
            published.append((event.payload["message_id"], found is not None))

    runtime.bus.subscribe(on_event)
    loop_thread: list[int] = []

    async def scenario() -> None:
        loop_thread.append(threading.get_ident())
        all_acked = asyncio.Event()

        def done(outcome: Appended | Exception) -> None:
            assert isinstance(outcome, Appended)
            acked.append(outcome.message_id)
            ack_threads.add(threading.get_ident())
            if len(acked) == 300:
                all_acked.set()

        for n in range(300):
            writer.enqueue(_inbound(f"o-{n}", f"#{n}"), conversation, done)
        await asyncio.wait_for(all_acked.wait(), 30)

    asyncio.run(scenario())
    assert acked == sorted(acked) and len(set(acked)) == 300
    assert ack_threads == set(loop_thread)  # called on the loop, whichever thread wrote the batch
    assert [message_id for message_id, _ in published] == acked and all(c for _, c in published)
    with runtime.sessions() as session:
        bodies = session.scalars(
            select(Message.body).where(Message.conversation_id == conversation).order_by(Message.id)
        ).all()
    assert bodies == ["hello"] + [f"#{n}" for n in range(300)]
    assert writer.batches >= 1 if inline else writer.batches == 0


@pytest.mark.parametrize("inline", MODES)
def test_a_message_into_an_ended_conversation_opens_a_new_one(
    runtime: Runtime, frozen_clock, inline: bool
) -> None:
    conversation = _first(runtime)
    with runtime.write_sessions() as session, session.begin():
        session.get(Conversation, conversation).status = ConversationStatus.ended.value
    writer = IntakeWriter(runtime.write_sessions, RULES, inline=inline)
    stored = asyncio.run(writer.submit(_inbound("w-1"), conversation))
    assert stored.conversation_id != conversation and not stored.duplicate


@pytest.mark.parametrize("inline", MODES)
def test_a_failing_callback_leaves_the_others_acknowledged(
    runtime: Runtime, frozen_clock, inline: bool
) -> None:
    conversation = _first(runtime)
    writer = IntakeWriter(runtime.write_sessions, RULES, inline=inline)

    def broken(_outcome: Appended | Exception) -> None:
        raise RuntimeError("socket gone")

    async def scenario() -> Appended:
        writer.enqueue(_inbound("w-1"), conversation, broken)  # the same batch, settled first
        return await asyncio.wait_for(writer.submit(_inbound("w-2"), conversation), 10)

    stored = asyncio.run(scenario())
    assert stored.conversation_id == conversation and not stored.duplicate
