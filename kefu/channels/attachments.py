"""Storing attachments: bytes on disk under an unguessable id, the row in the message's transaction.

The file is written (and synced) before the row is flushed, so a committed row always has its bytes; a
transaction that rolls back leaves at most an orphan file, never a row without a file.
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.scopes import conversation_scope
from kefu.channels.files import safe_filename
from kefu.channels.models import Attachment, Conversation, Message
from kefu.core import clock
from kefu.core.errors import NotFound
from kefu.core.ids import public_id

ATTACHMENTS_DIR = "attachments"


def attachments_root(data_dir: Path) -> Path:
    return data_dir / ATTACHMENTS_DIR


def attachment_path(root: Path, attachment_public_id: str) -> Path:
    # Two-character fan-out keeps directories small; the id is URL-safe base64, so safe as a file name.
    return root / attachment_public_id[:2] / attachment_public_id


def write_file(root: Path, data: bytes) -> str:
    """Write (and sync) the bytes under a new unguessable id and return the id; the caller adds its row
    afterwards (message attachments here, ticket attachments in kefu.tickets)."""
    identifier = public_id()
    path = attachment_path(root, identifier)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    return identifier


def do_store_attachment(
    session: Session, *, root: Path, message_id: int, data: bytes, filename: str | None, content_type: str
) -> Attachment:
    identifier = write_file(root, data)
    attachment = Attachment(
        public_id=identifier,
        message_id=message_id,
        filename=safe_filename(filename),
        content_type=content_type.split(";", 1)[0].strip().lower()[:100] or "application/octet-stream",
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
        created_at=clock.now(),
    )
    session.add(attachment)
    session.flush()
    return attachment


def access_attachment(session: Session, actor: Actor, attachment_public_id: str) -> Attachment:
    """The attachment if its conversation is in the actor's scope; missing and forbidden look alike."""
    attachment = session.scalar(
        select(Attachment)
        .join(Message, Message.id == Attachment.message_id)
        .join(Conversation, Conversation.id == Message.conversation_id)
        .where(Attachment.public_id == attachment_public_id, conversation_scope(actor))
    )
    if attachment is None:
        raise NotFound("attachment not found")
    return attachment
