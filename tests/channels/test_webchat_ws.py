"""Web chat through a real WebSocket client: ack after commit, resume without loss or duplicates."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from starlette.websockets import WebSocketDisconnect

from kefu.channels.actions import do_add_message
from kefu.channels.kinds import Sender
from kefu.channels.models import Attachment, Conversation, Message
from kefu.channels.settings import ChannelSettings
from kefu.channels.signing import sign_value
from kefu.channels.webchat import TYPING_EVENT
from kefu.core.events import Event
from kefu.core.runtime import Runtime
from kefu.customers.models import CustomerIdentity

VISITOR = "visitor-abc123"
SITE_SECRET = "site-secret-for-tests"


@pytest.fixture
def chat(client: TestClient) -> TestClient:
    client.app.state.channel_settings = ChannelSettings(
        webchat_sites={"shop": SITE_SECRET}, webchat_greeting="您好"
    )
    return client


def _count(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(Message))


def test_greeting_then_ack_only_after_the_message_is_stored(chat: TestClient, runtime: Runtime) -> None:
    with chat.websocket_connect(f"/ws/webchat?site=shop&visitor={VISITOR}") as ws:
        assert ws.receive_json() == {"type": "greeting", "text": "您好"}
        ws.send_json({"type": "message", "client_id": "c1", "body": "<b>在吗</b>"})
        ack = ws.receive_json()
        assert ack["type"] == "ack" and ack["client_id"] == "c1" and not ack["duplicate"]
        with runtime.sessions() as session:
            assert session.get(Message, ack["message_id"]).body == "<b>在吗</b>"  # stored as text, as sent


def test_reconnect_resends_without_duplicates_and_resumes_missed_replies(
    chat: TestClient, runtime: Runtime
) -> None:
    with chat.websocket_connect(f"/ws/webchat?visitor={VISITOR}") as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "c1", "body": "第一句"})
        first = ws.receive_json()
    # While the visitor is offline an agent answers.
    with runtime.write_sessions() as session, session.begin():
        conversation = session.scalar(select(Conversation))
        do_add_message(session, conversation, sender=Sender.agent, body="您好，请讲")
    with chat.websocket_connect(f"/ws/webchat?visitor={VISITOR}") as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "c1", "body": "第一句"})  # the ack was lost: sent again
        again = ws.receive_json()
        assert again["duplicate"] and again["message_id"] == first["message_id"]
        ws.send_json({"type": "resume", "after": first["message_id"]})
        history = ws.receive_json()
        assert [(m["sender"], m["body"]) for m in history["messages"]] == [("agent", "您好，请讲")]
    assert _count(runtime) == 2


def test_agent_reply_is_pushed_live(chat: TestClient, runtime: Runtime) -> None:
    with chat.websocket_connect(f"/ws/webchat?visitor={VISITOR}") as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "c1", "body": "hi"})
        ws.receive_json()
        with runtime.write_sessions() as session, session.begin():
            do_add_message(session, session.scalar(select(Conversation)), sender=Sender.agent, body="hello")
        pushed = ws.receive_json()
        assert (pushed["type"], pushed["sender"], pushed["body"]) == ("message", "agent", "hello")


def test_a_visitor_gone_before_the_commit_is_not_watched_again(chat: TestClient, runtime: Runtime) -> None:
    with chat.websocket_connect(f"/ws/webchat?visitor={VISITOR}") as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "c1", "body": "first"})
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "c2", "body": "and gone"})  # acked after the close
    deadline = time.monotonic() + 10
    while _count(runtime) < 2 and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)  # the commit's callbacks run on the app's loop
    assert _count(runtime) == 2  # stored all the same: sent again, it is acknowledged as a duplicate
    assert chat.app.state.webchat_hub.sockets == 0


def test_signed_customer_is_recognised(chat: TestClient, runtime: Runtime) -> None:
    url = (
        f"/ws/webchat?site=shop&visitor={VISITOR}&customer=member-7&sig={sign_value(SITE_SECRET, 'member-7')}"
    )
    with chat.websocket_connect(url) as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "c1", "body": "hi"})
        ws.receive_json()
    with runtime.sessions() as session:
        identities = {(i.kind, i.namespace, i.value) for i in session.scalars(select(CustomerIdentity))}
    assert identities == {("visitor", "", VISITOR), ("external", "shop", "member-7")}


@pytest.mark.parametrize(
    ("query", "code"),
    [
        (f"site=shop&visitor={VISITOR}&customer=member-7&sig=forged", 4401),
        (f"site=other&visitor={VISITOR}&customer=member-7&sig=x", 4400),
        ("visitor=<script>", 4400),
    ],
)
def test_bad_identity_is_refused_at_connect(chat: TestClient, query: str, code: int) -> None:
    with pytest.raises(WebSocketDisconnect) as caught, chat.websocket_connect(f"/ws/webchat?{query}") as ws:
        ws.receive_json()
    assert caught.value.code == code


def test_bad_frames_get_errors_not_disconnects(chat: TestClient, runtime: Runtime) -> None:
    with chat.websocket_connect(f"/ws/webchat?visitor={VISITOR}") as ws:
        ws.receive_json()
        ws.send_text("not json")
        assert ws.receive_json()["code"] == "invalid_input"
        ws.send_text("[" * 100_000)  # deeper than the JSON parser recurses
        assert ws.receive_json()["code"] == "invalid_input"
        ws.send_json({"type": "message", "client_id": "big", "body": "x" * 20_001})
        error = ws.receive_json()
        assert (error["client_id"], error["code"]) == ("big", "too_large") and "20000" in error["message"]
        ws.send_json({"type": "message", "client_id": "ok", "body": "still here"})
        assert ws.receive_json()["type"] == "ack"
    assert _count(runtime) == 1


def test_widget_script_is_served_as_plain_javascript(chat: TestClient) -> None:
    response = chat.get("/webchat.js")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.headers["x-content-type-options"] == "nosniff"
    script = response.text
    assert "/ws/webchat" in script and "textContent" in script and "innerHTML" not in script


def test_typing_notices_go_both_ways(chat: TestClient, runtime: Runtime) -> None:
    seen: list[Event] = []
    runtime.bus.subscribe(seen.append)
    with chat.websocket_connect(f"/ws/webchat?visitor={VISITOR}") as ws:
        ws.receive_json()
        ws.send_json({"type": "message", "client_id": "c1", "body": "hi"})
        conversation = ws.receive_json()
        ws.send_json({"type": "typing"})
        ws.send_json({"type": "resume", "after": 10**9})  # answered after the typing frame was handled
        assert ws.receive_json()["type"] == "history"
        runtime.bus.publish(
            Event(TYPING_EVENT, {"conversation_id": _conversation_id(runtime), "sender": "agent"})
        )
        assert ws.receive_json() == {"type": "typing", "sender": "agent"}
    assert conversation["type"] == "ack"
    assert sorted(e.payload["sender"] for e in seen if e.type == TYPING_EVENT) == ["agent", "customer"]


def _conversation_id(runtime: Runtime) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(Conversation.id))


def test_visitor_uploads_an_image_once_and_it_joins_the_chat(chat: TestClient, runtime: Runtime) -> None:
    url = f"/api/v1/webchat/uploads?visitor={VISITOR}&client_id=f1"
    files = {"file": ("../截图.png", b"\x89PNG\r\n\x1a\n fake image", "image/png")}
    first = chat.post(url, files=files)
    assert first.status_code == 201, first.text
    again = chat.post(url, files=files)
    assert again.status_code == 200 and again.json()["message_id"] == first.json()["message_id"]
    with runtime.sessions() as session:
        [attachment] = session.scalars(select(Attachment)).all()
        assert (attachment.filename, attachment.content_type) == ("截图.png", "image/png")
        assert session.get(Message, attachment.message_id).body == "[截图.png]"


@pytest.mark.parametrize(
    ("name", "data", "kind", "status"),
    [
        ("x.svg", b"<svg onload=alert(1)>", "image/svg+xml", 415),
        ("x.html", b"<script>", "text/html", 415),
        ("big.png", b"x" * 2049, "image/png", 413),
        ("empty.png", b"", "image/png", 422),
    ],
)
def test_uploads_outside_the_limits_are_refused(
    chat: TestClient, name: str, data: bytes, kind: str, status: int
) -> None:
    chat.app.state.channel_settings = ChannelSettings(max_upload_bytes=2048)
    response = chat.post(
        f"/api/v1/webchat/uploads?visitor={VISITOR}&client_id=f1", files={"file": (name, data, kind)}
    )
    assert response.status_code == status
    assert response.json()["fields"][0]["field"] == "file"
    if status == 413:
        assert "2048 bytes" in response.json()["message"]


def test_upload_with_a_forged_customer_signature_is_refused(chat: TestClient) -> None:
    url = f"/api/v1/webchat/uploads?site=shop&visitor={VISITOR}&customer=member-7&sig=forged&client_id=f1"
    response = chat.post(url, files={"file": ("a.png", b"\x89PNG", "image/png")})
    assert response.status_code == 401
