"""Scoped conversation reads (kefu.channels.access), as the inbox and the conversation page use them."""

from __future__ import annotations

import pytest

from kefu.access.actor import Actor
from kefu.access.roles import Role
from kefu.channels.access import (
    access_conversation_by_public_id,
    count_open_conversations,
    list_conversations,
    messages_of,
)
from kefu.core.errors import NotFound


def _actor(user) -> Actor:
    return Actor(user.id, user.role, user.team_id)


@pytest.fixture
def world(factory, desk, frozen_clock):
    team_a, team_b = factory.team(), factory.team()
    people = {
        "agent": factory.user(Role.agent, team_a),
        "neighbour": factory.user(Role.agent, team_a),
        "stranger": factory.user(Role.agent, team_b),
        "lead": factory.user(Role.team_lead, team_a),
        "supervisor": factory.user(Role.supervisor),
        "qa": factory.user(Role.qa_specialist),
    }
    conversations = {
        "old": desk.conversation(people["agent"], customer_name="Old", status="ended"),
    }
    frozen_clock.advance(minutes=5)
    conversations["new_ended"] = desk.conversation(people["agent"], customer_name="Newer", status="ended")
    conversations["open"] = desk.conversation(
        people["agent"],
        customer_name="Open",
        messages=(("customer", "hi"), ("agent", "hello"), ("customer", "?")),
    )
    conversations["neighbour"] = desk.conversation(people["neighbour"], customer_name="Neighbour's")
    conversations["stranger"] = desk.conversation(people["stranger"], customer_name="Stranger's")
    return people, conversations


def _names(session, user) -> list[str]:
    return [line.customer_name for line in list_conversations(session, _actor(user), limit=50)]


def test_each_role_lists_its_scope_open_conversations_first(runtime, world):
    people, _ = world
    with runtime.sessions() as session:
        assert _names(session, people["agent"]) == ["Open", "Newer", "Old"]
        assert set(_names(session, people["lead"])) == {"Open", "Newer", "Old", "Neighbour's"}
        assert len(_names(session, people["supervisor"])) == 5
        assert _names(session, people["qa"]) == []
        assert count_open_conversations(session, _actor(people["agent"])) == 1
        assert count_open_conversations(session, _actor(people["supervisor"])) == 3


def test_limit_and_status_filter(runtime, world):
    people, _ = world
    agent = _actor(people["agent"])
    with runtime.sessions() as session:
        assert [c.customer_name for c in list_conversations(session, agent, limit=2)] == ["Open", "Newer"]
        ended = list_conversations(session, agent, limit=10, status="ended")
        assert [c.customer_name for c in ended] == ["Newer", "Old"]
        with pytest.raises(ValueError, match="limit"):
            list_conversations(session, agent, limit=0)
        with pytest.raises(ValueError, match="status"):
            list_conversations(session, agent, limit=5, status="lost")


def test_a_conversation_outside_the_scope_looks_missing(runtime, world):
    people, conversations = world
    with runtime.sessions() as session:
        mine = access_conversation_by_public_id(
            session, _actor(people["agent"]), conversations["open"].public_id
        )
        assert mine.id == conversations["open"].id
        for who in ("stranger", "qa"):
            with pytest.raises(NotFound):
                access_conversation_by_public_id(
                    session, _actor(people[who]), conversations["open"].public_id
                )


def test_messages_come_oldest_first_and_the_limit_keeps_the_latest(runtime, world):
    _, conversations = world
    with runtime.sessions() as session:
        conversation_id = conversations["open"].id
        assert [m.body for m in messages_of(session, conversation_id)] == ["hi", "hello", "?"]
        assert [m.body for m in messages_of(session, conversation_id, limit=2)] == ["hello", "?"]
