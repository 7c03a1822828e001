"""The agent workspace over HTTP: offers, the live stream's fragments, notes, transfer, tickets, scripts,
the customer 360 panel and the inbox filters."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from kefu.access.roles import Role
from kefu.channels.actions import message_event
from kefu.channels.models import Conversation, Message
from kefu.core import clock
from kefu.customers.models import CustomerIdentity
from kefu.knowledge.models import Script
from kefu.knowledge.scripts import do_create_script
from kefu.routing.actions import check_create_queue, do_enqueue, route_waiting
from kefu.routing.models import AgentPresence, AgentProfile, QueueEntry
from kefu.tickets.actions import do_create_ticket
from kefu.tickets.models import Ticket
from kefu.web.console.conversation import parse_target

EN = {"Accept-Language": "en"}


def _routable(runtime, agent, state="available"):
    now = clock.now()
    with runtime.write_sessions() as session, session.begin():
        session.add(
            AgentProfile(
                user_id=agent.id, languages=["zh_CN"], channel_capacity={"webchat": 3}, max_concurrent=3
            )
        )
        session.add(AgentPresence(user_id=agent.id, state=state, since=now, idle_since=now))


def _queue(runtime, code="chat", acceptance=False):
    with runtime.write_sessions() as session, session.begin():
        check_create_queue(
            session, code=code, name=code, channel="webchat", strategy="idle_first", required_skills={},
            requires_acceptance=acceptance,
        )  # fmt: skip


def _route(runtime, conversation) -> int:
    """Queue the conversation and run one routing round; the entry's id."""
    with runtime.write_sessions() as session, session.begin():
        entry = do_enqueue(
            session,
            contact_kind="conversation",
            contact_id=conversation.id,
            queue_code="chat",
            now=clock.now(),
        )
        route_waiting(session, clock.now())
        return entry.id


def test_transfer_targets_parse_to_routings_arguments():
    assert parse_target("agent:7") == {"to_agent": 7}
    assert parse_target("queue:chat_zh") == {"to_queue": "chat_zh"}
    assert parse_target("department:2") == {"to_department": 2}
    for bad in ("agent:x", "agent:0", "queue:", "team:3", ""):
        with pytest.raises(ValueError, match="target"):
            parse_target(bad)


def test_an_offer_appears_in_the_inbox_and_accepting_opens_the_conversation(
    client, factory, browser, desk, runtime
):
    agent = factory.user(Role.agent)
    _routable(runtime, agent)
    _queue(runtime, acceptance=True)
    conversation = desk.conversation(None, customer_name="Li Lei", status="queued")
    entry_id = _route(runtime, conversation)
    browser.sign_in(agent)
    inbox = client.get("/console", headers=EN).text
    assert f'hx-post="/console/offers/{entry_id}/accept"' in inbox and "Li Lei" in inbox
    accepted = client.post(
        f"/console/offers/{entry_id}/accept", headers={**browser.csrf(), "HX-Request": "1"}
    )
    assert accepted.headers["HX-Redirect"] == f"/console/conversations/{conversation.public_id}"
    with runtime.sessions() as session:
        row = session.get(Conversation, conversation.id)
        assert (row.agent_id, row.status) == (agent.id, "active")
    again = client.post(f"/console/offers/{entry_id}/accept", headers={**browser.csrf(), **EN})
    assert again.status_code == 200 and "That offer is no longer open" in again.text


def test_declining_puts_the_contact_back_in_line(client, factory, browser, desk, runtime):
    agent = factory.user(Role.agent)
    _routable(runtime, agent)
    _queue(runtime, acceptance=True)
    entry_id = _route(runtime, desk.conversation(None, status="queued"))
    browser.sign_in(agent)
    declined = client.post(
        f"/console/offers/{entry_id}/decline", headers={**browser.csrf(), "HX-Request": "1"}
    )
    assert declined.headers["HX-Redirect"] == "/console"
    with runtime.sessions() as session:
        entry = session.get(QueueEntry, entry_id)
        assert (entry.status, entry.agent_id) == ("waiting", None)


