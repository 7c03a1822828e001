"""Voice events through the signed HTTP API become voice conversations with measurable timings."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from kefu.access.roles import Role
from kefu.channels.kinds import Channel
from kefu.channels.models import Conversation, VoiceCall
from kefu.core import clock
from kefu.core.runtime import Runtime

URL = "/api/v1/channels/voice/events"


def _event(event_id: str, type_: str, second: int, **extra) -> dict:
    at = clock.now() + timedelta(seconds=second)
    return {"event_id": event_id, "call_id": "call-1", "type": type_, "at": at.isoformat(), **extra}


def test_call_lifecycle_fills_the_conversation_timings(
    gateway, factory, runtime: Runtime, frozen_clock
) -> None:
    agent = factory.user(Role.agent)
    steps = [
        _event("e1", "offered", 0, caller="13800138000"),
        _event("e2", "answered", 14, agent_id=agent.id),
        _event("e3", "held", 30),
        _event("e4", "resumed", 50),
        _event("e5", "ended", 134, recording_url="https://pbx.example.com/rec/call-1.wav"),
        _event("e6", "wrap_up_done", 164),
    ]
    for step in steps:
        response = gateway(URL, step, channel=Channel.voice)
        assert response.status_code == 200, response.text
    final = response.json()
    assert final["status"] == "ended" and final["hold_seconds"] == 20 and final["after_contact_seconds"] == 30
    with runtime.sessions() as session:
        conversation = session.scalar(select(Conversation))
        assert conversation.channel == "voice" and conversation.agent_id == agent.id
        assert (
            conversation.answered_at - conversation.queued_at
        ).total_seconds() == 14  # within a 15 s target
        assert session.scalar(select(VoiceCall.recording_url)) == "https://pbx.example.com/rec/call-1.wav"
    repeat = gateway(URL, steps[2], channel=Channel.voice)
    assert repeat.json()["duplicate"] is True and repeat.json()["hold_seconds"] == 20


def test_abandoned_call_is_counted_as_such(gateway, frozen_clock) -> None:
    gateway(URL, _event("e1", "offered", 0), channel=Channel.voice)  # number withheld
    final = gateway(URL, _event("e2", "abandoned", 40), channel=Channel.voice).json()
    assert final["abandoned"] is True and final["answered_at"] is None and final["status"] == "ended"


def test_out_of_order_events_are_refused_with_the_reason(gateway, frozen_clock) -> None:
    unknown = gateway(URL, _event("e1", "answered", 5), channel=Channel.voice)
    assert unknown.status_code == 404
    gateway(URL, _event("e1", "offered", 0), channel=Channel.voice)
    refused = gateway(URL, _event("e2", "ended", 5), channel=Channel.voice)
    assert refused.status_code == 409 and refused.json()["fields"][0]["field"] == "type"


def test_naive_timestamps_and_unknown_agents_are_refused(gateway, frozen_clock) -> None:
    naive = {**_event("e1", "offered", 0), "at": "2026-03-02T01:00:00"}
    assert gateway(URL, naive, channel=Channel.voice).status_code == 422
    gateway(URL, _event("e1", "offered", 0), channel=Channel.voice)
    response = gateway(URL, _event("e2", "answered", 3, agent_id=999), channel=Channel.voice)
    assert response.status_code == 422 and response.json()["fields"][0]["field"] == "agent_id"


def test_unsigned_call_events_are_refused(client, frozen_clock) -> None:
    assert client.post(URL, json=_event("e1", "offered", 0)).status_code == 401
