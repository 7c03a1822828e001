"""Agents' replies on app/social go out as signed webhooks over real HTTP, retried, recorded, SSRF-checked."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest
from sqlalchemy import select

from kefu.access.roles import Role
from kefu.channels import signing
from kefu.channels.gateway import channel_secret
from kefu.channels.kinds import Channel
from kefu.channels.models import WebhookDelivery
from kefu.channels.settings import ChannelSettings
from kefu.channels.targets import parse_allowed
from kefu.channels.webhooks import WebhookPolicy, deliver_due_webhooks
from kefu.core import clock
from kefu.core.runtime import Runtime


class Receiver(BaseHTTPRequestHandler):
    answers: list[int] = []
    received: list[tuple[dict[str, str], bytes]] = []
    redirect_to: str | None = None

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        if self.redirect_to:
            self.send_response(307)
            self.send_header("Location", self.redirect_to)
        else:
            type(self).received.append((dict(self.headers), body))
            self.send_response(type(self).answers.pop(0) if type(self).answers else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *_args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[type[Receiver]]:
    handler = type("Handler", (Receiver,), {"answers": [], "received": [], "redirect_to": None})
    server = HTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    handler.url = f"http://127.0.0.1:{server.server_address[1]}/hook"  # type: ignore[attr-defined]
    yield handler
    server.shutdown()


def _reply(client, gateway, factory, receiver, allow: list[str]) -> int:
    client.app.state.channel_settings = ChannelSettings(
        webhook_targets={"app": receiver.url}, webhook_allow_networks=allow, webhook_backoff_seconds=30
    )
    inbound = {
        "external_id": "a1",
        "identities": [{"kind": "external", "namespace": "app", "value": "u1"}],
        "body": "在吗",
    }
    conversation = gateway("/api/v1/channels/app/messages", inbound, channel=Channel.app).json()
    headers = factory.auth(factory.user(Role.supervisor))
    response = client.post(
        f"/api/v1/conversations/{conversation['conversation_id']}/replies",
        json={"body": "您好，在的"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    return response.json()["message_id"]


def _delivery(runtime: Runtime) -> WebhookDelivery:
    with runtime.sessions() as session:
        return session.scalar(select(WebhookDelivery))


def _policy(runtime: Runtime, allow: tuple = (), attempts: int = 3) -> WebhookPolicy:
    return WebhookPolicy(
        secret_for=lambda c: channel_secret(runtime.settings.signing_key, Channel(c)),
        allowed=parse_allowed(allow),
        max_attempts=attempts,
        backoff_seconds=30,
    )


def test_reply_is_delivered_signed(
    client, gateway, factory, receiver, runtime: Runtime, frozen_clock
) -> None:
    message_id = _reply(client, gateway, factory, receiver, ["127.0.0.1/32"])
    [(headers, body)] = receiver.received
    secret = channel_secret(runtime.settings.signing_key, Channel.app)
    signing.verify(
        secret,
        timestamp=headers[signing.TIMESTAMP_HEADER],
        signature=headers[signing.SIGNATURE_HEADER],
        body=body,
        now=clock.now(),
    )
    assert b'"body": "\xe6\x82\xa8\xe5\xa5\xbd' in body and f'"message_id": {message_id}'.encode() in body
    assert _delivery(runtime).status == "delivered"


def test_failures_back_off_exponentially_then_give_up(
    client, gateway, factory, receiver, runtime: Runtime, frozen_clock
) -> None:
    receiver.answers.extend([500, 503, 500])
    _reply(client, gateway, factory, receiver, ["127.0.0.1/32"])  # attempt 1 fails at once
    first = _delivery(runtime)
    assert (first.status, first.attempts, first.last_error) == ("pending", 1, "HTTP 500")
    assert (first.next_attempt_at - clock.now()).total_seconds() == 30
    policy = _policy(runtime, ("127.0.0.1/32",))
    assert deliver_due_webhooks(runtime.write_sessions, policy) == (0, 0)  # not due yet
    frozen_clock.advance(seconds=30)
    deliver_due_webhooks(runtime.write_sessions, policy)
    second = _delivery(runtime)
    assert second.attempts == 2 and (second.next_attempt_at - clock.now()).total_seconds() == 60
    frozen_clock.advance(seconds=60)
    assert deliver_due_webhooks(runtime.write_sessions, policy) == (0, 1)
    assert _delivery(runtime).status == "failed" and len(receiver.received) == 3


def test_loopback_target_is_refused_without_an_admin_allowance(
    client, gateway, factory, receiver, runtime: Runtime, frozen_clock
) -> None:
    _reply(client, gateway, factory, receiver, [])
    delivery = _delivery(runtime)
    assert receiver.received == [] and "loopback" in delivery.last_error


def test_redirects_are_checked_too(
    client, gateway, factory, receiver, runtime: Runtime, frozen_clock
) -> None:
    receiver.redirect_to = "http://169.254.169.254/latest/meta-data/"
    _reply(client, gateway, factory, receiver, ["127.0.0.1/32"])
    assert "169.254.169.254" in _delivery(runtime).last_error


def test_names_are_checked_after_resolution(
    client, gateway, factory, receiver, runtime: Runtime, frozen_clock
) -> None:
    _reply(client, gateway, factory, receiver, [])  # loopback: refused before any request
    with runtime.write_sessions() as session, session.begin():
        session.scalar(select(WebhookDelivery)).url = "http://innocent.example/h"
    frozen_clock.advance(seconds=30)
    deliver_due_webhooks(runtime.write_sessions, _policy(runtime), resolve=lambda host, port: ["10.0.0.5"])
    assert "10.0.0.5" in _delivery(runtime).last_error
