"""The bot's management API and `kefu bot train` storing the deployed bot; channel switches at intake."""

from __future__ import annotations

import csv
import io
import threading

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from typer.testing import CliRunner

from kefu.access.roles import Role
from kefu.bot.actions import (
    check_save_intent,
    do_bot_turns,
    do_deploy_classifier,
    do_import_examples,
    train_classifier,
)
from kefu.bot.cli import bot_app
from kefu.bot.models import BotExample, BotIntent, BotModel
from kefu.channels.actions import Inbound, do_ingest_message
from kefu.channels.kinds import Channel
from kefu.channels.models import Conversation, Message
from kefu.core.runtime import Runtime
from kefu.customers.identity import Identity
from kefu.customers.settings import TierSettings
from kefu.customers.tiers import IdentityKind
from kefu.routing.actions import check_create_queue
from kefu.wiring import connect_domains
from tests.bot.conftest import generate_examples


def _csv(examples) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["text", "intent"])
    writer.writerows((e.text, e.intent) for e in examples)
    return out.getvalue().encode()


def _import(client: TestClient, headers: dict[str, str], body: bytes, train: bool = False):
    return client.post(
        f"/api/v1/bot/intents/import?train={str(train).lower()}&model=none",
        content=body,
        headers={**headers, "Content-Type": "text/csv"},
    )


def _ingest(runtime: Runtime, channel: Channel, visitor: str) -> str:
    with runtime.write_sessions() as session, session.begin():
        inbound = Inbound(
            channel=channel,
            external_id=f"{visitor}:1",
            identities=(Identity(IdentityKind.visitor, visitor),),
            body="where is my phone",
        )
        return do_ingest_message(session, inbound, rules=TierSettings().rules()).conversation.status


def test_import_train_and_manage_intents(client: TestClient, runtime: Runtime, factory) -> None:
    trainer = factory.auth(factory.user(Role.trainer))
    first = _import(client, trainer, _csv(generate_examples(["refund", "invoice", "track_delivery"])))
    assert first.status_code == 200, first.text
    assert first.json()["intents_created"] == 3 and first.json()["model"] is None
    again = _import(client, trainer, _csv(generate_examples(["refund", "cancel_order"])), train=True)
    body = again.json()
    assert body["intents_created"] == 1 and body["examples_skipped"] == 30  # refund's were stored before
    assert body["model"]["intents"] == 4 and body["model"]["features"] == "lexical"
    listed = {i["name"]: i for i in client.get("/api/v1/bot/intents", headers=trainer).json()}
    assert listed["refund"]["examples"] == 30 and listed["refund"]["answer_kind"] == "text"
    with runtime.write_sessions() as session, session.begin():
        check_create_queue(
            session, code="vip", name="VIP", channel="webchat", strategy="skill_first", required_skills={}
        )
    saved = client.put(
        "/api/v1/bot/intents/cancel_order",
        json={"answer_kind": "handoff", "queue_code": "vip"},
        headers=trainer,
    )
    assert saved.status_code == 200 and saved.json()["queue_code"] == "vip"
    retrained = client.post("/api/v1/bot/train?model=none", headers=trainer).json()
    model = client.get("/api/v1/bot/model", headers=trainer).json()["deployed"]
    assert model["id"] == retrained["id"] != body["model"]["id"]  # the newest model is the deployed one
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).where(BotModel.active.is_(True))) == 1
    assert client.delete("/api/v1/bot/intents/invoice", headers=trainer).status_code == 204
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BotIntent)) == 3
        assert session.scalar(select(func.count()).select_from(BotExample)) == 90


