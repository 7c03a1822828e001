"""Web chat on a scaled-out deployment: events travel over Redis, so the intake writer commits each batch in
a worker thread, and an agent's reply committed anywhere reaches the visitor's socket through Redis."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from kefu.channels.actions import do_add_message
from kefu.channels.kinds import Sender
from kefu.channels.models import Conversation, Message
from kefu.core.config import Settings
from kefu.core.db import make_engine
from kefu.core.dialect import WRITE_OPTION
from kefu.core.events import BUS_KEY, RedisBus
from kefu.core.runtime import Runtime
from kefu.web.app import create_app

REDIS_URL = os.environ.get("KEFU_TEST_REDIS_URL")
pytestmark = [
    pytest.mark.redis,
    pytest.mark.skipif(not REDIS_URL, reason="KEFU_TEST_REDIS_URL not set"),
]


@pytest.fixture
def redis_runtime(settings: Settings) -> Iterator[Runtime]:
    """A runtime whose bus is Redis, on a channel of this test's own (parallel tests share the server)."""
    assert REDIS_URL
    engine = make_engine(settings.sqlalchemy_url)
    bus = RedisBus(REDIS_URL, channel=f"kefu:test:webchat:{os.getpid()}:{id(settings)}")
    runtime = Runtime(
        settings=settings,
        engine=engine,
        sessions=sessionmaker(bind=engine, expire_on_commit=False, info={BUS_KEY: bus}),
        write_sessions=sessionmaker(
            bind=engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False, info={BUS_KEY: bus}
        ),
        bus=bus,
    )
    yield runtime
    runtime.close()


def test_messages_are_acked_and_replies_pushed_over_redis(redis_runtime: Runtime) -> None:
    with TestClient(create_app(redis_runtime.settings, runtime=redis_runtime)) as client:
        with client.websocket_connect("/ws/webchat?visitor=visitor-redis-1") as ws:
            ws.receive_json()  # greeting
            acks = []
            for n in range(3):  # the first is a first contact, the others go to its conversation
                ws.send_json({"type": "message", "client_id": f"c{n}", "body": f"第{n}句"})
                acks.append(_next(ws, "ack"))
            assert len({ack["conversation_id"] for ack in acks}) == 1 and not any(
                a["duplicate"] for a in acks
            )
            with redis_runtime.write_sessions() as session, session.begin():
                conversation = session.scalar(select(Conversation))
                do_add_message(session, conversation, sender=Sender.agent, body="您好")
            pushed = _next(ws, "message")
            assert (pushed["sender"], pushed["body"]) == ("agent", "您好")
    with redis_runtime.sessions() as session:
        bodies = session.scalars(select(Message.body).order_by(Message.id)).all()
    assert bodies == ["第0句", "第1句", "第2句", "您好"]


def _next(ws, kind: str) -> dict:  # noqa: ANN001 - Starlette's test WebSocket session
    """The next frame of this kind (queue positions may arrive in between)."""
    while True:
        frame = ws.receive_json()
        if frame["type"] == kind:
            return frame
