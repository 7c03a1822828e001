"""Downloading attachments: always as a download, with nosniff, under an unguessable id."""

from __future__ import annotations

from typing import Annotated
from urllib.parse import quote

from fastapi import APIRouter
from fastapi.responses import FileResponse

from kefu.access.actor import Actor
from kefu.access.permissions import Permission
from kefu.channels.attachments import access_attachment, attachment_path, attachments_root
from kefu.channels.files import served_type
from kefu.web.deps import RuntimeDep, SessionDep, require

router = APIRouter(prefix="/attachments", tags=["attachments"])


@router.get("/{public_id}")
def get_attachment(
    public_id: str,
    session: SessionDep,
    runtime: RuntimeDep,
    actor: Annotated[Actor, require(Permission.conversations_read)],
) -> FileResponse:
    attachment = access_attachment(session, actor, public_id)
    # RFC 6266 filename*: the original (sanitised) name survives, in UTF-8, without header injection.
    disposition = f"attachment; filename*=UTF-8''{quote(attachment.filename, safe='')}"
    return FileResponse(
        attachment_path(attachments_root(runtime.settings.data_dir), attachment.public_id),
        media_type=served_type(attachment.content_type),
        headers={
            "Content-Disposition": disposition,
            "X-Content-Type-Options": "nosniff",
            "Content-Security-Policy": "default-src 'none'; sandbox",
        },
    )
