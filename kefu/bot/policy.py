"""The bot's dialogue policy (pure): answer, offer choices, or hand off to a human (bot_handoff).

One customer message in, one decision out, with the conversation state carried in immutable values so
the caller can store it anywhere. Rules, in order:
1. unusable input — empty → ask again; binary → say so (counts as a clarification); over the size
   limit → hand off, since a long story needs a person;
2. an explicit request for a person (转人工, 人工, human, agent, …) → hand off;
3. strongly negative sentiment → hand off;
4. a reply "1"–"3" to offered choices → answer that intent;
5. classify: confident → answer (or hand off when the centre maps that intent to a queue), unless it
   is the same intent again right after an answer, which counts as a failed answer (two failed
   answers → hand off); unsure → offer the top 3 choices once, and hand off if the next message is
   unsure too.
`feedback(helpful=False)` (a thumbs-down) also counts a failed answer.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from enum import StrEnum

from kefu.bot.classifier import IntentPrediction
from kefu.bot.sentiment import Sentiment, score_sentiment
from kefu.knowledge.text import normalize, tokenize

Classify = Callable[[str], IntentPrediction]


class Action(StrEnum):
    ANSWER = "answer"
    CLARIFY = "clarify"  # offer the top choices / ask to rephrase
    ASK_AGAIN = "ask_again"  # the message was unusable (empty, binary, no words)
    HANDOFF = "handoff"


class HandoffReason(StrEnum):
    REQUESTED = "requested"
    NEGATIVE_SENTIMENT = "negative_sentiment"
    LOW_CONFIDENCE = "low_confidence"
    FAILED_ANSWERS = "failed_answers"
    MESSAGE_TOO_LONG = "message_too_long"
    INTENT_ROUTES_TO_QUEUE = "intent_routes_to_queue"


class Prompt(StrEnum):
    """Why the bot asks again; the caller turns it into localised text."""

    EMPTY = "empty"
    UNREADABLE = "unreadable"
    NO_WORDS = "no_words"
    CHOOSE = "choose"


@dataclass(frozen=True)
class PolicyConfig:
    max_chars: int = 2000
    negative_sentiment: float = -0.6  # score at or below which the customer is handed off
    max_clarifications: int = 1  # unsure turns in a row before a handoff
    max_failed_answers: int = 2
    choices: int = 3
    handoff_intents: frozenset[str] = frozenset()  # intents the centre maps to a queue, not to an answer
    # Chinese phrases match anywhere in the text; English ones as whole (stemmed) word sequences.
    handoff_phrases: tuple[str, ...] = (
        "人工", "真人", "客服人员", "human", "agent", "real person", "operator", "representative",
        "speak to someone", "talk to someone",
    )  # fmt: skip


@dataclass(frozen=True)
class Turn:
    role: str  # "customer" or "bot"
    text: str
    intent: str | None = None
    action: Action | None = None


@dataclass(frozen=True)
class ConversationState:
    transcript: tuple[Turn, ...] = ()
    clarifications: int = 0  # unsure turns in a row
    failed_answers: int = 0
    last_answer: str | None = None  # intent of the most recent answer
    offered: tuple[str, ...] = ()  # intents offered as choices on the previous turn
    last_intent: str | None = None  # most recently detected intent (for the handoff queue)
    fallback_turns: int = 0
    bot_turns: int = 0
    handoff_reason: HandoffReason | None = None

    @property
    def handed_off(self) -> bool:
        return self.handoff_reason is not None


@dataclass(frozen=True)
class BotHandoff:
    """What routing receives: the whole transcript, so the customer never repeats themselves."""

    reason: HandoffReason
    intent: str | None
    sentiment: Sentiment
    transcript: tuple[Turn, ...]


@dataclass(frozen=True)
class BotDecision:
    action: Action
    state: ConversationState
    intent: str | None = None
    confidence: float = 0.0
    choices: tuple[str, ...] = ()
    prompt: Prompt | None = None
    handoff: BotHandoff | None = None
    sentiment: Sentiment = field(default_factory=lambda: Sentiment(0.0, "neutral"))


class PolicyError(ValueError):
    """The conversation cannot take another bot turn (it was already handed off)."""


_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\ufffd]")
_CHOICE = re.compile(r"^\s*([1-9])\s*[.)、]?\s*$")


def decide(
    state: ConversationState, message: str | bytes, classify: Classify, config: PolicyConfig | None = None
) -> BotDecision:
    """The bot's next step after one customer message."""
    config = config or PolicyConfig()
    if state.handed_off:
        raise PolicyError("state: conversation already handed off to a human")
    text, unreadable = _as_text(message)
    if not text.strip() and not unreadable:
        return _ask_again(state, Prompt.EMPTY)
    state = replace(state, transcript=state.transcript + (Turn("customer", text[: config.max_chars]),))
    if unreadable:
        return _unsure(state, Prompt.UNREADABLE, (), config)
    sentiment = score_sentiment(text[: config.max_chars])
    if len(text) > config.max_chars:
        return _handoff(state, HandoffReason.MESSAGE_TOO_LONG, sentiment)
    if _requests_human(text, config):
        return _handoff(state, HandoffReason.REQUESTED, sentiment)
    if sentiment.score <= config.negative_sentiment:
        return _handoff(state, HandoffReason.NEGATIVE_SENTIMENT, sentiment)
    chosen = _chosen(text, state.offered)
    if chosen is not None:
        if chosen in config.handoff_intents:  # the centre sends this matter to a person
            return _handoff(
                replace(state, last_intent=chosen), HandoffReason.INTENT_ROUTES_TO_QUEUE, sentiment
            )
        return _answer(state, chosen, 1.0, sentiment, config)
    if not tokenize(text):
        return _unsure(state, Prompt.NO_WORDS, (), config, sentiment)
    prediction = classify(text)
    state = replace(state, last_intent=prediction.intent)
    if prediction.out_of_scope:
        choices = tuple(intent for intent, _ in prediction.ranking[: config.choices])
        return _unsure(state, Prompt.CHOOSE, choices, config, sentiment)
    if prediction.intent in config.handoff_intents:
        return _handoff(state, HandoffReason.INTENT_ROUTES_TO_QUEUE, sentiment)
    if prediction.intent == state.last_answer:
        state = replace(state, failed_answers=state.failed_answers + 1)
        if state.failed_answers >= config.max_failed_answers:
            return _handoff(state, HandoffReason.FAILED_ANSWERS, sentiment)
    return _answer(state, prediction.intent, prediction.confidence, sentiment, config)


