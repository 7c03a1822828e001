"""Reads for the bot's API: intents with their example counts, the deployed model, channel switches,
a conversation's bot_handoff record, and the outcomes the measures are computed from."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.bot.actions import BOT_CHANNELS, channel_enabled
from kefu.bot.measures import ConversationOutcome
from kefu.bot.models import BotConversation, BotExample, BotIntent, BotModel
from kefu.bot.policy import HandoffReason
from kefu.channels.access import access_conversation_by_public_id
from kefu.channels.kinds import ConversationStatus
from kefu.channels.models import Conversation
from kefu.core.errors import NotFound

REOPEN_WINDOW = timedelta(hours=24)


@dataclass(frozen=True)
class IntentView:
    name: str
    answer_kind: str
    article_id: int | None
    script_id: int | None
    answer_zh: str | None
    answer_en: str | None
    queue_code: str | None
    examples: int


def list_intents(session: Session) -> list[IntentView]:
    counts = dict(
        session.execute(select(BotExample.intent_id, func.count()).group_by(BotExample.intent_id)).all()
    )
    return [
        IntentView(
            i.name,
            i.answer_kind,
            i.article_id,
            i.script_id,
            i.answer_zh,
            i.answer_en,
            i.queue_code,
            counts.get(i.id, 0),
        )  # fmt: skip
        for i in session.scalars(select(BotIntent).order_by(BotIntent.name))
    ]


def intent_view(session: Session, name: str) -> IntentView:
    for view in list_intents(session):
        if view.name == name:
            return view
    raise NotFound(f"intent {name!r} not found", field="name")


def deployed_model(session: Session) -> dict[str, Any] | None:
    model = session.scalar(select(BotModel).where(BotModel.active.is_(True)).limit(1))
    if model is None:
        return None
    return model_view(model)


def model_view(model: BotModel) -> dict[str, Any]:
    return {
        "id": model.id,
        "intents": model.intents,
        "examples": model.examples,
        "threshold": round(model.threshold, 4),
        "features": model.features,
        "fit_seconds": model.fit_seconds,
        "created_at": model.created_at.isoformat(),
    }


def channel_switches(session: Session) -> dict[str, bool]:
    return {c.value: channel_enabled(session, c.value) for c in sorted(BOT_CHANNELS)}


def access_handoff(session: Session, actor: Actor, public_id: str) -> dict[str, Any]:
    """The bot's record of a conversation the reader may see (404 when there is none)."""
    conversation = access_conversation_by_public_id(session, actor, public_id)
    record = session.get(BotConversation, conversation.id)
    if record is None:
        raise NotFound(f"the bot took no part in conversation {public_id}")
    return {
        "conversation_id": conversation.public_id,
        "status": conversation.status,
        "handed_off": record.handoff_reason is not None,
        "reason": record.handoff_reason,
        "queue": record.handoff_queue,
        "handed_off_at": record.handed_off_at.isoformat() if record.handed_off_at else None,
        "intent": record.intent,
        "confidence": record.confidence,
        "sentiment": record.sentiment,
        "sentiment_label": record.sentiment_label,
        "bot_turns": record.bot_turns,
        "transcript": record.transcript,
    }


def bot_outcomes(session: Session, start: datetime, end: datetime) -> list[ConversationOutcome]:
    """One outcome per bot conversation started in [start, end). A conversation counts as closed when
    it ended; it was reopened when the same customer started another conversation within 24 h of that."""
    rows = session.execute(
        select(
            BotConversation.conversation_id,
            BotConversation.intent,
            BotConversation.handoff_reason,
            BotConversation.fallback_turns,
            BotConversation.bot_turns,
            Conversation.customer_id,
            Conversation.status,
            Conversation.ended_at,
        )
        .join(Conversation, Conversation.id == BotConversation.conversation_id)
        .where(BotConversation.started_at >= start, BotConversation.started_at < end)
    ).all()
    starts: dict[int, list[tuple[int, datetime]]] = {}
    customers = {row.customer_id for row in rows if row.ended_at is not None}
    if customers:
        later = session.execute(
            select(Conversation.customer_id, Conversation.id, Conversation.started_at).where(
                Conversation.customer_id.in_(customers), Conversation.started_at >= start
            )
        )
        for customer_id, conversation_id, started_at in later:
            starts.setdefault(customer_id, []).append((conversation_id, started_at))
    return [
        ConversationOutcome(
            intent=row.intent,
            handoff_reason=_reason(row.handoff_reason),
            fallback_turns=row.fallback_turns,
            bot_turns=row.bot_turns,
            reopened=row.ended_at is not None
            and any(
                other != row.conversation_id and row.ended_at <= at < row.ended_at + REOPEN_WINDOW
                for other, at in starts.get(row.customer_id, ())
            ),
            closed=row.status == ConversationStatus.ended.value,
        )
        for row in rows
    ]


def _reason(value: str | None) -> HandoffReason | str | None:
    if value is None:
        return None
    try:
        return HandoffReason(value)
    except ValueError:
        return value  # a reason outside the policy's (the model was withdrawn mid-conversation)
