"""Bot measures per intent (pure aggregation over finished conversations).

- containment: conversations closed (ended) without a handoff and not reopened within 24 h, over conversations
  (the glossary's 机器人解决率; the caller decides `reopened`);
- handoff rate, with the count of each handoff reason;
- fallback rate: bot turns that were a "not sure" (choices offered or asked to rephrase) over bot turns.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from kefu.bot.policy import ConversationState, HandoffReason


@dataclass(frozen=True)
class ConversationOutcome:
    intent: str | None  # the last intent the bot detected; None if it never detected one
    handoff_reason: HandoffReason | str | None  # a str: a reason outside the policy (no model)
    fallback_turns: int
    bot_turns: int
    reopened: bool = False
    closed: bool = True  # the conversation ended (one still open is not contained yet)


@dataclass(frozen=True)
class IntentMeasures:
    intent: str | None
    conversations: int
    containment: float
    handoff_rate: float
    handoff_reasons: dict[str, int]
    fallback_rate: float


def outcome_of(state: ConversationState, reopened: bool = False) -> ConversationOutcome:
    """The outcome of a finished conversation from its final policy state."""
    return ConversationOutcome(
        state.last_intent, state.handoff_reason, state.fallback_turns, state.bot_turns, reopened
    )


def measure(outcomes: Iterable[ConversationOutcome]) -> IntentMeasures:
    """Measures over all the given conversations (intent None in the result)."""
    return _measures(None, list(outcomes))


def measure_by_intent(outcomes: Iterable[ConversationOutcome]) -> list[IntentMeasures]:
    """One row per detected intent (None = never detected), busiest first."""
    groups: dict[str | None, list[ConversationOutcome]] = defaultdict(list)
    for item in outcomes:
        groups[item.intent].append(item)
    rows = [_measures(intent, items) for intent, items in groups.items()]
    return sorted(rows, key=lambda row: (-row.conversations, row.intent or ""))


def _measures(intent: str | None, outcomes: list[ConversationOutcome]) -> IntentMeasures:
    for item in outcomes:
        if item.fallback_turns < 0 or item.bot_turns < item.fallback_turns:
            raise ValueError("fallback_turns: must be between 0 and bot_turns")
    count = len(outcomes)
    handed_off = [item.handoff_reason for item in outcomes if item.handoff_reason is not None]
    contained = sum(item.handoff_reason is None and item.closed and not item.reopened for item in outcomes)
    bot_turns = sum(item.bot_turns for item in outcomes)
    return IntentMeasures(
        intent=intent,
        conversations=count,
        containment=contained / count if count else 0.0,
        handoff_rate=len(handed_off) / count if count else 0.0,
        handoff_reasons=dict(Counter(str(reason) for reason in handed_off)),
        fallback_rate=sum(item.fallback_turns for item in outcomes) / bot_turns if bot_turns else 0.0,
    )
