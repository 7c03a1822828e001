"""The live bot end to end: a real widget WebSocket (and a signed gateway), the bot worker started by the
app, the routing queues the handoff lands in, and the measures over what happened."""

from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from kefu.access.roles import Role
from kefu.bot.actions import do_bot_turns, do_end_idle_conversations
from kefu.bot.models import BotConversation
from kefu.channels.assignment import do_assign_agent
from kefu.channels.gateway import channel_secret
from kefu.channels.kinds import Channel
from kefu.channels.models import Conversation, Message
from kefu.channels.settings import ChannelSettings
from kefu.channels.signing import signed_headers
from kefu.core import clock
from kefu.core.runtime import Runtime
from kefu.knowledge.models import Article, Script
from kefu.knowledge.scripts import do_create_script
from kefu.routing.actions import check_create_queue
from kefu.routing.models import Queue, QueueEntry
from tests.bot.conftest import generate_examples

REFUND_ZH = "退款会在3个工作日内原路退回。"
REFUND_EN = "Refunds go back to your original payment method within 3 working days."
TRACK_EN = "You can follow your parcel under My orders → Track."
SCRIPT = "{customer_name}您好，地址可在「我的订单 → 地址」修改。"
TRACK_ZH = "请在「我的订单 → 物流」中查看包裹位置。"


class Receiver(BaseHTTPRequestHandler):
    received: list[bytes] = []

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        type(self).received.append(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[type[Receiver]]:
    handler = type("Handler", (Receiver,), {"received": []})
    server = HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/hook"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()


def _csv(examples) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "intent"])
    writer.writerows((e.text, e.intent) for e in examples)
    return out.getvalue().encode()


@pytest.fixture
def bot(client: TestClient, runtime: Runtime, factory, receiver) -> dict[str, Any]:
    """Queues, intents with answers, a deployed classifier trained through the API on a small fixture."""
    client.app.state.channel_settings = ChannelSettings(
        webhook_targets={"app": receiver.url}, webhook_allow_networks=["127.0.0.1/32"]
    )
    with runtime.write_sessions() as session, session.begin():
        for code, channel in (("chat", "webchat"), ("refunds", "webchat"), ("app", "app")):
            check_create_queue(
                session, code=code, name=code, channel=channel, strategy="skill_first", required_skills={}
            )
        now = clock.now()
        article = Article(
            title="发票说明",
            body="## 如何开票\n在**订单详情**里点击[开发票](https://example.com)。",
            language="zh",
            status="published",
            tags=[],
            created_at=now,
            updated_at=now,
        )
        session.add(article)
        script = do_create_script(session, scenario="greeting", title="改地址", body=SCRIPT, language="zh")
    trainer = factory.auth(factory.user(Role.trainer))
    response = client.post(
        "/api/v1/bot/intents/import?train=true&model=none",
        content=_csv(generate_examples()),
        headers={**trainer, "Content-Type": "text/csv"},
    )
    assert response.status_code == 200, response.text
    assert response.json()["model"]["intents"] == 6
    intents = {
        "refund": {
            "answer_kind": "text",
            "answer_zh": REFUND_ZH,
            "answer_en": REFUND_EN,
            "queue_code": "refunds",
        },
        "track_delivery": {"answer_kind": "text", "answer_zh": TRACK_ZH, "answer_en": TRACK_EN},
        "invoice": {"answer_kind": "article", "article_id": article.id},
        "cancel_order": {"answer_kind": "handoff", "queue_code": "refunds"},
        "change_address": {"answer_kind": "script", "script_id": script.id},
    }
    for name, body in intents.items():
        response = client.put(f"/api/v1/bot/intents/{name}", json=body, headers=trainer)
        assert response.status_code == 200, response.text
    return {"trainer": trainer, "supervisor": factory.auth(factory.user(Role.supervisor))}


def _bot_frame(ws) -> dict[str, Any]:
    """The next message frame (skipping acks and queue-position notices)."""
    while True:
        frame = ws.receive_json()
        if frame["type"] == "message":
            return frame


def _say(ws, client_id: str, body: str) -> dict[str, Any]:
    ws.send_json({"type": "message", "client_id": client_id, "body": body})
    return _bot_frame(ws)


def _conversation(runtime: Runtime) -> Conversation:
    with runtime.sessions() as session:
        return session.scalars(select(Conversation).order_by(Conversation.id.desc())).first()