def test_bad_requests_name_the_field_and_reason(client: TestClient, factory) -> None:
    trainer = factory.auth(factory.user(Role.trainer))
    bad_csv = _import(client, trainer, b"text,intent\nhello,greet\nbye\n")
    assert bad_csv.status_code == 422 and "line 3" in bad_csv.json()["message"]
    no_column = _import(client, trainer, b"text,label\nhello,greet\n")
    assert no_column.status_code == 422 and "line 1" in no_column.json()["message"]
    gbk = _import(client, trainer, "text,intent\n我要退款,refund\n".encode("gb18030"))
    assert gbk.status_code == 200  # Excel's Chinese export is understood
    cases = [
        ({"answer_kind": "text"}, "answer_zh"),
        ({"answer_kind": "article", "article_id": 999}, "article_id"),
        ({"answer_kind": "script", "script_id": 999}, "script_id"),
        ({"answer_kind": "handoff"}, "queue_code"),
        ({"answer_kind": "text", "answer_en": "hi", "queue_code": "nope"}, "queue_code"),
        ({"answer_kind": "poem"}, "answer_kind"),
    ]
    for body, field in cases:
        response = client.put("/api/v1/bot/intents/refund", json=body, headers=trainer)
        assert response.status_code == 422, (body, response.text)
        assert field in response.text
    untrained = client.post("/api/v1/bot/train?model=none", headers=trainer)
    assert untrained.status_code == 422  # one intent with one example: nothing to learn from
    assert (
        client.put("/api/v1/bot/channels/voice", json={"enabled": True}, headers=trainer).status_code == 422
    )
    assert (
        client.put("/api/v1/bot/channels/email", json={"enabled": True}, headers=trainer).status_code == 422
    )
    agent = factory.auth(factory.user(Role.agent))
    assert client.get("/api/v1/bot/intents", headers=agent).status_code == 403
    assert client.get("/api/v1/bot/measures", headers=agent).status_code == 403


def test_the_bot_takes_new_conversations_only_where_it_is_on(
    client: TestClient, runtime: Runtime, factory
) -> None:
    trainer = factory.auth(factory.user(Role.trainer))
    assert _ingest(runtime, Channel.webchat, "before-training") == "queued"  # no model deployed yet
    assert _import(client, trainer, _csv(generate_examples()), train=True).status_code == 200
    assert _ingest(runtime, Channel.webchat, "after-training") == "bot"
    assert _ingest(runtime, Channel.email, "mail-customer") == "queued"  # never the bot on e-mail
    switches = client.put("/api/v1/bot/channels/webchat", json={"enabled": False}, headers=trainer).json()
    assert switches == {"api": True, "app": True, "social": True, "webchat": False}
    assert _ingest(runtime, Channel.webchat, "switched-off") == "queued"
    assert _ingest(runtime, Channel.social, "social-customer") == "bot"


def test_cli_train_stores_the_examples_and_deploys_the_model(tmp_path, monkeypatch, runtime: Runtime) -> None:
    monkeypatch.setenv("KEFU_DATABASE_URL", runtime.settings.sqlalchemy_url)
    monkeypatch.setenv("KEFU_SECRET_KEY", "test-secret-key")
    monkeypatch.setenv("KEFU_DATA_DIR", str(tmp_path))  # restored afterwards (--data-dir sets it)
    path = tmp_path / "intents.csv"
    path.write_bytes(_csv(generate_examples(["refund", "invoice", "track_delivery", "cancel_order"])))
    result = CliRunner().invoke(bot_app, ["train", str(path), "--model", "none", "--data-dir", str(tmp_path)])
    assert result.exit_code == 0, result.output
    assert "deployed as model" in result.output
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).where(BotModel.active.is_(True))) == 1
        assert session.scalar(select(func.count()).select_from(BotIntent)) == 4
        assert session.scalar(select(func.count()).select_from(BotExample)) == 120


def _race(runtime: Runtime, conversation_id: int, barrier: threading.Barrier, outcomes: list[int]) -> None:
    barrier.wait()
    with runtime.write_sessions() as session, session.begin():
        outcomes.append(do_bot_turns(session, conversation_id).replies)


def test_two_processes_taking_the_same_turn_answer_once(runtime: Runtime) -> None:
    """Two workers (as in two server processes on the Redis bus) race for one message: one reply."""
    connect_domains()
    examples = generate_examples()
    with runtime.write_sessions() as session, session.begin():
        do_import_examples(session, examples)
        classifier, seconds = train_classifier(examples)
        do_deploy_classifier(session, classifier, examples=len(examples), fit_seconds=seconds)
        check_save_intent(session, name="track_delivery", answer_kind="text", answer_en="Under My orders.")
    for round_ in range(5):
        assert _ingest(runtime, Channel.webchat, f"racer-{round_}") == "bot"
        with runtime.sessions() as session:
            conversation_id = session.scalar(select(func.max(Conversation.id)))
        barrier = threading.Barrier(2)
        outcomes: list[int] = []
        threads = [
            threading.Thread(target=_race, args=(runtime, conversation_id, barrier, outcomes))
            for _ in range(2)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert sorted(outcomes) == [0, 1]
        with runtime.sessions() as session:
            replies = session.scalar(
                select(func.count()).where(
                    Message.conversation_id == conversation_id, Message.sender == "bot"
                )
            )
            assert replies == 1
