"""Files on tickets: checked against the size and type limits, stored in the attachments store that
message attachments use (kefu.channels.attachments), recorded in the ticket's history.

The bytes are written before the row is flushed (a committed row always has its file); downloads are
served like message attachments: always as a download, with nosniff, under the unguessable id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.channels.attachments import write_file
from kefu.channels.files import CHAT_UPLOAD_TYPES, FileTypeRefused, check_upload, safe_filename
from kefu.core.errors import InvalidInput
from kefu.tickets.models import Ticket, TicketAttachment, TicketEvent

# What a ticket takes: the chat's images and PDF, plus documents, mail, recordings and archives. HTML
# and SVG are accepted (a customer's page or logo can be evidence) but, like every type a browser could
# run, they are only ever served as application/octet-stream downloads.
TICKET_UPLOAD_TYPES = CHAT_UPLOAD_TYPES | frozenset(
    {
        "text/plain", "text/csv", "text/html", "image/svg+xml", "message/rfc822", "application/zip",
        "application/msword", "application/vnd.ms-excel",
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        "audio/mpeg", "audio/wav", "video/mp4",
    }
)  # fmt: skip
MAX_ATTACHMENTS = 100  # per ticket


def check_ticket_upload(size: int, content_type: str, max_bytes: int) -> None:
    """413 over the size limit (naming it), 422 for an empty file or a type tickets do not take."""
    try:
        check_upload(size, content_type, max_bytes=max_bytes, allowed=TICKET_UPLOAD_TYPES)
    except FileTypeRefused as exc:
        raise InvalidInput(
            f"file: type {content_type or '(none)'!r} is not accepted on tickets "
            f"(allowed: {', '.join(sorted(TICKET_UPLOAD_TYPES))})",
            field="file",
        ) from exc


def do_attach(
    session: Session,
    *,
    root: Path,
    ticket: Ticket,
    data: bytes,
    filename: str | None,
    content_type: str,
    max_bytes: int,
    actor_id: int | None,
    now: datetime,
) -> TicketAttachment:
    content_type = content_type.split(";", 1)[0].strip().lower()
    check_ticket_upload(len(data), content_type, max_bytes)
    count = len(attachments_of(session, ticket))
    if count >= MAX_ATTACHMENTS:
        raise InvalidInput(f"file: a ticket holds at most {MAX_ATTACHMENTS} attachments", field="file")
    identifier = write_file(root, data)
    attachment = TicketAttachment(
        public_id=identifier, ticket_id=ticket.id, filename=safe_filename(filename),
        content_type=content_type[:100], size=len(data), sha256=hashlib.sha256(data).hexdigest(),
        uploaded_by_id=actor_id, created_at=now,
    )  # fmt: skip
    session.add(attachment)
    data_ = {"attachment": identifier, "filename": attachment.filename, "size": attachment.size}
    session.add(
        TicketEvent(ticket_id=ticket.id, actor_id=actor_id, kind="attachment", data=data_, created_at=now)
    )
    ticket.updated_at = now
    session.flush()
    return attachment


def attachments_of(session: Session, ticket: Ticket) -> Sequence[TicketAttachment]:
    query = select(TicketAttachment).where(TicketAttachment.ticket_id == ticket.id)
    return session.scalars(query.order_by(TicketAttachment.id)).all()


def attachment_of(session: Session, ticket: Ticket, attachment_public_id: str) -> TicketAttachment | None:
    return session.scalar(
        select(TicketAttachment).where(
            TicketAttachment.ticket_id == ticket.id, TicketAttachment.public_id == attachment_public_id
        )
    )
