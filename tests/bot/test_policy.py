import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.bot.classifier import IntentPrediction
from kefu.bot.measures import ConversationOutcome, measure, measure_by_intent, outcome_of
from kefu.bot.policy import (
    Action,
    ConversationState,
    HandoffReason,
    PolicyConfig,
    PolicyError,
    Prompt,
    decide,
    feedback,
)

CONFIDENT = {"where is my parcel": "track_delivery", "refund please": "refund", "我要退款": "refund"}


def fake_classify(text):
    """Confident on known phrases, unsure (with three choices) on anything else."""
    intent = CONFIDENT.get(text)
    if intent:
        return IntentPrediction(intent, 0.95, False, ((intent, 0.95), ("invoice", 0.02), ("refund", 0.01)))
    ranking = (("invoice", 0.3), ("refund", 0.25), ("track_delivery", 0.2))
    return IntentPrediction("invoice", 0.3, True, ranking)


def run(*messages, config=None):
    state, decisions = ConversationState(), []
    for message in messages:
        decision = decide(state, message, fake_classify, config)
        decisions.append(decision)
        state = decision.state
    return decisions


def test_confident_message_is_answered():
    [decision] = run("where is my parcel")
    assert decision.action is Action.ANSWER
    assert decision.intent == "track_delivery"
    assert decision.confidence == 0.95


def test_unsure_offers_three_choices_then_a_number_picks_one():
    first, second = run("hmm something odd with my thing", "2")
    assert first.action is Action.CLARIFY
    assert first.choices == ("invoice", "refund", "track_delivery")
    assert first.prompt is Prompt.CHOOSE
    assert second.action is Action.ANSWER and second.intent == "refund"


def test_low_confidence_after_a_clarification_hands_off_with_transcript():
    first, second = run("hmm something odd", "still odd")
    assert first.action is Action.CLARIFY
    assert second.action is Action.HANDOFF
    handoff = second.handoff
    assert handoff.reason is HandoffReason.LOW_CONFIDENCE
    assert handoff.intent == "invoice"
    assert [t.text for t in handoff.transcript if t.role == "customer"] == ["hmm something odd", "still odd"]
    assert second.state.handed_off


def test_confident_answer_resets_the_clarification_count():
    decisions = run("hmm odd", "where is my parcel", "hmm odd again")
    assert [d.action for d in decisions] == [Action.CLARIFY, Action.ANSWER, Action.CLARIFY]


@pytest.mark.parametrize(
    "message", ["转人工", "我要人工客服", "I want to talk to a human", "AGENT please", "agents?"]
)
def test_explicit_request_hands_off(message):
    [decision] = run(message)
    assert decision.action is Action.HANDOFF
    assert decision.handoff.reason is HandoffReason.REQUESTED


@pytest.mark.parametrize(
    "message", ["what does an insurance agency do", "humane treatment of pets", "你们用人工智能吗"]
)
def test_words_merely_containing_handoff_terms_do_not_hand_off(message):
    [decision] = run(message)
    assert decision.action is not Action.HANDOFF


@pytest.mark.parametrize(
    "message", ["This is the worst service, a total scam!!!", "你们太差劲了，我要投诉！", "😡😡😡"]
)
def test_strongly_negative_sentiment_hands_off(message):
    [decision] = run(message)
    assert decision.handoff.reason is HandoffReason.NEGATIVE_SENTIMENT
    assert decision.handoff.sentiment.label == "negative"


def test_same_intent_twice_after_answers_counts_failed_answers():
    decisions = run("refund please", "refund please", "refund please")
    assert [d.action for d in decisions] == [Action.ANSWER, Action.ANSWER, Action.HANDOFF]
    assert decisions[-1].handoff.reason is HandoffReason.FAILED_ANSWERS
    assert decisions[-1].handoff.intent == "refund"


def test_intent_mapped_to_a_queue_hands_off_when_confident():
    config = PolicyConfig(handoff_intents=frozenset({"refund"}))
    [decision] = run("refund please", config=config)
    assert decision.handoff.reason is HandoffReason.INTENT_ROUTES_TO_QUEUE
    assert decision.handoff.intent == "refund"
    [unsure] = run("hmm odd", config=config)
    assert unsure.action is Action.CLARIFY