def _entry(runtime: Runtime, conversation_id: int) -> tuple[str, str] | None:
    with runtime.sessions() as session:
        row = session.execute(
            select(Queue.code, QueueEntry.status)
            .join(Queue, Queue.id == QueueEntry.queue_id)
            .where(QueueEntry.contact_kind == "conversation", QueueEntry.contact_id == conversation_id)
        ).first()
        return None if row is None else tuple(row)


def test_known_question_is_answered_by_the_bot_in_the_customers_language(
    bot, client: TestClient, runtime: Runtime
) -> None:
    with client.websocket_connect("/ws/webchat?visitor=visitor-known-1") as ws:
        ws.receive_json()  # greeting
        answer = _say(ws, "c1", "where is my phone")
        assert (answer["sender"], answer["body"]) == ("bot", TRACK_EN)
        answer = _say(ws, "c2", "我想申请鞋子退款")
        assert (answer["sender"], answer["body"]) == ("bot", REFUND_ZH)
        article = _say(ws, "c3", "我要电脑的发票")
        assert article["body"].startswith("发票说明\n如何开票\n在订单详情里点击开发票。")  # Markdown removed
        script = _say(ws, "c4", "修改鞋子的收货地址")
        assert (
            script["body"] == "{customer_name}您好，地址可在「我的订单 → 地址」修改。"
        )  # no name known: kept
    conversation = _conversation(runtime)
    assert conversation.status == "bot" and conversation.bot_handled and conversation.agent_id is None
    assert _entry(runtime, conversation.id) is None  # not queued for a person while the bot answers
    with runtime.sessions() as session:
        assert session.scalar(select(Script.usage_count)) == 1  # the bot's use of the script counts


def test_asking_for_a_person_hands_off_to_the_intents_queue_with_the_transcript(
    bot, client: TestClient, runtime: Runtime
) -> None:
    with client.websocket_connect("/ws/webchat?visitor=visitor-human-1") as ws:
        ws.receive_json()
        assert _say(ws, "c1", "我想申请手机退款")["body"] == REFUND_ZH
        handoff = _say(ws, "c2", "转人工")
        assert handoff["sender"] == "bot" and "人工客服" in handoff["body"]
    conversation = _conversation(runtime)
    assert conversation.status == "queued" and conversation.queued_at is not None
    assert _entry(runtime, conversation.id) == ("refunds", "waiting")  # the intent's queue
    record = client.get(
        f"/api/v1/bot/conversations/{conversation.public_id}/handoff", headers=bot["supervisor"]
    ).json()
    assert record["reason"] == "requested" and record["intent"] == "refund" and record["queue"] == "refunds"
    assert record["confidence"] > 0 and record["sentiment_label"] in ("neutral", "negative", "positive")
    customer_lines = [line["text"] for line in record["transcript"] if line["role"] == "customer"]
    assert customer_lines == ["我想申请手机退款", "转人工"]


def test_two_failed_answers_hand_off_to_the_channels_queue(bot, client: TestClient, runtime: Runtime) -> None:
    with client.websocket_connect("/ws/webchat?visitor=visitor-failed-1") as ws:
        ws.receive_json()
        assert _say(ws, "c1", "where is my laptop")["body"] == TRACK_EN
        assert _say(ws, "c2", "when will my laptop arrive")["body"] == TRACK_EN  # same again: failed once
        handoff = _say(ws, "c3", "track the delivery of my laptop")  # and twice: a person takes over
        assert "agent" in handoff["body"]
    conversation = _conversation(runtime)
    assert _entry(runtime, conversation.id) == ("chat", "waiting")  # track_delivery names no queue
    with runtime.sessions() as session:
        assert session.get(BotConversation, conversation.id).handoff_reason == "failed_answers"


