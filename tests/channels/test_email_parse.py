"""Parsing untrusted inbound mail and rendering outbound mail (pure)."""

from __future__ import annotations

from datetime import UTC, datetime
from email import message_from_bytes
from email.policy import default

import pytest

from kefu.channels.email_parse import Unreadable, parse_mail
from kefu.channels.email_render import Outgoing, render, reply_subject


def _raw(headers: str, body: bytes, content_type: str = "text/plain; charset=utf-8") -> bytes:
    head = "From: 李雷 <Li.Lei@Example.com>\r\nTo: support@kefu.test\r\n"
    head += f"{headers}Content-Type: {content_type}\r\n"
    return head.encode() + b"\r\n" + body


def test_plain_mail_with_threading_headers() -> None:
    mail = parse_mail(
        _raw(
            "Message-ID: <c2@x.cn>\r\nIn-Reply-To: <k2@kefu.test>\r\n"
            "References: <c1@x.cn> <k1@kefu.test> <k2@kefu.test>\r\nSubject: 订单\r\n",
            "你好".encode(),
        )
    )
    assert (mail.message_id, mail.from_address, mail.from_name) == ("c2@x.cn", "li.lei@example.com", "李雷")
    assert mail.references == ("k2@kefu.test", "k1@kefu.test", "c1@x.cn")
    assert mail.text == "你好" and mail.auto_reason is None


def test_gbk_declared_as_gb2312_is_read() -> None:
    text = "您好，镕基的订单"  # 镕 is in GBK but not in GB2312
    mail = parse_mail(_raw("Subject: x\r\n", text.encode("gbk"), "text/plain; charset=gb2312"))
    assert mail.text == text


def test_wrong_declared_charset_falls_back_and_says_so() -> None:
    mail = parse_mail(_raw("Subject: x\r\n", "退款申请".encode("gb18030"), "text/plain; charset=utf-8"))
    assert mail.text == "退款申请"
    assert any("read as gb18030" in d for d in mail.defects)


def test_unknown_charset_is_not_fatal() -> None:
    assert parse_mail(_raw("", b"hello", "text/plain; charset=x-nonsense")).text == "hello"


def test_html_only_mail_is_sanitised_and_has_text() -> None:
    html = b'<p>Hi <b>there</b></p><script>alert(1)</script><img src=x onerror="steal()">'
    html += b'<a href="javascript:x">l</a>'
    mail = parse_mail(_raw("", html, "text/html; charset=utf-8"))
    assert "<script" not in mail.html and "onerror" not in mail.html and "javascript:" not in mail.html
    assert mail.text.startswith("Hi there")
    assert "alert" not in mail.text


def test_missing_message_id_gets_a_stable_one() -> None:
    raw = _raw("Subject: x\r\n", b"hello")
    assert parse_mail(raw).message_id == parse_mail(raw).message_id.strip()
    assert parse_mail(raw).message_id.endswith("@kefu.invalid")


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ("Auto-Submitted: auto-replied\r\n", "Auto-Submitted"),
        ("Precedence: bulk\r\n", "Precedence"),
        ("X-Autoreply: yes\r\n", "X-Autoreply"),
    ],
)
def test_auto_replies_are_recognised(headers: str, reason: str) -> None:
    assert reason in parse_mail(_raw(headers, b"I am away")).auto_reason


def test_bounces_are_recognised() -> None:
    daemon = b"From: MAILER-DAEMON@mx.example.com\r\nSubject: failure\r\n\r\nundeliverable"
    assert "mailer-daemon" in parse_mail(daemon).auto_reason
    assert "bounce" in parse_mail(_raw("", b"x"), envelope_sender="<>").auto_reason
    assert parse_mail(_raw("Auto-Submitted: no\r\n", b"x")).auto_reason is None


@pytest.mark.parametrize(
    ("raw", "reason"),
    [
        (b"Subject: no sender\r\n\r\nhello", "no sender"),
        (b"From: a@b.cn\r\nContent-Type: text/plain\r\n\r\n  \r\n", "no readable text"),
    ],
)
def test_unreadable_mail_says_why(raw: bytes, reason: str) -> None:
    with pytest.raises(Unreadable, match=reason):
        parse_mail(raw)


def test_rendered_reply_threads_and_cannot_be_injected() -> None:
    raw = render(
        Outgoing(
            from_address="support@kefu.test",
            from_name="客服\r\nBcc: evil@x.cn",
            to_address="li@x.cn",
            to_name="",
            subject=reply_subject("退款\r\nBcc: evil@x.cn", "REF123REF123REF123"),
            body="好的",
            message_id="k3@kefu.test",
            in_reply_to="c2@x.cn",
            references=("c1@x.cn", "k1@kefu.test", "c2@x.cn"),
            date=datetime(2026, 3, 2, 1, 0, tzinfo=UTC),
        )
    )
    message = message_from_bytes(raw, policy=default)
    assert message["Bcc"] is None and b"\r\nBcc:" not in raw
    assert message["Subject"] == "Re: 退款 Bcc: evil@x.cn [#REF123REF123REF123]"
    assert message["In-Reply-To"] == "<c2@x.cn>"
    assert message["References"] == "<c1@x.cn> <k1@kefu.test> <c2@x.cn>"
    assert message.get_content().strip() == "好的"


def test_reply_subject_is_not_prefixed_twice() -> None:
    once = reply_subject("Re: hello [#abcdefghijklmnop]", "abcdefghijklmnop")
    assert once == "Re: hello [#abcdefghijklmnop]"


def test_a_bare_image_is_an_attachment_not_unreadable() -> None:
    mail = parse_mail(b"From: a@b.cn\r\nContent-Type: image/png\r\n\r\n\x89PNG")
    assert mail.text == "" and [(f.content_type, f.data) for f in mail.files] == [("image/png", b"\x89PNG")]
