"""Agent replies by e-mail: recorded and queued in the transaction, handed to the relay after commit.

Sending inside the transaction would mail customers about replies that then roll back, and hold the
database while a relay is slow; the outbox row makes delivery retryable and visible instead.
"""

from __future__ import annotations

import logging
import smtplib
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from kefu.channels.actions import do_add_message, do_record_thread
from kefu.channels.email_render import Outgoing, render, reply_subject
from kefu.channels.kinds import Channel, Sender
from kefu.channels.models import ChannelThread, Conversation, EmailOutbox
from kefu.core import clock
from kefu.core.errors import InvalidInput
from kefu.core.ids import public_id
from kefu.customers.models import CustomerIdentity
from kefu.customers.tiers import IdentityKind

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class Relay:
    host: str
    port: int
    timeout: float = 30.0


def do_reply_by_email(
    session: Session,
    *,
    conversation: Conversation,
    body: str,
    author_id: int | None,
    from_address: str,
    from_name: str,
) -> EmailOutbox:
    """Record an agent's reply and queue it, threaded under the customer's latest mail."""
    if conversation.channel != Channel.email.value:
        raise InvalidInput(f"conversation: is on {conversation.channel}, not e-mail", field="conversation")
    if not body.strip():
        raise InvalidInput("body: must not be empty", field="body")
    recipient = _customer_address(session, conversation.customer_id)
    threads = session.scalars(
        select(ChannelThread)
        .where(ChannelThread.conversation_id == conversation.id)
        .order_by(ChannelThread.id)
    ).all()
    theirs = [t.key for t in threads if not t.ours]
    message_id = f"{public_id()}@{from_address.rpartition('@')[2] or 'localhost'}"
    outgoing = Outgoing(
        from_address=from_address,
        from_name=from_name,
        to_address=recipient,
        to_name="",
        subject=reply_subject(conversation.subject or "", conversation.public_id),
        body=body,
        message_id=message_id,
        in_reply_to=theirs[-1] if theirs else None,
        references=tuple(t.key for t in threads),
        date=clock.now(),
    )
    message = do_add_message(
        session, conversation, sender=Sender.agent, body=body, external_id=message_id, author_id=author_id
    )
    do_record_thread(
        session, channel=Channel.email, key=message_id, conversation_id=conversation.id, ours=True
    )
    row = EmailOutbox(
        message_id=message.id,
        recipient=recipient,
        raw=render(outgoing),
        status="pending",
        attempts=0,
        created_at=clock.now(),
    )
    session.add(row)
    session.flush()
    return row


def _customer_address(session: Session, customer_id: int) -> str:
    address = session.scalar(
        select(CustomerIdentity.value)
        .where(CustomerIdentity.customer_id == customer_id, CustomerIdentity.kind == IdentityKind.email.value)
        .order_by(CustomerIdentity.id.desc())
        .limit(1)
    )
    if address is None:
        raise InvalidInput("conversation: the customer has no e-mail address", field="conversation")
    return address


def deliver_outbox(sessions: sessionmaker[Session], relay: Relay, envelope_from: str) -> tuple[int, int]:
    """Hand every pending mail to the relay, one transaction each; returns (sent, given up)."""
    sent = failed = 0
    with sessions() as session:
        pending = session.scalars(select(EmailOutbox.id).where(EmailOutbox.status == "pending")).all()
    for outbox_id in pending:
        with sessions() as session, session.begin():
            row = session.get_one(EmailOutbox, outbox_id)
            try:
                with smtplib.SMTP(relay.host, relay.port, timeout=relay.timeout) as smtp:
                    smtp.sendmail(envelope_from, [row.recipient], row.raw)
            except (OSError, smtplib.SMTPException) as exc:
                row.attempts += 1
                row.last_error = f"{type(exc).__name__}: {exc}"[:500]
                if row.attempts >= MAX_ATTEMPTS:
                    row.status, failed = "failed", failed + 1
                log.warning("mail %s to relay %s failed: %s", row.id, relay.host, row.last_error)
                continue
            row.attempts += 1
            row.status, row.sent_at, sent = "sent", clock.now(), sent + 1
    return sent, failed
