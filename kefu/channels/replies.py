"""An agent's written reply, whatever the channel: stored, then sent the channel's way after commit."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kefu.channels.actions import do_add_message
from kefu.channels.email_out import do_reply_by_email
from kefu.channels.kinds import Channel, Sender
from kefu.channels.models import Conversation, Message
from kefu.channels.settings import ChannelSettings
from kefu.channels.webhooks import do_queue_webhook
from kefu.core.errors import InvalidInput

WEBHOOK_CHANNELS = frozenset({Channel.app, Channel.social, Channel.api})


def do_agent_reply(
    session: Session, *, conversation: Conversation, body: str, author_id: int, settings: ChannelSettings
) -> Message:
    """E-mail goes to the outbox, app/social/api to a webhook delivery, web chat is pushed by the event."""
    channel = Channel(conversation.channel)
    if not body.strip():
        raise InvalidInput("body: must not be empty", field="body")
    if channel is Channel.voice:
        raise InvalidInput("conversation: a phone call takes no written reply", field="conversation")
    if channel is Channel.email:
        outbox = do_reply_by_email(
            session,
            conversation=conversation,
            body=body,
            author_id=author_id,
            from_address=settings.support_address,
            from_name=settings.support_name,
        )
        return session.get_one(Message, outbox.message_id)
    message = do_add_message(session, conversation, sender=Sender.agent, body=body, author_id=author_id)
    url = settings.webhook_targets.get(channel.value)
    if channel in WEBHOOK_CHANNELS:
        if url is None:
            raise InvalidInput(
                f"conversation: no webhook target configured for {channel.value}", field="conversation"
            )
        do_queue_webhook(session, message=message, conversation=conversation, url=url)
    return message
