"""The live bot's pure helpers: policy state to and from JSON, the reply language, answer text.

The conversation state of `kefu.bot.policy` is stored as JSON on the bot's conversation row, so any
server process can take the next turn.
"""

from __future__ import annotations

import re
from typing import Any

from kefu.bot.policy import Action, ConversationState, HandoffReason, Turn

_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")
_LATIN_WORD = re.compile(r"[A-Za-z]{2,}")
ANSWER_CHARS = 1200  # a KB answer in a chat bubble: the opening of the article, then a pointer to the rest


def N_(message: str) -> str:
    """Marks a reply text for the catalogs (translated when the reply is written, in the reply language)."""
    return message


def state_to_json(state: ConversationState) -> dict[str, Any]:
    return {
        "transcript": [
            {"role": t.role, "text": t.text, "intent": t.intent, "action": t.action and str(t.action)}
            for t in state.transcript
        ],
        "clarifications": state.clarifications,
        "failed_answers": state.failed_answers,
        "last_answer": state.last_answer,
        "offered": list(state.offered),
        "last_intent": state.last_intent,
        "fallback_turns": state.fallback_turns,
        "bot_turns": state.bot_turns,
        "handoff_reason": state.handoff_reason and str(state.handoff_reason),
    }


def state_from_json(data: dict[str, Any] | None) -> ConversationState:
    """The stored state; anything missing or unreadable starts fresh rather than failing the turn."""
    if not data:
        return ConversationState()
    turns = tuple(
        Turn(t["role"], t.get("text", ""), t.get("intent"), Action(t["action"]) if t.get("action") else None)
        for t in data.get("transcript", ())
    )
    reason = data.get("handoff_reason")
    return ConversationState(
        transcript=turns,
        clarifications=int(data.get("clarifications", 0)),
        failed_answers=int(data.get("failed_answers", 0)),
        last_answer=data.get("last_answer"),
        offered=tuple(data.get("offered", ())),
        last_intent=data.get("last_intent"),
        fallback_turns=int(data.get("fallback_turns", 0)),
        bot_turns=int(data.get("bot_turns", 0)),
        handoff_reason=HandoffReason(reason) if reason else None,
    )


def reply_language(text: str, customer_language: str | None) -> str:
    """Answer in the language the customer writes: Chinese characters → zh_CN, Latin words → en;
    mixed or wordless messages (emoji, digits) follow the customer's profile (zh_CN by default)."""
    cjk, latin = len(_CJK.findall(text)), len(_LATIN_WORD.findall(text))
    if cjk and cjk >= latin:
        return "zh_CN"
    if latin and not cjk:
        return "en"
    return "en" if customer_language == "en" else "zh_CN"


def literal_answer(answer_zh: str | None, answer_en: str | None, language: str) -> str | None:
    """The answer in the reply language, else in the other one; None when neither is written."""
    first, second = (answer_zh, answer_en) if language == "zh_CN" else (answer_en, answer_zh)
    for text in (first, second):
        if text and text.strip():
            return text.strip()
    return None


_MARKDOWN = (
    (re.compile(r"!\[[^\]]*\]\([^)]*\)"), ""),  # images
    (re.compile(r"\[([^\]]*)\]\([^)]*\)"), r"\1"),  # links keep their text
    (re.compile(r"^\s{0,3}#{1,6}\s*", re.M), ""),  # headings
    (re.compile(r"^\s{0,3}>\s?", re.M), ""),  # quotes
    (re.compile(r"(\*\*|__|`{1,3}|~~)"), ""),  # emphasis, code
    (re.compile(r"<[^>]{0,200}>"), ""),  # inline HTML
    (re.compile(r"\n{3,}"), "\n\n"),
)


def article_answer(title: str, body: str, limit: int = ANSWER_CHARS) -> str:
    """A KB article as chat text: title, then the body with Markdown markup removed, cut at `limit`."""
    text = body
    for pattern, replacement in _MARKDOWN:
        text = pattern.sub(replacement, text)
    text = text.strip()
    if len(text) > limit:
        cut = text[:limit]
        text = cut[: max(cut.rfind("\n"), cut.rfind("。"), cut.rfind(". "), limit // 2) + 1].rstrip() + " …"
    return f"{title.strip()}\n{text}" if title.strip() else text


def intent_label(name: str) -> str:
    """How an intent is offered as a choice when nothing better is known: its name in words."""
    return name.replace("_", " ").strip()
