"""The live bot's pure helpers: stored state, reply language, answer text."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.bot.classifier import IntentPrediction
from kefu.bot.dialogue import article_answer, literal_answer, reply_language, state_from_json, state_to_json
from kefu.bot.policy import ConversationState, decide


def _classify(text: str) -> IntentPrediction:
    confident = "refund" in text
    return IntentPrediction(
        "refund",
        0.9 if confident else 0.2,
        not confident,
        (("refund", 0.2), ("invoice", 0.1), ("track", 0.1)),
    )


@settings(deadline=None, max_examples=100)  # the first call loads jieba's dictionary
@given(st.lists(st.text(max_size=40), max_size=6))
def test_state_survives_json_between_turns(messages: list[str]) -> None:
    state = ConversationState()
    for message in messages:
        if state.handed_off:
            break
        decision = decide(state, message, _classify)
        stored = json.loads(json.dumps(state_to_json(decision.state)))
        assert state_from_json(stored) == decision.state
        state = state_from_json(stored)


def test_unreadable_or_missing_state_starts_fresh() -> None:
    assert state_from_json(None) == ConversationState()
    assert state_from_json({}) == ConversationState()


def test_reply_language_follows_the_message_then_the_profile() -> None:
    assert reply_language("我想退款", "en") == "zh_CN"
    assert reply_language("refund please", "zh_CN") == "en"
    assert reply_language("refund 退款 please", "en") == "zh_CN"  # as many Chinese characters as words
    assert reply_language("😀😀", "en") == "en"
    assert reply_language("123", None) == "zh_CN"


def test_literal_answer_falls_back_to_the_other_language() -> None:
    assert literal_answer("你好", "hello", "en") == "hello"
    assert literal_answer("你好", None, "en") == "你好"
    assert literal_answer("  ", "", "zh_CN") is None


def test_article_answer_is_plain_text_cut_at_a_sentence() -> None:
    body = "# 标题\n\n**加粗**和[链接](https://x.y)<script>x</script>。" + "很长的句子。" * 400
    text = article_answer("退款说明", body, limit=200)
    assert text.startswith("退款说明\n标题\n\n加粗和链接x。")
    assert "<" not in text and "*" not in text and "](" not in text
    assert text.endswith("。 …") and len(text) < 220
