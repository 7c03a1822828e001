"""Reading inbound e-mail into plain values (pure): text, sanitised HTML, threading headers, auto-replies.

Mail from outside is untrusted and often broken: wrong or missing charsets (GBK declared as GB2312 is
common), damaged MIME, missing headers. The parser decodes what it can, records what it had to guess in
`defects`, and raises Unreadable with the reason only when nothing usable remains (the caller quarantines).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from email import policy
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses
from html.parser import HTMLParser

import nh3

# Declared charsets that real senders use for text in a larger encoding; GB18030 is a superset of both.
CHARSET_ALIASES = {"gb2312": "gb18030", "gbk": "gb18030", "x-gbk": "gb18030", "cp936": "gb18030"}
FALLBACK_CHARSETS = ("utf-8", "gb18030")
AUTO_PRECEDENCE = {"bulk", "junk", "list", "auto_reply"}
SYSTEM_SENDERS = {"mailer-daemon", "postmaster"}
_MESSAGE_ID = re.compile(r"<([^<>\s]{1,250})>")


class Unreadable(ValueError):
    """Nothing usable could be read; `reason` goes into the quarantine record."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class MailFile:
    filename: str | None
    content_type: str
    data: bytes


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # without angle brackets; a digest of the raw mail when the sender gave none
    references: tuple[str, ...]  # In-Reply-To first, then References newest first
    from_address: str
    from_name: str
    subject: str
    text: str
    html: str | None  # sanitised
    auto_reason: str | None  # why this is an auto-reply or bounce; None for a person's mail
    defects: tuple[str, ...] = field(default=())
    files: tuple[MailFile, ...] = field(default=())


def parse_mail(raw: bytes, envelope_sender: str | None = None) -> ParsedMail:
    """Everything kefu needs from one raw message; `envelope_sender` is SMTP's MAIL FROM (empty: a bounce)."""
    try:
        message = BytesParser(policy=policy.default).parsebytes(raw)
    except Exception as exc:  # noqa: BLE001 - the parser's failure modes are many; all mean unreadable
        raise Unreadable(f"MIME structure could not be parsed: {type(exc).__name__}") from exc
    defects = [type(d).__name__ for d in message.defects]
    from_name, from_address = _sender(message, defects)
    if not from_address:
        raise Unreadable("no sender address in From")
    text, html, files = _bodies(message, defects)
    if not text.strip() and not html and not files:
        raise Unreadable("no readable text, HTML or attachment")
    own_ids = _ids(_header(message, "Message-ID", defects))
    return ParsedMail(
        message_id=own_ids[0] if own_ids else f"sha256-{hashlib.sha256(raw).hexdigest()[:40]}@kefu.invalid",
        references=_references(message, defects),
        from_address=from_address,
        from_name=from_name,
        subject=_header(message, "Subject", defects),
        text=text,
        html=html,
        auto_reason=auto_reply_reason(message, from_address, envelope_sender),
        defects=tuple(defects),
        files=tuple(files),
    )


def auto_reply_reason(message: Message, from_address: str, envelope_sender: str | None) -> str | None:
    """Why a mail was written by a machine (RFC 3834 and common practice), or None for a person's mail.

    Answering these, or opening conversations for them, is how mail loops between two systems start.
    """
    auto_submitted = str(message.get("Auto-Submitted", "")).strip().lower()
    if auto_submitted and auto_submitted != "no":
        return f"Auto-Submitted: {auto_submitted[:40]}"
    precedence = str(message.get("Precedence", "")).strip().lower()
    if precedence in AUTO_PRECEDENCE:
        return f"Precedence: {precedence}"
    for header in ("X-Autoreply", "X-Autorespond"):
        if message.get(header) is not None:
            return f"{header} present"
    if from_address.partition("@")[0] in SYSTEM_SENDERS:
        return f"sent by {from_address.partition('@')[0]}"
    if message.get_content_type() == "multipart/report":
        return "delivery report (multipart/report)"
    if envelope_sender is not None and envelope_sender.strip("<> ") == "":
        return "empty envelope sender (a bounce)"
    return None


def _header(message: Message, name: str, defects: list[str]) -> str:
    """A header as text; a header the library cannot decode is read raw rather than lost."""
    try:
        value = message.get(name)
        return "" if value is None else " ".join(str(value).split())
    except Exception:  # noqa: BLE001 - malformed encoded words raise from deep inside the header registry
        defects.append(f"undecodable {name} header")
        raw = message.get_all(name, failobj=[""])[0]
        return " ".join(str(raw).split())


def _sender(message: Message, defects: list[str]) -> tuple[str, str]:
    pairs = getaddresses([_header(message, "From", defects)])
    name, address = pairs[0] if pairs else ("", "")
    return name.strip(), address.strip().lower() if "@" in address else ""


def _ids(value: str) -> list[str]:
    return _MESSAGE_ID.findall(value)


def _references(message: Message, defects: list[str]) -> tuple[str, ...]:
    ordered = (
        _ids(_header(message, "In-Reply-To", defects)) + _ids(_header(message, "References", defects))[::-1]
    )
    return tuple(dict.fromkeys(ordered))


def _bodies(message: Message, defects: list[str]) -> tuple[str, str | None, list[MailFile]]:
    """The first text/plain and text/html parts that are not attachments (decoded, sanitised), and files."""
    plain: str | None = None
    html: str | None = None
    files: list[MailFile] = []
    for part in message.walk():
        if part.is_multipart():
            continue
        kind = part.get_content_type()
        if part.get_content_disposition() == "attachment" or not kind.startswith("text/"):
            payload = part.get_payload(decode=True)
            if isinstance(payload, bytes) and payload:
                files.append(MailFile(part.get_filename(), kind, payload))
        elif kind == "text/plain" and plain is None:
            plain = decode_part(part, defects)
        elif kind == "text/html" and html is None:
            html = nh3.clean(decode_part(part, defects))
    if plain is None and html is not None:
        plain = html_to_text(html)
    return (plain or "").strip(), html, files


def decode_part(part: Message, defects: list[str]) -> str:
    """The part's text: declared charset (with the usual aliases), then UTF-8, then GB18030, then lossy."""
    payload = part.get_payload(decode=True)
    if not isinstance(payload, bytes):
        return ""
    declared = (part.get_content_charset() or "").lower()
    candidates = [CHARSET_ALIASES.get(declared, declared)] if declared else []
    for charset in [*candidates, *FALLBACK_CHARSETS]:
        try:
            text = payload.decode(charset)
        except (LookupError, UnicodeDecodeError):
            continue
        if candidates and charset != candidates[0]:
            defects.append(f"declared charset {declared!r} wrong; read as {charset}")
        return text
    defects.append("undecodable bytes replaced")
    return payload.decode("utf-8", errors="replace")


class _TextExtractor(HTMLParser):
    SKIP = {"script", "style", "head"}
    BREAKS = {"br", "p", "div", "li", "tr", "h1", "h2", "h3", "h4", "blockquote"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self._skipping = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self.SKIP:
            self._skipping += 1
        elif tag in self.BREAKS:
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP and self._skipping:
            self._skipping -= 1

    def handle_data(self, data: str) -> None:
        if not self._skipping:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    """Readable text of an HTML body, for agents and search (markup is never rendered from `body`)."""
    extractor = _TextExtractor()
    extractor.feed(html)
    extractor.close()
    lines = (" ".join(line.split()) for line in "".join(extractor.parts).splitlines())
    return "\n".join(line for line in lines if line)
