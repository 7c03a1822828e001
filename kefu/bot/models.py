"""The bot's tables: the centre's intents and examples, the deployed classifier, per-channel switches,
and each bot conversation's dialogue state with its handoff record (bot_handoff)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base


class BotIntent(Base):
    """An intent and what the bot does with it: answer (a KB article, a script or a literal bilingual
    text) or hand off (`answer_kind` "handoff"). `queue_code` is the routing queue a handoff of a
    conversation about this intent goes to, whatever the reason (None: the channel's queue)."""

    __tablename__ = "bot_intents"
    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    answer_kind: Mapped[str] = mapped_column(String(10), default="text")  # article, script, text, handoff
    article_id: Mapped[int | None] = mapped_column(ForeignKey("articles.id"), nullable=True)
    script_id: Mapped[int | None] = mapped_column(Integer, nullable=True)  # kefu.knowledge scripts
    answer_zh: Mapped[str | None] = mapped_column(Text, nullable=True)
    answer_en: Mapped[str | None] = mapped_column(Text, nullable=True)
    queue_code: Mapped[str | None] = mapped_column(String(60), nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class BotExample(Base):
    __tablename__ = "bot_examples"
    id: Mapped[int] = mapped_column(primary_key=True)
    intent_id: Mapped[int] = mapped_column(ForeignKey("bot_intents.id", ondelete="CASCADE"), index=True)
    text: Mapped[str] = mapped_column(Text)


class BotModel(Base):
    """A trained classifier (pickled by kefu itself); exactly one row is `active`: the deployed bot.
    Every process loads the active row and reloads when another one becomes active."""

    __tablename__ = "bot_models"
    id: Mapped[int] = mapped_column(primary_key=True)
    active: Mapped[bool] = mapped_column(Boolean, default=False, index=True)
    blob: Mapped[bytes] = mapped_column(LargeBinary)
    intents: Mapped[int] = mapped_column(Integer)
    examples: Mapped[int] = mapped_column(Integer)
    threshold: Mapped[float] = mapped_column(Float)
    features: Mapped[str] = mapped_column(String(120))  # "lexical" or the embedding model's name
    fit_seconds: Mapped[float] = mapped_column(Float)
    trained_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime]


class BotChannel(Base):
    """Whether the bot answers first on a channel; a channel without a row uses the default (on)."""

    __tablename__ = "bot_channels"
    channel: Mapped[str] = mapped_column(String(20), primary_key=True)
    enabled: Mapped[bool] = mapped_column(Boolean)


class BotConversation(Base):
    """The bot's side of one conversation: policy state, the messages it has read, and — once it hands
    off — the bot_handoff record the console shows (reason, intent, confidence, sentiment, transcript)."""

    __tablename__ = "bot_conversations"
    conversation_id: Mapped[int] = mapped_column(
        ForeignKey("conversations.id", ondelete="CASCADE"), primary_key=True
    )
    channel: Mapped[str] = mapped_column(String(20))
    started_at: Mapped[datetime] = mapped_column(index=True)
    last_message_id: Mapped[int] = mapped_column(Integer, default=0)  # newest customer message read
    state: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    transcript: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    intent: Mapped[str | None] = mapped_column(String(120), nullable=True)  # last detected
    confidence: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentiment: Mapped[float | None] = mapped_column(Float, nullable=True)
    sentiment_label: Mapped[str | None] = mapped_column(String(10), nullable=True)
    bot_turns: Mapped[int] = mapped_column(Integer, default=0)
    fallback_turns: Mapped[int] = mapped_column(Integer, default=0)
    handoff_reason: Mapped[str | None] = mapped_column(String(30), nullable=True, index=True)
    handoff_queue: Mapped[str | None] = mapped_column(String(60), nullable=True)
    handed_off_at: Mapped[datetime | None] = mapped_column(nullable=True)