def test_handoff_intent_and_bad_input_never_fail(bot, client: TestClient, runtime: Runtime) -> None:
    with client.websocket_connect("/ws/webchat?visitor=visitor-cancel-1") as ws:
        ws.receive_json()
        assert "人工客服" in _say(ws, "c1", "取消外套订单")["body"]  # cancel_order hands off
    assert _entry(runtime, _conversation(runtime).id) == ("refunds", "waiting")
    with client.websocket_connect("/ws/webchat?visitor=visitor-odd-1") as ws:
        ws.receive_json()
        emoji = _say(ws, "c1", "😀😀😀")
        assert emoji["sender"] == "bot" and "几句话" in emoji["body"]  # asked for words (Chinese default)
        assert _say(ws, "c2", "where is my 快递 phone")["sender"] == "bot"  # mixed language: answered
        binary = _say(ws, "c3", "\x01\x02\x03\x04\x05\x06\x07\x08\x0e\x0f")
        assert binary["sender"] == "bot"
    with client.websocket_connect("/ws/webchat?visitor=visitor-huge-1") as ws:
        ws.receive_json()
        huge = _say(ws, "c1", "我的问题很复杂 " * 400)  # over the bot's 2,000 characters
        assert "人工客服" in huge["body"]
    with runtime.sessions() as session:
        assert session.get(BotConversation, _conversation(runtime).id).handoff_reason == "message_too_long"


def test_an_angry_customer_is_handed_off_at_once(bot, client: TestClient, runtime: Runtime) -> None:
    with client.websocket_connect("/ws/webchat?visitor=visitor-angry-1") as ws:
        ws.receive_json()
        assert "人工客服" in _say(ws, "c1", "垃圾服务，骗子！我要投诉！！！")["body"]
    with runtime.sessions() as session:
        record = session.get(BotConversation, _conversation(runtime).id)
        assert record.handoff_reason == "negative_sentiment" and record.sentiment_label == "negative"


def test_unsure_offers_choices_then_hands_off(bot, client: TestClient, runtime: Runtime) -> None:
    with client.websocket_connect("/ws/webchat?visitor=visitor-unsure-1") as ws:
        ws.receive_json()
        choices = _say(ws, "c1", "zorbl quix fnargle")
        assert choices["body"].splitlines()[1].startswith("1. ")
        assert "agent" in _say(ws, "c2", "blirp snoo wuggle")["body"]
    with runtime.sessions() as session:
        record = session.get(BotConversation, _conversation(runtime).id)
        assert record.handoff_reason == "low_confidence" and record.fallback_turns == 1
    with client.websocket_connect("/ws/webchat?visitor=visitor-unsure-2") as ws:
        ws.receive_json()
        offered = _say(ws, "c1", "zorbl quix fnargle")["body"].splitlines()[1:]
        number = next(line[0] for line in offered if "cancel order" not in line)  # one with an answer
        picked = _say(ws, "c2", number)  # the customer picks it: answered, not handed off
        assert picked["sender"] == "bot" and "agent" not in picked["body"]
    with runtime.sessions() as session:
        record = session.get(BotConversation, _conversation(runtime).id)
        assert record.handoff_reason is None and record.confidence == 1.0
        assert offered[0].startswith("1. ") and record.state["last_answer"] == record.intent


def test_the_bot_never_answers_in_a_conversation_a_person_owns(
    bot, client: TestClient, runtime: Runtime, factory
) -> None:
    agent = factory.user(Role.agent)
    with client.websocket_connect("/ws/webchat?visitor=visitor-owned-1") as ws:
        ws.receive_json()
        assert _say(ws, "c1", "where is my book")["body"] == TRACK_EN
        conversation = _conversation(runtime)
        with runtime.write_sessions() as session, session.begin():
            do_assign_agent(session, conversation.id, agent.id, clock.now())  # a person takes it over
        ws.send_json({"type": "message", "client_id": "c2", "body": "where is my book"})
        assert ws.receive_json()["type"] == "ack"
        time.sleep(0.6)  # four times the bot's reply delay
    with runtime.sessions() as session:
        bot_messages = session.scalar(
            select(func.count()).where(Message.conversation_id == conversation.id, Message.sender == "bot")
        )
        assert bot_messages == 1
    # A person who writes from the console without taking the conversation through routing also silences it.
    with client.websocket_connect("/ws/webchat?visitor=visitor-owned-2") as ws:
        ws.receive_json()
        assert _say(ws, "c1", "where is my book")["body"] == TRACK_EN
        joined = _conversation(runtime)
        reply = client.post(
            f"/api/v1/conversations/{joined.public_id}/replies",
            json={"body": "我来帮您"},
            headers=bot["supervisor"],
        )
        assert reply.status_code == 201, reply.text
        assert _bot_frame(ws)["sender"] == "agent"
        ws.send_json({"type": "message", "client_id": "c2", "body": "where is my book"})
        assert ws.receive_json()["type"] == "ack"
        time.sleep(0.6)
    with runtime.sessions() as session:
        senders = session.scalars(
            select(Message.sender).where(Message.conversation_id == joined.id).order_by(Message.id)
        ).all()
        assert senders == ["customer", "bot", "agent", "customer"]
        assert session.get(BotConversation, joined.id).handoff_reason == "agent_joined"
    # Even when its turn comes after the person took the conversation but before its status changed.
    with runtime.write_sessions() as session, session.begin():
        row = session.get(Conversation, conversation.id)
        row.status = "bot"
        assert not do_bot_turns(session, conversation.id).taken


