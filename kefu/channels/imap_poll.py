"""Inbound e-mail by IMAP polling: the same `do_receive_mail` as the SMTP receiver, so the same result.

Each unseen message is fetched without marking it (BODY.PEEK), committed, and only then flagged \\Seen: a
crash in between fetches it again next time, and the Message-ID makes the second delivery a no-op.
"""

from __future__ import annotations

import imaplib
import logging
import re
import threading
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from kefu.channels.email_in import do_receive_mail
from kefu.channels.settings import ChannelSettings
from kefu.customers.tiers import TierRules

log = logging.getLogger(__name__)
_RETURN_PATH = re.compile(rb"^Return-Path:[ \t]*<([^>]*)>", re.IGNORECASE | re.MULTILINE)
HEADER_SCAN_BYTES = 64 * 1024


@dataclass(frozen=True)
class Mailbox:
    host: str
    port: int
    username: str
    password: str
    folder: str = "INBOX"
    ssl: bool = True
    timeout: float = 30.0

    @classmethod
    def from_settings(cls, settings: ChannelSettings) -> Mailbox:
        if not settings.imap_host:
            raise ValueError("imap_host: not configured")
        return cls(
            settings.imap_host,
            settings.imap_port,
            settings.imap_username,
            settings.imap_password,
            settings.imap_folder,
            settings.imap_ssl,
        )


def poll_mailbox(
    sessions: sessionmaker[Session], mailbox: Mailbox, *, rules: TierRules, attachments_dir: Path
) -> int:
    """One pass over the unseen messages; returns how many were taken in (stored or quarantined)."""
    connection = _connect(mailbox)
    taken = 0
    try:
        connection.login(mailbox.username, mailbox.password)
        connection.select(_quoted(mailbox.folder))
        _, found = connection.uid("SEARCH", None, "UNSEEN")
        for uid in found[0].split() if found and found[0] else []:
            _, parts = connection.uid("FETCH", uid, "(BODY.PEEK[])")
            raw = next((p[1] for p in parts if isinstance(p, tuple)), None)
            if raw is None:
                continue
            with sessions() as session, session.begin():
                do_receive_mail(
                    session,
                    raw,
                    envelope_sender=_envelope_sender(raw),
                    rules=rules,
                    attachments_dir=attachments_dir,
                )
            connection.uid("STORE", uid, "+FLAGS", "(\\Seen)")
            taken += 1
    finally:
        try:
            connection.logout()
        except (imaplib.IMAP4.error, OSError):
            pass
    return taken


def imap_poll_loop(
    sessions: sessionmaker[Session],
    settings: ChannelSettings,
    *,
    rules: TierRules,
    attachments_dir: Path,
    stop: threading.Event,
) -> None:
    """Poll every `imap_poll_seconds` until `stop` is set; a failed pass is logged and retried next time."""
    mailbox = Mailbox.from_settings(settings)
    while not stop.is_set():
        try:
            poll_mailbox(sessions, mailbox, rules=rules, attachments_dir=attachments_dir)
        except (imaplib.IMAP4.error, OSError):
            log.exception("IMAP poll of %s@%s failed", mailbox.username, mailbox.host)
        stop.wait(settings.imap_poll_seconds)


def _connect(mailbox: Mailbox) -> imaplib.IMAP4:
    if mailbox.ssl:
        return imaplib.IMAP4_SSL(mailbox.host, mailbox.port, timeout=mailbox.timeout)
    return imaplib.IMAP4(mailbox.host, mailbox.port, timeout=mailbox.timeout)


def _quoted(folder: str) -> str:
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _envelope_sender(raw: bytes) -> str | None:
    """The delivering server's Return-Path stands in for SMTP's MAIL FROM (`<>` marks a bounce)."""
    head = re.split(rb"\r?\n\r?\n", raw[:HEADER_SCAN_BYTES], maxsplit=1)[0]
    match = _RETURN_PATH.search(head)
    return None if match is None else match.group(1).decode("ascii", "replace")
