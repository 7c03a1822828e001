"""Inbound e-mail: thread it into the right conversation, or quarantine it with the reason.

Threading order: a Message-ID kefu generated (In-Reply-To/References), a Message-ID of this same
customer's earlier mail, then the `[#<conversation reference>]` tag in the subject. kefu's Message-IDs and
conversation references carry 128 random bits, so a spoofed From cannot post into another customer's
thread without holding that thread's reference.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.channels.actions import Inbound, check_inbound, do_ingest_message, do_record_thread, thread_for
from kefu.channels.attachments import do_store_attachment
from kefu.channels.email_parse import ParsedMail, Unreadable, parse_mail
from kefu.channels.files import safe_filename
from kefu.channels.kinds import Channel, ConversationStatus
from kefu.channels.models import Conversation, QuarantinedMail
from kefu.core import clock
from kefu.core.errors import KefuError
from kefu.core.events import Event, send_event_on_commit
from kefu.customers.actions import resolve_customer
from kefu.customers.identity import Identity, InvalidIdentity, normalise_email
from kefu.customers.tiers import IdentityKind, TierRules

_SUBJECT_REFERENCE = re.compile(r"\[#([A-Za-z0-9_-]{16,32})\]")


@dataclass(frozen=True)
class MailOutcome:
    conversation_id: int | None  # None when quarantined
    quarantine_reason: str | None
    duplicate: bool = False


def do_receive_mail(
    session: Session, raw: bytes, *, envelope_sender: str | None, rules: TierRules, attachments_dir: Path
) -> MailOutcome:
    """Ingest one inbound mail; whatever cannot become a customer message is kept in quarantine."""
    try:
        mail = parse_mail(raw, envelope_sender)
        sender = Identity(IdentityKind.email, normalise_email(mail.from_address))
    except (Unreadable, InvalidIdentity) as exc:
        return _quarantine(session, raw, envelope_sender or "", getattr(exc, "reason", str(exc)))
    if mail.auto_reason:
        # Never a new conversation, never an answer: that is how two auto-responders loop forever.
        return _quarantine(session, raw, mail.from_address, f"auto-reply: {mail.auto_reason}")
    customer = resolve_customer(session, [sender], name=mail.from_name)
    thread = _thread(session, mail, customer.id)
    if thread is not None and thread.status == ConversationStatus.ended.value:
        thread.status = ConversationStatus.queued.value  # a reply to a closed thread reopens it
    inbound = Inbound(
        channel=Channel.email,
        external_id=mail.message_id,
        identities=(sender,),
        body=mail.text or "[" + ", ".join(safe_filename(f.filename) for f in mail.files) + "]",
        customer_name=mail.from_name,
        subject=mail.subject,
        body_html=mail.html,
    )
    try:
        check_inbound(inbound)
    except KefuError as exc:  # e.g. a body over the limit: kept whole, with the reason
        return _quarantine(session, raw, mail.from_address, exc.message)
    result = do_ingest_message(session, inbound, rules=rules, conversation=thread, continue_open=False)
    if not result.duplicate:
        for file in mail.files:
            do_store_attachment(
                session,
                root=attachments_dir,
                message_id=result.message.id,
                data=file.data,
                filename=file.filename,
                content_type=file.content_type,
            )
    do_record_thread(
        session,
        channel=Channel.email,
        key=mail.message_id,
        conversation_id=result.conversation.id,
        ours=False,
    )
    return MailOutcome(result.conversation.id, None, duplicate=result.duplicate)


def _thread(session: Session, mail: ParsedMail, customer_id: int) -> Conversation | None:
    for reference in mail.references:
        known = thread_for(session, Channel.email, [reference])
        if known is None:
            continue
        conversation = session.get_one(Conversation, known.conversation_id)
        if known.ours or conversation.customer_id == customer_id:
            return conversation
    match = _SUBJECT_REFERENCE.search(mail.subject)
    if match:
        return session.scalar(
            select(Conversation).where(
                Conversation.public_id == match.group(1), Conversation.channel == Channel.email.value
            )
        )
    return None


def _quarantine(session: Session, raw: bytes, sender: str, reason: str) -> MailOutcome:
    row = QuarantinedMail(reason=reason[:300], mail_from=sender[:320], raw=raw, received_at=clock.now())
    session.add(row)
    session.flush()
    send_event_on_commit(session, Event("mail.quarantined", {"quarantine_id": row.id, "reason": row.reason}))
    return MailOutcome(None, reason)