def test_gateway_channel_gets_the_bots_answer_by_webhook(bot, client, runtime, factory, receiver) -> None:
    token = factory.token(factory.user(Role.admin), ["channel:app"])[1]
    payload = {
        "external_id": "app-bot-1",
        "identities": [{"kind": "external", "namespace": "app", "value": "u-bot-1"}],
        "body": "I want a refund for my jacket",
    }
    body = json.dumps(payload).encode()
    headers = {
        "Authorization": f"Bearer {token}",
        "Content-Type": "application/json",
        **signed_headers(channel_secret(runtime.settings.signing_key, Channel.app), body, clock.now()),
    }
    response = client.post("/api/v1/channels/app/messages", content=body, headers=headers)
    assert response.status_code == 201, response.text
    deadline = time.monotonic() + 10
    while not receiver.received and time.monotonic() < deadline:
        time.sleep(0.05)
    delivered = json.loads(receiver.received[0])
    assert (delivered["sender"], delivered["body"]) == ("bot", REFUND_EN)
    assert delivered["conversation_id"] == response.json()["conversation_id"]


def test_measures_count_containment_handoffs_and_fallbacks(bot, client, runtime) -> None:
    with client.websocket_connect("/ws/webchat?visitor=visitor-m1") as ws:
        ws.receive_json()
        _say(ws, "c1", "where is my jacket")  # answered; ends idle → contained
    with client.websocket_connect("/ws/webchat?visitor=visitor-m2") as ws:
        ws.receive_json()
        _say(ws, "c1", "where is my shoes")
        _say(ws, "c2", "human please")  # handed off: requested
    with client.websocket_connect("/ws/webchat?visitor=visitor-m3") as ws:
        ws.receive_json()
        _say(ws, "c1", "zorbl quix fnargle")  # not sure: a fallback turn; the customer leaves
    with runtime.write_sessions() as session, session.begin():
        assert do_end_idle_conversations(session, timedelta(0)) == 2  # m1 and m3 went quiet
    response = client.get("/api/v1/bot/measures", headers=bot["supervisor"])
    assert response.status_code == 200, response.text
    overall = response.json()["overall"]
    assert overall["conversations"] == 3
    # The glossary's containment: closed without a handoff (and not back within 24 h): m1 and m3.
    assert overall["containment"] == pytest.approx(2 / 3, abs=1e-4)
    assert overall["handoff_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert overall["handoff_reasons"] == {"requested": 1}
    assert overall["fallback_rate"] == pytest.approx(1 / 4, abs=1e-4)  # 1 of 4 bot turns
    per_intent = {row["intent"]: row for row in response.json()["per_intent"]}
    assert per_intent["track_delivery"]["conversations"] >= 2  # m1, m2 (and m3 if it was the best guess)
    assert per_intent["track_delivery"]["handoff_reasons"] == {"requested": 1}
    # A customer who comes back within a day was not contained after all.
    with client.websocket_connect("/ws/webchat?visitor=visitor-m1") as ws:
        ws.receive_json()
        _say(ws, "c2", "where is my jacket now")
    again = client.get("/api/v1/bot/measures", headers=bot["supervisor"]).json()["overall"]
    assert again["conversations"] == 4 and again["containment"] == pytest.approx(1 / 4, abs=1e-4)
    assert client.get("/api/v1/bot/measures", headers=bot["trainer"]).status_code == 200
    bad = client.get(
        "/api/v1/bot/measures?start=2026-01-02T00:00:00Z&end=2026-01-01T00:00:00Z", headers=bot["supervisor"]
    )
    assert bad.status_code == 422 and bad.json()["fields"]
