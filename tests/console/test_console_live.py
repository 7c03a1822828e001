"""/ws/console: same-site, signed-in sockets that hear which events happened, for their reader only."""

from __future__ import annotations

import pytest
from starlette.websockets import WebSocketDisconnect

from kefu.access.roles import Role
from kefu.core.events import Event
from kefu.web.console.live import origin_allowed

SITE = {"origin": "http://testserver"}


def test_origin_must_be_this_site_or_the_public_url():
    assert origin_allowed("http://testserver", "testserver", "https://kefu.example.com")
    assert origin_allowed("https://kefu.example.com", "10.0.0.5:8000", "https://kefu.example.com/")
    assert not origin_allowed("https://evil.example", "testserver", "https://kefu.example.com")
    assert not origin_allowed("http://testserver.evil.example", "testserver", "http://127.0.0.1:8000")
    assert not origin_allowed(None, "testserver", "http://127.0.0.1:8000")
    assert not origin_allowed("null", "testserver", "http://127.0.0.1:8000")


def test_a_foreign_origin_is_refused_even_with_a_session(client, factory, browser):
    browser.sign_in(factory.user(Role.agent))
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/ws/console", headers={"origin": "https://evil.example"}):
            pass
    assert refused.value.code == 1008


def test_an_anonymous_socket_is_refused(client):
    with pytest.raises(WebSocketDisconnect) as refused:
        with client.websocket_connect("/ws/console", headers=SITE):
            pass
    assert refused.value.code == 1008
    client.cookies.set("kefu_session", "forged")
    with pytest.raises(WebSocketDisconnect):
        with client.websocket_connect("/ws/console", headers=SITE):
            pass


def test_events_reach_only_their_recipients_and_carry_no_payload(client, factory, browser, runtime):
    agent, other = factory.user(Role.agent), factory.user(Role.agent)
    browser.sign_in(agent)
    with client.websocket_connect("/ws/console", headers=SITE) as socket:
        runtime.bus.publish(Event("routing.offered", {"entry": 1, "customer": "secret"}, (other.id,)))
        runtime.bus.publish(Event("routing.released", {"entry": 2, "customer": "secret"}, (agent.id,)))
        runtime.bus.publish(Event("routing.queued", {"entry": 3}, None))
        assert socket.receive_json() == {"type": "routing.released"}
        assert socket.receive_json() == {"type": "routing.queued"}


def _agent_with_profile(runtime, factory, state="available"):
    from kefu.core import clock
    from kefu.routing.models import AgentPresence, AgentProfile

    agent = factory.user(Role.agent)
    with runtime.sessions() as session, session.begin():
        session.add(
            AgentProfile(
                user_id=agent.id, languages=["zh_CN"], channel_capacity={"webchat": 3}, max_concurrent=3
            )
        )
        session.add(AgentPresence(user_id=agent.id, state=state, since=clock.now(), idle_since=clock.now()))
    return agent


def _presence(runtime, agent):
    from kefu.routing.models import AgentPresence

    with runtime.sessions() as session:
        row = session.get(AgentPresence, agent.id)
        return row.state, row.break_reason


def test_closing_the_last_console_takes_the_agent_off_routing(client, factory, browser, runtime):
    agent = _agent_with_profile(runtime, factory)
    browser.sign_in(agent)
    with client.websocket_connect("/ws/console", headers=SITE):
        with client.websocket_connect("/ws/console", headers=SITE):
            pass
        assert _presence(runtime, agent) == ("available", None)  # another tab is still open
    assert _presence(runtime, agent) == ("break", "console_disconnected")


def test_ending_the_users_sessions_closes_their_open_sockets(client, factory, browser, runtime):
    agent = _agent_with_profile(runtime, factory)
    browser.sign_in(agent)
    with client.websocket_connect("/ws/console", headers=SITE) as socket:
        runtime.bus.publish(Event("user.sessions_ended", {"user_id": agent.id}, (agent.id,)))
        with pytest.raises(WebSocketDisconnect) as closed:
            socket.receive_json()
        assert closed.value.code == 1008
