import pytest

from kefu.bot.classifier import IntentPrediction
from kefu.bot.evaluation import percentile, score_predictions


def p(intent, flagged=False):
    return IntentPrediction(intent, 0.2 if flagged else 0.9, flagged, ((intent, 0.9),))


def test_scores_in_scope_and_out_of_scope_rows():
    truth = ["a", "a", "b", "b", "zzz", "zzz"]
    predictions = [p("a"), p("b"), p("b", flagged=True), p("b"), p("a", flagged=True), p("a")]
    scores = score_predictions(truth, predictions, known_intents={"a", "b"})
    assert scores.in_scope_rows == 4 and scores.out_of_scope_rows == 2
    assert scores.accuracy == 0.75  # top intent right on 3 of 4, flagged or not
    assert scores.in_scope_accuracy == 0.5  # the flagged right answer was not given
    assert scores.oos_recall == 0.5
    assert scores.oos_precision == 0.5  # one of two flagged rows was truly out of scope
    assert scores.confused_pairs == (("a", "b", 1),)
    assert 0 < scores.macro_f1 < 1


def test_empty_denominators_are_none():
    scores = score_predictions(["a"], [p("a")], known_intents={"a"})
    assert scores.oos_recall is None and scores.oos_precision is None
    assert scores.accuracy == 1.0 and scores.macro_f1 == 1.0
    only_oos = score_predictions(["x"], [p("a", flagged=True)], known_intents={"a"})
    assert only_oos.accuracy is None and only_oos.macro_f1 is None and only_oos.oos_recall == 1.0


def test_mismatched_lengths_rejected():
    with pytest.raises(ValueError, match="predictions"):
        score_predictions(["a", "b"], [p("a")], known_intents={"a"})


def test_percentile_nearest_rank():
    values = list(range(1, 101))
    assert percentile(values, 0.95) == 95
    assert percentile(values, 0.5) == 50
    assert percentile([7.0], 0.95) == 7.0
    with pytest.raises(ValueError, match="values"):
        percentile([], 0.5)
