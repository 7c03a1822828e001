"""Rendering outbound e-mail (pure): threading headers right, and no way to inject a header.

Every header value goes through `one_line`, which turns CR, LF and other control characters into spaces,
so a subject or name typed by anyone (customers choose their display names) cannot start a new header.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime

_CONTROL = re.compile(r"[\x00-\x1f\x7f\u2028\u2029]+")
MAX_REFERENCES = 20  # enough to thread; long chains make headers grow without bound


def one_line(value: str) -> str:
    return " ".join(_CONTROL.sub(" ", value).split())


@dataclass(frozen=True)
class Outgoing:
    from_address: str
    from_name: str
    to_address: str
    to_name: str
    subject: str
    body: str
    message_id: str  # without angle brackets
    in_reply_to: str | None
    references: tuple[str, ...]  # oldest first, as they go into the header
    date: datetime


def reply_subject(original: str, reference: str) -> str:
    """`Re: <original> [#<conversation reference>]`: the reference threads replies whose headers were lost."""
    subject = one_line(original) or "(no subject)"
    if not subject.lower().startswith(("re:", "回复:", "回复：")):
        subject = f"Re: {subject}"
    tag = f"[#{reference}]"
    return subject if tag in subject else f"{subject} {tag}"


def render(mail: Outgoing) -> bytes:
    message = EmailMessage(policy=SMTP)
    message["From"] = _address(mail.from_name, mail.from_address)
    message["To"] = _address(mail.to_name, mail.to_address)
    message["Subject"] = one_line(mail.subject)
    message["Date"] = format_datetime(mail.date)
    message["Message-ID"] = f"<{one_line(mail.message_id)}>"
    if mail.in_reply_to:
        message["In-Reply-To"] = f"<{one_line(mail.in_reply_to)}>"
    if mail.references:
        message["References"] = " ".join(f"<{one_line(r)}>" for r in mail.references[-MAX_REFERENCES:])
    message.set_content(mail.body)
    return message.as_bytes()


def _address(name: str, address: str) -> Address:
    local, _, domain = one_line(address).rpartition("@")
    if not local or not domain:
        raise ValueError(f"address: {address!r} is not an e-mail address")
    return Address(display_name=one_line(name), username=local, domain=domain)
