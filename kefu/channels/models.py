"""Conversations and their messages, whatever the channel."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base


class Conversation(Base):
    """One live exchange with a customer on one channel, with the timings the measures are built from."""

    __tablename__ = "conversations"
    __table_args__ = (
        Index("ix_conversations_agent_started", "agent_id", "started_at"),
        Index("ix_conversations_customer_started", "customer_id", "started_at"),
    )
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    customer_id: Mapped[int] = mapped_column(ForeignKey("customers.id"))
    channel: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), index=True)
    subject: Mapped[str | None] = mapped_column(String(300), nullable=True)
    queue_id: Mapped[int | None] = mapped_column(ForeignKey("queues.id"), nullable=True, index=True)
    agent_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    team_id: Mapped[int | None] = mapped_column(ForeignKey("teams.id"), nullable=True, index=True)
    started_at: Mapped[datetime] = mapped_column(index=True)
    queued_at: Mapped[datetime | None] = mapped_column(nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(nullable=True)
    ended_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Seconds of after-contact work and hold, reported by the agent console or the telephone platform.
    after_contact_seconds: Mapped[int] = mapped_column(Integer, default=0)
    hold_seconds: Mapped[int] = mapped_column(Integer, default=0)
    abandoned: Mapped[bool] = mapped_column(Boolean, default=False)
    bot_handled: Mapped[bool] = mapped_column(Boolean, default=False)
    transfer_count: Mapped[int] = mapped_column(Integer, default=0)


class Message(Base):
    __tablename__ = "messages"
    # A channel's own message id may arrive twice; it is stored once.
    __table_args__ = (UniqueConstraint("channel", "external_id", name="uq_message_external"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    external_id: Mapped[str | None] = mapped_column(String(255), nullable=True)
    sender: Mapped[str] = mapped_column(String(10))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    body: Mapped[str] = mapped_column(Text)
    # Sanitised HTML of an HTML e-mail (never raw markup from outside); `body` holds its text.
    body_html: Mapped[str | None] = mapped_column(Text, nullable=True)
    is_internal: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class ChannelThread(Base):
    """A transport's thread handle (an e-mail Message-ID, a call id) that leads to one conversation.

    `ours` marks handles kefu generated itself (outbound Message-IDs carry 128 random bits), which a
    sender can only know by having received our mail; customer-made handles only thread that customer.
    """

    __tablename__ = "channel_threads"
    __table_args__ = (UniqueConstraint("channel", "key", name="uq_channel_thread"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(20))
    key: Mapped[str] = mapped_column(String(255))
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), index=True)
    ours: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime]


class VoiceCall(Base):
    """The telephone platform's call, with the state its events need beyond the conversation's timings."""

    __tablename__ = "voice_calls"
    id: Mapped[int] = mapped_column(primary_key=True)
    call_id: Mapped[str] = mapped_column(String(120), unique=True)
    conversation_id: Mapped[int] = mapped_column(ForeignKey("conversations.id"), unique=True)
    held_since: Mapped[datetime | None] = mapped_column(nullable=True)
    recording_url: Mapped[str | None] = mapped_column(String(1000), nullable=True)


class QuarantinedMail(Base):
    """Inbound mail kefu could not or would not ingest, kept whole with the reason (never lost silently)."""

    __tablename__ = "quarantined_mail"
    id: Mapped[int] = mapped_column(primary_key=True)
    reason: Mapped[str] = mapped_column(String(300))
    mail_from: Mapped[str] = mapped_column(String(320), default="")
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    received_at: Mapped[datetime] = mapped_column(index=True)


class EmailOutbox(Base):
    """A rendered outbound e-mail waiting for (or done with) the SMTP relay; sent after the commit."""

    __tablename__ = "email_outbox"
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    recipient: Mapped[str] = mapped_column(String(320))
    raw: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime]
    sent_at: Mapped[datetime | None] = mapped_column(nullable=True)


class WebhookDelivery(Base):
    """One agent message on its way to an app/social gateway: retried with backoff, then given up."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    channel: Mapped[str] = mapped_column(String(20))
    url: Mapped[str] = mapped_column(String(1000))
    payload: Mapped[str] = mapped_column(Text)  # the exact JSON body that is signed and sent
    status: Mapped[str] = mapped_column(String(20))  # pending, delivered, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime]
    last_error: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime]
    delivered_at: Mapped[datetime | None] = mapped_column(nullable=True)


class Attachment(Base):
    """A file that came with a message; stored on disk under its unguessable public id, never by name."""

    __tablename__ = "attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    message_id: Mapped[int] = mapped_column(ForeignKey("messages.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime]
