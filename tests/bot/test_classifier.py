import pickle

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.bot.classifier import (
    TOP_K,
    ClassifierConfig,
    ClassifierInputError,
    IntentClassifier,
    choose_threshold,
    fit_temperature,
    softmax,
)
from kefu.bot.intents_csv import IntentExample


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        ("I would like a refund for my watch", "refund"),
        ("where is my parcel, when will it arrive", "track_delivery"),
        ("我想给手表退款", "refund"),
        ("帮我取消订单", "cancel_order"),
        ("请问周末营业吗", "opening_hours"),
        ("REFUND THE PHONE PLEASE", "refund"),
    ],
)
def test_known_intents_in_both_languages(trained, text, intent):
    prediction = trained.predict(text)
    assert prediction.intent == intent
    assert prediction.ranking[0] == (prediction.intent, prediction.confidence)


def test_ranking_is_top_three_and_sorted(trained):
    prediction = trained.predict("cancel the refund of my order")
    assert len(prediction.ranking) == TOP_K
    confidences = [c for _, c in prediction.ranking]
    assert confidences == sorted(confidences, reverse=True)
    assert 0.0 < sum(confidences) <= 1.0 + 1e-9


def test_calibration_sets_temperature_and_threshold_inside_bounds(trained):
    assert 0.1 <= trained.temperature <= 20
    assert 0.0 < trained.threshold < 1.0


def test_unrelated_message_is_less_confident_than_a_known_one(trained):
    known = trained.predict("please refund the shoes")
    unrelated = trained.predict("the weather on mars is cold")
    assert unrelated.confidence < known.confidence
    assert not known.out_of_scope


def test_fixed_threshold_flags_out_of_scope(examples):
    classifier = IntentClassifier(ClassifierConfig(oos_threshold=0.999)).fit(examples)
    assert classifier.threshold == 0.999
    assert classifier.predict("zebra quantum banana").out_of_scope


def test_pickles_and_predicts_the_same(trained):
    restored = pickle.loads(pickle.dumps(trained))
    assert restored.predict("where is my book") == trained.predict("where is my book")


def test_tiny_training_set_uses_defaults():
    examples = [IntentExample("hello there", "greet"), IntentExample("goodbye now", "bye")]
    classifier = IntentClassifier().fit(examples)
    assert classifier.predict("hello").intent == "greet"  # two classes: binary SVM margins
    assert len(classifier.predict("hello").ranking) == 2


def test_predict_many_matches_predict_and_handles_empty(trained):
    texts = ["where is my phone", "退款", ""]
    assert trained.predict_many(texts) == [trained.predict(t) for t in texts]
    assert trained.predict_many([]) == []


@pytest.mark.parametrize(
    ("examples", "field"),
    [
        ([IntentExample("a b", "x"), IntentExample("c d", "x")], "at least two intents"),
        ([IntentExample("hi", "x"), IntentExample("😀", "y")], "no words"),
        ([IntentExample("hi", "x"), IntentExample("yo", " ")], "intent"),
    ],
)
def test_bad_training_data_rejected(examples, field):
    with pytest.raises(ClassifierInputError, match=field):
        IntentClassifier().fit(examples)


def test_untrained_and_non_text_rejected(trained):
    with pytest.raises(ClassifierInputError, match="not trained"):
        IntentClassifier().predict("hi")
    with pytest.raises(ClassifierInputError, match="text"):
        trained.predict(b"bytes")


def test_softmax_temperature_sharpens():
    scores = np.array([[1.0, 0.0]])
    assert softmax(scores, 10)[0, 0] > softmax(scores, 1)[0, 0] > 0.5


def test_fit_temperature_is_higher_for_reliable_margins():
    scores = np.array([[1.0, -1.0]] * 20 + [[-1.0, 1.0]] * 20)
    always_right = fit_temperature(scores, np.array([0] * 20 + [1] * 20))
    mostly_right = fit_temperature(scores, np.array([0] * 15 + [1] * 5 + [1] * 15 + [0] * 5))
    assert always_right > mostly_right


def test_choose_threshold_separates_clean_populations():
    in_scope = np.array([0.9, 0.95, 0.8, 0.85])
    out_of_scope = np.array([0.3, 0.2, 0.4])
    threshold = choose_threshold(in_scope, np.ones(4, dtype=bool), out_of_scope)
    assert 0.4 < threshold <= 0.8


class FakeEmbedder:
    """Dense features without torch: a hashed bag of characters."""

    def __init__(self):
        self.calls = 0

    def features(self, texts):
        self.calls += 1
        rows = np.zeros((len(texts), 16))
        for i, text in enumerate(texts):
            for ch in text:
                rows[i, ord(ch) % 16] += 1.0
        return rows


def test_embedding_features_are_used_when_given(examples):
    embedder = FakeEmbedder()
    classifier = IntentClassifier(embedder=embedder).fit(examples)
    assert embedder.calls >= 1
    calls = embedder.calls
    assert classifier.predict("where is my shoes").intent == "track_delivery"
    assert embedder.calls == calls + 1


@settings(max_examples=40, deadline=None)
@given(st.text(max_size=300))
def test_any_text_gets_a_bounded_prediction(trained, text):
    prediction = trained.predict(text)
    assert 0.0 <= prediction.confidence <= 1.0
    assert prediction.out_of_scope == (prediction.confidence < trained.threshold)
    assert prediction.intent in trained.intents
