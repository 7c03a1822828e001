"""Agent assist: articles and scripts for the customer's latest message, offered without being asked."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.channels.kinds import Sender
from kefu.channels.models import Message
from kefu.knowledge.articles import ArticleHit, search_published
from kefu.knowledge.lifecycle import LANGUAGES, parse_language
from kefu.knowledge.models import Script
from kefu.knowledge.scripts import suggest_scripts
from kefu.knowledge.search import MAX_QUERY_CHARS

_CJK = range(0x3400, 0xA000)


@dataclass(frozen=True)
class Suggestions:
    articles: list[ArticleHit] = field(default_factory=list)
    scripts: list[Script] = field(default_factory=list)


def guess_language(text: str, default: str = "zh") -> str:
    """zh when the text has Chinese characters, en when it has Latin letters only, else `default`."""
    if any(ord(ch) in _CJK for ch in text):
        return "zh"
    if any(ch.isascii() and ch.isalpha() for ch in text):
        return "en"
    return default


def suggest_for_text(session: Session, text: str, language: str | None, limit: int = 3) -> Suggestions:
    """Up to `limit` published articles and `limit` scripts for a customer's message. `language` may be a
    locale (zh_CN) or None: then it is guessed from the text. Empty text suggests nothing."""
    text = (text or "")[:MAX_QUERY_CHARS]
    if not text.strip() or limit < 1:
        return Suggestions()
    try:
        lang = parse_language(language) if language else guess_language(text)
    except Exception:  # noqa: BLE001 - an odd customer locale falls back to guessing from the text
        lang = guess_language(text)
    if lang not in LANGUAGES:
        return Suggestions()
    return Suggestions(
        articles=search_published(session, text, lang, limit),
        scripts=suggest_scripts(session, text, lang, limit),
    )


def latest_customer_message(session: Session, conversation_id: int) -> str | None:
    return session.scalar(
        select(Message.body)
        .where(
            Message.conversation_id == conversation_id,
            Message.sender == Sender.customer.value,
            Message.is_internal.is_(False),
        )
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(1)
    )
