"""Files sent by web chat visitors: `POST /webchat/uploads?visitor=…&client_id=…` with a multipart `file`.

The visitor proves who they are the same way as on the WebSocket (visitor id, optionally the site's
signed customer id). The file becomes a customer message carrying the attachment, stored once per client
id, and the answer is the acknowledgement a chat message gets. Size and type are checked before
anything is stored: 413 over the limit, 415 for a type the chat does not take (SVG and HTML among them).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, Query, Request, UploadFile
from fastapi.responses import JSONResponse

from kefu.channels.actions import Inbound, do_ingest_message
from kefu.channels.attachments import attachments_root, do_store_attachment
from kefu.channels.files import CHAT_UPLOAD_TYPES, check_upload, safe_filename
from kefu.channels.kinds import Channel
from kefu.channels.settings import ChannelSettingsDep
from kefu.channels.webchat import MAX_CLIENT_ID, visitor_identities
from kefu.customers.settings import TierRulesDep
from kefu.web.deps import RuntimeDep, SessionDep, public

router = APIRouter(prefix="/webchat", tags=["webchat"], dependencies=[public()])


@router.post("/uploads", status_code=201)
def post_upload(
    request: Request,
    client_id: Annotated[str, Query(min_length=1, max_length=MAX_CLIENT_ID)],
    file: Annotated[UploadFile, File()],
    session: SessionDep,
    runtime: RuntimeDep,
    settings: ChannelSettingsDep,
    rules: TierRulesDep,
) -> JSONResponse:
    identities = visitor_identities(settings, dict(request.query_params))
    data = file.file.read(settings.max_upload_bytes + 1)  # never more than the limit plus one byte
    content_type = (file.content_type or "").split(";", 1)[0].strip().lower()
    check_upload(len(data), content_type, max_bytes=settings.max_upload_bytes, allowed=CHAT_UPLOAD_TYPES)
    name = safe_filename(file.filename)
    inbound = Inbound(
        channel=Channel.webchat,
        external_id=f"{identities[0].value}:{client_id}",
        identities=identities,
        body=f"[{name}]",
    )
    result = do_ingest_message(session, inbound, rules=rules)
    if not result.duplicate:
        do_store_attachment(
            session,
            root=attachments_root(runtime.settings.data_dir),
            message_id=result.message.id,
            data=data,
            filename=name,
            content_type=content_type,
        )
    ack = {
        "type": "ack",
        "client_id": client_id,
        "message_id": result.message.id,
        "conversation_id": result.conversation.public_id,
        "duplicate": result.duplicate,
    }
    return JSONResponse(ack, status_code=200 if result.duplicate else 201)