def test_notes_stay_internal_and_the_stream_fetches_only_newer_messages(client, factory, browser, desk):
    agent = factory.user(Role.agent)
    conversation = desk.conversation(agent, messages=(("customer", "hello"), ("bot", "I am the bot")))
    browser.sign_in(agent)
    base = f"/console/conversations/{conversation.public_id}"
    page = client.get(base, headers=EN).text
    assert 'class="message from-bot"' in page  # the bot's transcript before the handoff
    last = int(page.split('data-last-id="')[1].split('"')[0])
    note = client.post(f"{base}/notes", json={"body": "<b>careful</b>"}, headers=browser.csrf())
    assert note.status_code == 201
    newer = client.get(f"{base}/messages", params={"after": last}, headers=EN).text
    assert newer.count("data-message-id") == 1 and "message from-agent internal" in newer
    assert "&lt;b&gt;careful&lt;/b&gt;" in newer and "not sent to the customer" in newer
    assert client.get(f"{base}/messages", params={"after": note.json()["message_id"]}).text.strip() == ""
    empty = client.post(f"{base}/notes", json={"body": ""}, headers=browser.csrf())
    assert empty.status_code == 422


def test_a_note_is_published_as_internal_so_live_channels_skip_it(runtime, desk, factory):
    agent = factory.user(Role.agent)
    conversation = desk.conversation(agent)
    if True:
        note = Message(
            id=1, conversation_id=conversation.id, channel="webchat", sender="agent", body="x",
            is_internal=True, created_at=clock.now(),
        )  # fmt: skip
        assert message_event(note, conversation.customer_id).payload["internal"] is True
        note.is_internal = False
        assert message_event(note, conversation.customer_id).payload["internal"] is False


def test_the_widget_never_receives_a_note(client, factory, browser, runtime):
    """A visitor's socket gets the agent's reply and not the note written between them."""
    agent = factory.user(Role.agent)
    with client.websocket_connect("/ws/webchat?visitor=visitor-abcdef-0001") as widget:
        assert widget.receive_json()["type"] == "greeting"
        widget.send_json({"type": "message", "client_id": "c1", "body": "hi"})
        ack = next(f for f in iter(widget.receive_json, None) if f["type"] == "ack")
        with runtime.write_sessions() as session, session.begin():
            row = session.scalar(select(Conversation).where(Conversation.public_id == ack["conversation_id"]))
            row.agent_id, row.status = agent.id, "active"
        browser.sign_in(agent)
        base = f"/console/conversations/{ack['conversation_id']}"
        assert (
            client.post(f"{base}/notes", json={"body": "secret note"}, headers=browser.csrf()).status_code
            == 201
        )
        reply = f"/api/v1/conversations/{ack['conversation_id']}/replies"
        assert client.post(reply, json={"body": "public reply"}, headers=browser.csrf()).status_code == 201
        frame = next(f for f in iter(widget.receive_json, None) if f["type"] == "message")
        assert frame["body"] == "public reply"


def test_transfer_moves_the_conversation_to_another_agent(client, factory, browser, desk, runtime):
    agent, colleague = factory.user(Role.agent), factory.user(Role.agent)
    _routable(runtime, agent)
    _queue(runtime)
    conversation = desk.conversation(None, status="queued")
    _route(runtime, conversation)
    _routable(runtime, colleague)
    browser.sign_in(agent)
    base = f"/console/conversations/{conversation.public_id}"
    assert f'value="agent:{colleague.id}"' in client.get(base).text
    moved = client.post(
        f"{base}/transfer", data={"target": f"agent:{colleague.id}", "reason": "billing"},
        headers={**browser.csrf(), "HX-Request": "1"},
    )  # fmt: skip
    assert moved.headers["HX-Redirect"] == "/console"
    with runtime.sessions() as session:
        assert session.get(Conversation, conversation.id).agent_id == colleague.id
    assert client.get(base).status_code == 404  # no longer in the agent's scope
    bad = client.post(f"{base}/transfer", data={"target": "team:1"}, headers=browser.csrf())
    assert bad.status_code in (404, 422)


def test_transfer_of_an_unrouted_conversation_is_refused_in_words(client, factory, browser, desk):
    agent, colleague = factory.user(Role.agent), factory.user(Role.agent)
    conversation = desk.conversation(agent)
    browser.sign_in(agent)
    refused = client.post(
        f"/console/conversations/{conversation.public_id}/transfer",
        data={"target": f"agent:{colleague.id}"}, headers={**browser.csrf(), **EN},
    )  # fmt: skip
    assert refused.status_code == 200 and "Only a conversation being handled" in refused.text


