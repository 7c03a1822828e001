"""E-mail end to end over loopback: kefu's real SMTP receiver in, a real SMTP relay out."""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Iterator
from email import message_from_bytes
from email.message import EmailMessage
from email.policy import default
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from kefu.access.roles import Role
from kefu.channels.email_out import Relay, deliver_outbox, do_reply_by_email
from kefu.channels.models import Attachment, Conversation, EmailOutbox, Message, QuarantinedMail
from kefu.channels.settings import ChannelSettings
from kefu.channels.smtp_receiver import start_smtp_receiver
from kefu.core.runtime import Runtime
from kefu.customers.tiers import TierRules

SUPPORT = "support@kefu.test"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Capture:
    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], bytes]] = []

    async def handle_DATA(self, _server: Any, _session: Any, envelope: Any) -> str:  # noqa: N802
        self.received.append((envelope.mail_from, envelope.rcpt_tos, envelope.original_content))
        return "250 OK"


@pytest.fixture
def receiver(runtime: Runtime) -> Iterator[int]:
    settings = ChannelSettings(support_address=SUPPORT, smtp_listen_port=_free_port(), max_mail_bytes=200_000)
    controller = start_smtp_receiver(runtime, settings, TierRules())
    yield settings.smtp_listen_port
    controller.stop()


@pytest.fixture
def relay() -> Iterator[tuple[Relay, Capture]]:
    capture = Capture()
    controller = Controller(capture, hostname="127.0.0.1", port=_free_port())
    controller.start()
    yield Relay("127.0.0.1", controller.port, timeout=5), capture
    controller.stop()


def _send(port: int, raw: bytes, sender: str = "li@example.com") -> None:
    with smtplib.SMTP("127.0.0.1", port, timeout=5) as smtp:
        smtp.sendmail(sender, [SUPPORT], raw)


def _mail(
    message_id: str,
    body: str,
    *,
    sender: str = "Li Lei <li@example.com>",
    subject: str = "退款",
    in_reply_to: str | None = None,
    extra: dict[str, str] | None = None,
) -> bytes:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = (
        sender,
        SUPPORT,
        subject,
        f"<{message_id}>",
    )
    if in_reply_to:
        mail["In-Reply-To"] = mail["References"] = f"<{in_reply_to}>"
    for name, value in (extra or {}).items():
        mail[name] = value
    mail.set_content(body)
    return mail.as_bytes()


def _conversations(runtime: Runtime) -> list[Conversation]:
    with runtime.sessions() as session:
        return list(session.scalars(select(Conversation).order_by(Conversation.id)))


def test_mail_in_reply_out_and_threaded_answer(runtime: Runtime, receiver: int, relay) -> None:
    relay_address, capture = relay
    _send(receiver, _mail("c1@example.com", "我要退款"))
    _send(receiver, _mail("c1@example.com", "我要退款"))  # the same mail delivered twice
    [conversation] = _conversations(runtime)
    with runtime.write_sessions() as session, session.begin():
        do_reply_by_email(
            session,
            conversation=session.get_one(Conversation, conversation.id),
            body="已为您处理",
            author_id=None,
            from_address=SUPPORT,
            from_name="客服\r\nBcc: evil@x.cn",
        )
    assert deliver_outbox(runtime.write_sessions, relay_address, SUPPORT) == (1, 0)
    [(envelope_from, recipients, raw)] = capture.received
    reply = message_from_bytes(raw, policy=default)
    assert (envelope_from, recipients) == (SUPPORT, ["li@example.com"])
    assert reply["In-Reply-To"] == "<c1@example.com>" and reply["Bcc"] is None
    assert reply["Subject"] == f"Re: 退款 [#{conversation.public_id}]"
    ours = reply["Message-ID"].strip("<>")
    _send(receiver, _mail("c2@example.com", "收到，谢谢", in_reply_to=ours, subject="Re: 退款"))
    assert len(_conversations(runtime)) == 1
    with runtime.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 3
        assert session.scalar(select(EmailOutbox.status)) == "sent"


