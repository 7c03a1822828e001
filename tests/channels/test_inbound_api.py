"""The signed inbound API for app/social gateways, through HTTP with real signatures."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from kefu.access.models import AuditEntry
from kefu.access.roles import Role
from kefu.channels.gateway import channel_secret
from kefu.channels.kinds import Channel
from kefu.channels.models import Conversation, Message
from kefu.channels.signing import signed_headers
from kefu.core import clock
from kefu.core.runtime import Runtime

URL = "/api/v1/channels/app/messages"


def _message(external_id: str = "app-1", body: str = "订单什么时候发货?") -> dict:
    return {
        "external_id": external_id,
        "identities": [
            {"kind": "external", "namespace": "app", "value": "u-42"},
            {"kind": "phone", "value": "138 0013 8000"},
        ],
        "name": "李雷",
        "body": body,
    }


def _count(runtime: Runtime, model) -> int:
    with runtime.sessions() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_message_is_stored_once_and_continues_the_conversation(
    gateway, runtime: Runtime, frozen_clock
) -> None:
    first = gateway(URL, _message("app-1"), channel=Channel.app)
    assert first.status_code == 201, first.text
    again = gateway(URL, _message("app-1"), channel=Channel.app)
    assert again.status_code == 200 and again.json() == {**first.json(), "duplicate": True}
    second = gateway(URL, _message("app-2", "还在吗"), channel=Channel.app)
    assert second.json()["conversation_id"] == first.json()["conversation_id"]
    assert _count(runtime, Message) == 2 and _count(runtime, Conversation) == 1


def test_same_phone_on_social_finds_the_same_customer(gateway, frozen_clock) -> None:
    app = gateway(URL, _message(), channel=Channel.app).json()
    social = {
        "external_id": "wx-1",
        "identities": [{"kind": "phone", "value": "+86 138-0013-8000"}],
        "body": "hi",
    }
    other = gateway("/api/v1/channels/social/messages", social, channel=Channel.social).json()
    assert other["customer_id"] == app["customer_id"]
    assert other["conversation_id"] != app["conversation_id"]  # one conversation per channel


def test_script_is_stored_as_text(gateway, runtime: Runtime, frozen_clock) -> None:
    gateway(URL, _message(body="<script>alert(1)</script>"), channel=Channel.app)
    with runtime.sessions() as session:
        assert session.scalar(select(Message.body)) == "<script>alert(1)</script>"


def test_wrong_signature_is_401_and_audited(gateway, runtime: Runtime, frozen_clock) -> None:
    response = gateway(URL, _message(), channel=Channel.app, secret="not-the-secret")
    assert response.status_code == 401 and response.json()["code"] == "bad_signature"
    with runtime.sessions() as session:
        entry = session.scalar(select(AuditEntry).where(AuditEntry.action == "channel.bad_signature"))
        assert entry is not None and entry.object_id == "app"
    assert _count(runtime, Message) == 0


def test_replay_after_five_minutes_is_refused(client, gateway, frozen_clock) -> None:
    captured = gateway(URL, _message(), channel=Channel.app).request
    frozen_clock.advance(minutes=5, seconds=1)
    replay = client.post(URL, content=captured.content, headers=dict(captured.headers))
    assert replay.status_code == 401 and "X-Kefu-Timestamp" in replay.json()["message"]


def test_tampered_body_is_refused(client, gateway, frozen_clock) -> None:
    captured = gateway(URL, _message(), channel=Channel.app).request
    tampered = captured.content.replace(b"app-1", b"app-9")
    response = client.post(URL, content=tampered, headers=dict(captured.headers))
    assert response.status_code == 401


def test_token_without_channel_scope_is_forbidden(client, factory, runtime: Runtime, frozen_clock) -> None:
    token = factory.token(factory.user(Role.admin), ["customers:read"])[1]
    body = json.dumps(_message()).encode()
    headers = {
        "Authorization": f"Bearer {token}",
        **signed_headers(channel_secret(runtime.settings.signing_key, Channel.app), body, clock.now()),
    }
    assert client.post(URL, content=body, headers=headers).status_code == 403


def test_oversized_message_names_the_limit(gateway, frozen_clock) -> None:
    response = gateway(URL, _message(body="字" * 20_001), channel=Channel.app)
    assert response.status_code == 413
    assert "20000" in response.json()["message"]


def test_oversized_request_is_refused_before_parsing(gateway, frozen_clock) -> None:
    response = gateway(URL, _message(body="x" * 300_000), channel=Channel.app)
    assert response.status_code == 413 and "262144 bytes" in response.json()["message"]


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"identities": [{"kind": "phone", "value": "12"}]}, "phone"),
        ({"identities": []}, "identities"),
        ({"external_id": ""}, "external_id"),
    ],
)
def test_bad_input_names_the_field(gateway, frozen_clock, change: dict, field: str) -> None:
    response = gateway(URL, {**_message(), **change}, channel=Channel.app)
    assert response.status_code == 422
    assert response.json()["fields"][0]["field"] == field


def test_unknown_channel_is_404(gateway, frozen_clock) -> None:
    assert gateway("/api/v1/channels/fax/messages", _message(), channel=Channel.app).status_code == 404
