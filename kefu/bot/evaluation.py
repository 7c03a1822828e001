"""Scores of an intent classifier on labelled test rows (pure; timings are measured by the caller).

Test rows whose intent never occurs in training are out of scope: flagging them (the bot says "not
sure" or hands off) is the right outcome, answering them is wrong whatever the answer.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from sklearn.metrics import f1_score

from kefu.bot.classifier import IntentPrediction


@dataclass(frozen=True)
class EvaluationScores:
    accuracy: float | None  # in-scope rows whose top intent is right, flagged or not (the usual accuracy)
    macro_f1: float | None  # over the in-scope rows, averaged over their intents
    in_scope_accuracy: float | None  # in-scope rows answered (not flagged) with the right intent
    oos_precision: float | None  # flagged rows that are truly out of scope
    oos_recall: float | None  # out-of-scope rows that were flagged
    confused_pairs: tuple[tuple[str, str, int], ...]  # (true intent, predicted intent, count), worst first
    in_scope_rows: int
    out_of_scope_rows: int


def score_predictions(
    truth: Sequence[str],
    predictions: Sequence[IntentPrediction],
    known_intents: Collection[str],
    top_pairs: int = 10,
) -> EvaluationScores:
    """Compare predictions with the true intents; None marks a rate whose denominator is empty."""
    if len(truth) != len(predictions):
        raise ValueError(f"predictions: {len(predictions)} predictions for {len(truth)} rows")
    known = set(known_intents)
    pairs = list(zip(truth, predictions, strict=True))
    in_scope = [(t, p) for t, p in pairs if t in known]
    flagged = [t for t, p in pairs if p.out_of_scope]
    out_of_scope = [p for t, p in pairs if t not in known]
    confused = Counter((t, p.intent) for t, p in in_scope if p.intent != t)
    return EvaluationScores(
        accuracy=_rate([p.intent == t for t, p in in_scope]),
        macro_f1=_macro_f1(in_scope),
        in_scope_accuracy=_rate([p.intent == t and not p.out_of_scope for t, p in in_scope]),
        oos_precision=_rate([t not in known for t in flagged]),
        oos_recall=_rate([p.out_of_scope for p in out_of_scope]),
        confused_pairs=tuple((t, p, n) for (t, p), n in confused.most_common(top_pairs)),
        in_scope_rows=len(in_scope),
        out_of_scope_rows=len(out_of_scope),
    )


def percentile(values: Sequence[float], share: float) -> float:
    """Nearest-rank percentile (share in 0..1) of a non-empty sequence."""
    if not values:
        raise ValueError("values: percentile of an empty sequence")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(share * len(ordered)) - 1))]


def _rate(outcomes: list[bool]) -> float | None:
    return sum(outcomes) / len(outcomes) if outcomes else None


def _macro_f1(in_scope: list[tuple[str, IntentPrediction]]) -> float | None:
    if not in_scope:
        return None
    truth = [t for t, _ in in_scope]
    predicted = [p.intent for _, p in in_scope]
    return float(f1_score(truth, predicted, labels=sorted(set(truth)), average="macro", zero_division=0))