def test_subject_reference_threads_when_headers_are_lost(runtime: Runtime, receiver: int) -> None:
    _send(receiver, _mail("c1@example.com", "第一封"))
    [conversation] = _conversations(runtime)
    _send(receiver, _mail("c2@example.com", "第二封", subject=f"Re: 退款 [#{conversation.public_id}]"))
    assert len(_conversations(runtime)) == 1


def test_spoofed_sender_cannot_join_another_customers_thread(runtime: Runtime, receiver: int) -> None:
    _send(receiver, _mail("c1@example.com", "我的订单"))
    spoof = _mail("s1@evil.cn", "我也要", sender="mallory@evil.cn", in_reply_to="c1@example.com")
    _send(receiver, spoof, sender="mallory@evil.cn")
    first, second = _conversations(runtime)
    assert first.customer_id != second.customer_id  # a new thread for the spoofer, not the victim's


def test_auto_replies_bounces_and_broken_mail_are_quarantined(runtime: Runtime, receiver: int) -> None:
    _send(receiver, _mail("a1@example.com", "I am on leave", extra={"Auto-Submitted": "auto-replied"}))
    _send(receiver, _mail("b1@example.com", "undeliverable", sender="MAILER-DAEMON@mx.example.com"))
    _send(receiver, b"Subject: who am I\r\n\r\nno From header here")
    assert _conversations(runtime) == []
    with runtime.sessions() as session:
        reasons = sorted(session.scalars(select(QuarantinedMail.reason)))
    assert reasons == [
        "auto-reply: Auto-Submitted: auto-replied",
        "auto-reply: sent by mailer-daemon",
        "no sender address in From",
    ]


def test_gb18030_mail_over_smtp_is_readable(runtime: Runtime, receiver: int) -> None:
    raw = (
        b"From: =?gb2312?b?wO7A1w==?= <li@example.com>\r\nSubject: =?gbk?b?zcu/7g==?=\r\n"
        b"Message-ID: <g1@example.com>\r\nContent-Type: text/plain; charset=gb2312\r\n\r\n"
        + "镕基订单退款".encode("gb18030")
    )
    _send(receiver, raw)
    [conversation] = _conversations(runtime)
    assert conversation.subject == "退款"
    with runtime.sessions() as session:
        assert session.scalar(select(Message.body)) == "镕基订单退款"


def test_oversized_mail_is_refused_with_the_limit(receiver: int) -> None:
    with pytest.raises(smtplib.SMTPException) as caught:
        _send(receiver, _mail("big@example.com", "x" * 300_000))
    assert "552" in str(caught.value) or "too" in str(caught.value).lower()


def test_attachments_are_stored_and_served_only_as_downloads(
    client, factory, runtime: Runtime, receiver: int
) -> None:
    mail = EmailMessage()
    mail["From"], mail["To"], mail["Subject"], mail["Message-ID"] = (
        "li@example.com",
        SUPPORT,
        "截图",
        "<f1@x.cn>",
    )
    mail.set_content("见附件")
    mail.add_attachment(b"<svg onload='alert(1)'/>", maintype="image", subtype="svg+xml", filename="../x.svg")
    mail.add_attachment(b"\x89PNG fake", maintype="image", subtype="png", filename="发票.png")
    _send(receiver, mail.as_bytes())
    with runtime.sessions() as session:
        stored = {a.filename: a.public_id for a in session.scalars(select(Attachment))}
    assert set(stored) == {"x.svg", "发票.png"} and all(len(p) >= 22 for p in stored.values())
    headers = factory.auth(factory.user(Role.supervisor))
    svg = client.get(f"/api/v1/attachments/{stored['x.svg']}", headers=headers)
    assert svg.status_code == 200 and svg.content == b"<svg onload='alert(1)'/>"
    assert svg.headers["content-type"] == "application/octet-stream"
    assert svg.headers["x-content-type-options"] == "nosniff"
    assert svg.headers["content-disposition"].startswith("attachment;")
    png = client.get(f"/api/v1/attachments/{stored['发票.png']}", headers=headers)
    assert (
        png.headers["content-type"] == "image/png"
        and "%E5%8F%91%E7%A5%A8.png" in png.headers["content-disposition"]
    )
    agent = factory.auth(factory.user(Role.agent))
    assert client.get(f"/api/v1/attachments/{stored['x.svg']}", headers=agent).status_code == 404