def feedback(
    state: ConversationState, helpful: bool, config: PolicyConfig | None = None
) -> BotDecision | None:
    """A thumbs-up/down on the last answer; returns a handoff decision once answers failed too often."""
    config = config or PolicyConfig()
    if helpful or state.handed_off:
        return None
    state = replace(state, failed_answers=state.failed_answers + 1, last_answer=None)
    if state.failed_answers >= config.max_failed_answers:
        return _handoff(state, HandoffReason.FAILED_ANSWERS, Sentiment(0.0, "neutral"))
    return None


def _as_text(message: str | bytes) -> tuple[str, bool]:
    """The message as text, and whether it looks binary (undecodable bytes or control characters)."""
    if isinstance(message, bytes):
        try:
            message = message.decode("utf-8")
        except UnicodeDecodeError:
            return "", True
    if not isinstance(message, str):
        return "", True
    return message, len(_CONTROL.findall(message)) > max(2, len(message) // 20)


_NOT_A_PERSON = ("人工智能",)  # "artificial intelligence" contains 人工 but asks for no one


def _requests_human(text: str, config: PolicyConfig) -> bool:
    folded, terms = normalize(text), tokenize(text)
    for phrase in _NOT_A_PERSON:
        folded = folded.replace(phrase, " ")
    for phrase in config.handoff_phrases:
        phrase_terms = tokenize(phrase)
        if not phrase.isascii():
            if normalize(phrase) in folded:
                return True
        elif any(terms[i : i + len(phrase_terms)] == phrase_terms for i in range(len(terms))):
            return True
    return False


def _chosen(text: str, offered: tuple[str, ...]) -> str | None:
    match = _CHOICE.match(text)
    if match and 1 <= int(match.group(1)) <= len(offered):
        return offered[int(match.group(1)) - 1]
    return offered[offered.index(text.strip())] if text.strip() in offered else None


def _bot_turn(
    state: ConversationState, action: Action, intent: str | None, fallback: bool
) -> ConversationState:
    return replace(
        state,
        transcript=state.transcript + (Turn("bot", "", intent, action),),
        bot_turns=state.bot_turns + 1,
        fallback_turns=state.fallback_turns + int(fallback),
    )


def _answer(
    state: ConversationState, intent: str, confidence: float, sentiment: Sentiment, config: PolicyConfig
) -> BotDecision:
    state = replace(state, clarifications=0, offered=(), last_answer=intent, last_intent=intent)
    state = _bot_turn(state, Action.ANSWER, intent, False)
    return BotDecision(Action.ANSWER, state, intent, confidence, sentiment=sentiment)


def _ask_again(state: ConversationState, prompt: Prompt) -> BotDecision:
    """An empty message: ask again without counting it against the customer."""
    return BotDecision(Action.ASK_AGAIN, _bot_turn(state, Action.ASK_AGAIN, None, False), prompt=prompt)


def _unsure(
    state: ConversationState,
    prompt: Prompt,
    choices: tuple[str, ...],
    config: PolicyConfig,
    sentiment: Sentiment | None = None,
) -> BotDecision:
    sentiment = sentiment or Sentiment(0.0, "neutral")
    if state.clarifications >= config.max_clarifications:
        return _handoff(state, HandoffReason.LOW_CONFIDENCE, sentiment)
    state = replace(state, clarifications=state.clarifications + 1, offered=choices)
    action = Action.CLARIFY if choices else Action.ASK_AGAIN
    return BotDecision(
        action,
        _bot_turn(state, action, None, True),
        state.last_intent,
        0.0,
        choices,
        prompt,
        sentiment=sentiment,
    )


def _handoff(state: ConversationState, reason: HandoffReason, sentiment: Sentiment) -> BotDecision:
    state = replace(
        _bot_turn(state, Action.HANDOFF, state.last_intent, False), handoff_reason=reason, offered=()
    )
    handoff = BotHandoff(reason, state.last_intent, sentiment, state.transcript)
    return BotDecision(Action.HANDOFF, state, state.last_intent, handoff=handoff, sentiment=sentiment)