def test_thumbs_down_twice_hands_off():
    [answer] = run("where is my parcel")
    assert feedback(answer.state, helpful=True) is None
    state = answer.state
    assert feedback(state, helpful=False) is None
    state = decide(state, "refund please", fake_classify).state
    once = feedback(state, helpful=False, config=PolicyConfig(max_failed_answers=1))
    assert once.handoff.reason is HandoffReason.FAILED_ANSWERS


def test_empty_message_asks_again_without_counting():
    decisions = run("", "   ", "where is my parcel")
    assert [d.action for d in decisions] == [Action.ASK_AGAIN, Action.ASK_AGAIN, Action.ANSWER]
    assert decisions[0].prompt is Prompt.EMPTY
    assert decisions[-1].state.fallback_turns == 0


def test_binary_message_is_unreadable_then_handed_off():
    first, second = run(b"\xff\xfe\x00\x01binary", "\x00\x01\x02\x03\x04\x05")
    assert first.action is Action.ASK_AGAIN and first.prompt is Prompt.UNREADABLE
    assert second.handoff.reason is HandoffReason.LOW_CONFIDENCE


def test_emoji_only_asks_for_words():
    [decision] = run("🤔🤔")
    assert decision.action is Action.ASK_AGAIN and decision.prompt is Prompt.NO_WORDS


def test_huge_message_is_handed_off_with_truncated_transcript():
    [decision] = run("my order " * 1000, config=PolicyConfig(max_chars=100))
    assert decision.handoff.reason is HandoffReason.MESSAGE_TOO_LONG
    assert len(decision.handoff.transcript[0].text) == 100


def test_mixed_language_is_classified():
    [decision] = run("我要退款")
    assert decision.intent == "refund"


def test_no_turns_after_a_handoff():
    [decision] = run("转人工")
    with pytest.raises(PolicyError, match="handed off"):
        decide(decision.state, "hello", fake_classify)


@settings(max_examples=80, deadline=None)
@given(st.one_of(st.text(max_size=300), st.binary(max_size=300)))
def test_any_message_gets_a_decision_never_an_exception(message):
    decision = decide(ConversationState(), message, fake_classify)
    assert decision.action in set(Action)
    assert (decision.action is Action.HANDOFF) == (decision.handoff is not None)


def test_measures_per_intent():
    contained = run("where is my parcel")[-1].state
    handed = run("refund please", "转人工")[-1].state
    unsure = run("hmm odd", "still odd")[-1].state
    outcomes = [
        outcome_of(contained),
        outcome_of(contained, reopened=True),
        outcome_of(handed),
        outcome_of(unsure),
    ]
    rows = {row.intent: row for row in measure_by_intent(outcomes)}
    assert rows["track_delivery"].conversations == 2
    assert rows["track_delivery"].containment == 0.5  # the reopened one is not contained
    assert rows["refund"].handoff_rate == 1.0
    assert rows["refund"].handoff_reasons == {"requested": 1}
    assert rows["invoice"].fallback_rate == 0.5  # one clarification out of two bot turns
    overall = measure(outcomes)
    assert overall.conversations == 4 and overall.containment == 0.25 and overall.handoff_rate == 0.5


def test_measures_reject_inconsistent_counts_and_handle_nothing():
    with pytest.raises(ValueError, match="fallback_turns"):
        measure([ConversationOutcome("x", None, fallback_turns=3, bot_turns=1)])
    assert measure([]).conversations == 0


def test_choosing_an_intent_that_routes_to_a_queue_hands_off():
    from kefu.bot.classifier import IntentPrediction as Prediction
    from kefu.bot.policy import Action, ConversationState, HandoffReason, PolicyConfig, decide

    def unsure(_text):
        return Prediction("refund", 0.1, True, (("cancel_order", 0.1), ("refund", 0.05)))

    config = PolicyConfig(handoff_intents=frozenset({"cancel_order"}))
    offered = decide(ConversationState(), "hmm something", unsure, config)
    assert offered.action is Action.CLARIFY and offered.choices[0] == "cancel_order"
    picked = decide(offered.state, "1", unsure, config)
    assert picked.action is Action.HANDOFF and picked.handoff.reason is HandoffReason.INTENT_ROUTES_TO_QUEUE
    assert picked.handoff.intent == "cancel_order"