def test_tickets_are_created_and_linked_from_the_conversation(client, factory, browser, desk, runtime):
    agent = factory.user(Role.agent)
    conversation, other = desk.conversation(agent), desk.conversation(agent, customer_name="Someone Else")
    with runtime.write_sessions() as session, session.begin():
        same = do_create_ticket(
            session, fields={"type": "inquiry", "subject": "older", "customer_id": conversation.customer_id,
                             "assignee_id": agent.id}, actor_id=agent.id, now=clock.now(),
        ).id  # fmt: skip
        foreign = do_create_ticket(
            session, fields={"type": "inquiry", "subject": "theirs", "customer_id": other.customer_id,
                             "assignee_id": agent.id}, actor_id=agent.id, now=clock.now(),
        ).id  # fmt: skip
    browser.sign_in(agent)
    url, headers = f"/console/conversations/{conversation.public_id}/tickets", {**browser.csrf(), **EN}
    made = client.post(
        url, data={"action": "create", "type": "refund", "subject": "<i>refund</i>"}, headers=headers
    )
    assert "&lt;i&gt;refund&lt;/i&gt;" in made.text
    linked = client.post(url, data={"action": "link", "ticket_id": f"#{same}"}, headers=headers)
    assert f"#{same} older" in linked.text
    refused = client.post(url, data={"action": "link", "ticket_id": str(foreign)}, headers=headers)
    assert "Give the number of a ticket of this customer." in refused.text
    page = client.get(f"/console/conversations/{conversation.public_id}", headers=EN).text
    assert f"#{same} older" in page and "&lt;i&gt;refund&lt;/i&gt;" in page and "theirs" not in page
    with runtime.sessions() as session:
        made = session.scalar(select(Ticket).where(Ticket.subject == "<i>refund</i>"))
        assert (made.conversation_id, made.assignee_id, made.type) == (conversation.id, agent.id, "refund")


def test_scripts_are_found_by_keyword_filled_in_and_counted(client, factory, browser, desk, runtime):
    agent = factory.user(Role.agent)
    conversation = desk.conversation(agent, customer_name="王芳")
    with runtime.write_sessions() as session, session.begin():
        script_id = do_create_script(
            session, scenario="greeting", title="问候", language="zh", shortcut="hello",
            body="{customer_name}您好，订单 {order_id} 正在处理。",
        ).id  # fmt: skip
    browser.sign_in(agent)
    found = client.get(f"/console/conversations/{conversation.public_id}/scripts", params={"q": "hel"}).json()
    assert found == [
        {
            "id": script_id,
            "title": "问候",
            "shortcut": "hello",
            "text": "王芳您好，订单 {order_id} 正在处理。",
        }
    ]
    used = client.post(f"/console/scripts/{script_id}/use", headers=browser.csrf())
    assert used.json()["usage_count"] == 1
    with runtime.sessions() as session:
        assert session.get(Script, script_id).usage_count == 1
    assert client.post("/console/scripts/999999/use", headers=browser.csrf()).status_code == 404


def test_customer_panel_masks_contact_details_for_agents(client, factory, browser, desk, runtime):
    agent = factory.user(Role.agent)
    conversation = desk.conversation(agent, customer_name="<img src=x onerror=alert(1)>")
    with runtime.write_sessions() as session, session.begin():
        session.add(
            CustomerIdentity(
                customer_id=conversation.customer_id, kind="phone", namespace="", value="13812345678",
                created_at=clock.now(),
            )
        )  # fmt: skip
    browser.sign_in(agent)
    panel = client.get(f"/console/conversations/{conversation.public_id}/customer", headers=EN)
    assert panel.status_code == 200
    assert "138****5678" in panel.text and "13812345678" not in panel.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in panel.text and "<img" not in panel.text
    assert "No ratings yet." in panel.text


def test_inbox_filters_by_channel_and_kind(client, factory, browser, desk, runtime):
    agent = factory.user(Role.agent)
    desk.conversation(agent, customer_name="Chat Customer")
    with runtime.write_sessions() as session, session.begin():
        customer_id = session.scalar(select(Conversation.customer_id))
        do_create_ticket(
            session, fields={"type": "repair", "subject": "broken kettle", "customer_id": customer_id,
                             "assignee_id": agent.id}, actor_id=agent.id, now=clock.now(),
        )  # fmt: skip
    browser.sign_in(agent)
    everything = client.get("/console", headers=EN).text
    assert "Chat Customer" in everything and "broken kettle" in everything
    tickets_only = client.get("/console/inbox", params={"kind": "tickets"}, headers=EN).text
    assert "broken kettle" in tickets_only and "Chat Customer" not in tickets_only
    assert "Chat Customer" not in client.get("/console", params={"channel": "email"}).text
    assert (
        'hx-get="/console/inbox?channel=webchat"'
        in client.get("/console", params={"channel": "webchat"}).text
    )
    for name, value in (("kind", "everything"), ("channel", "fax")):
        refused = client.get("/console", params={name: value})
        assert refused.status_code == 422 and refused.json()["fields"][0]["field"] == name
