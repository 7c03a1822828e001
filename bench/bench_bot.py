"""Banking77 intent classification: kefu's classifier against a plain TF-IDF + linear SVM baseline,
measured side by side, plus the out-of-scope experiment (10 intents held out of training).

Reads ../shared/data/banking77/{train,test}.csv (never copied into the repository).
"""

from __future__ import annotations

import os
import random
import time
from pathlib import Path

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.metrics import f1_score
from sklearn.svm import LinearSVC

from bench.report import Row
from kefu.bot.classifier import IntentClassifier
from kefu.bot.embedding import DEFAULT_MODEL, EmbeddingUnavailableError, SentenceEmbedder
from kefu.bot.evaluation import percentile, score_predictions
from kefu.bot.intents_csv import IntentExample, parse_intent_csv

DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data" / "banking77"
HELD_OUT_INTENTS = 10
LATENCY_SAMPLE = 500


class RecordingEmbedder:
    """Wraps the real embedder; after `replay()`, features of texts already seen come from memory,
    so the out-of-scope experiment does not embed the same 13,000 sentences twice."""

    def __init__(self, inner: SentenceEmbedder) -> None:
        self.inner, self.memory, self.replaying = inner, {}, False

    def features(self, texts: list[str]) -> np.ndarray:
        if self.replaying and all(t in self.memory for t in texts):
            return np.vstack([self.memory[t] for t in texts])
        rows = self.inner.features(texts)
        self.memory.update(zip(texts, rows, strict=True))
        return rows

    def replay(self) -> None:
        self.replaying = True


def _load(quick: bool) -> tuple[list[IntentExample], list[IntentExample]]:
    train = parse_intent_csv((DATA / "train.csv").read_bytes())
    test = parse_intent_csv((DATA / "test.csv").read_bytes())
    if quick:
        keep = sorted({e.intent for e in train})[:15]
        train = [e for e in train if e.intent in keep][::4]
        test = [e for e in test if e.intent in keep][::4]
    return train, test


def _latencies_ms(predict, texts: list[str]) -> list[float]:
    timings = []
    for text in texts[:: max(1, len(texts) // LATENCY_SAMPLE)]:
        started = time.perf_counter()
        predict(text)
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def _baseline(train: list[IntentExample], test: list[IntentExample]) -> dict:
    """TF-IDF (word 1–2 grams) + linear SVM, the usual lexical baseline."""
    started = time.perf_counter()
    vectorizer = TfidfVectorizer(ngram_range=(1, 2), sublinear_tf=True)
    model = LinearSVC().fit(vectorizer.fit_transform([e.text for e in train]), [e.intent for e in train])
    fit_seconds = time.perf_counter() - started
    predicted = model.predict(vectorizer.transform([e.text for e in test]))
    truth = [e.intent for e in test]
    timings = _latencies_ms(lambda t: model.predict(vectorizer.transform([t])), [e.text for e in test])
    return {
        "accuracy": float(np.mean(predicted == np.array(truth))),
        "macro_f1": float(f1_score(truth, predicted, average="macro")),
        "fit_seconds": fit_seconds,
        "p50": percentile(timings, 0.5),
        "p95": percentile(timings, 0.95),
    }


def _ours(
    train: list[IntentExample], test: list[IntentExample], embedder: object
) -> tuple[dict, IntentClassifier]:
    classifier = IntentClassifier(embedder=embedder)
    started, cpu_started = time.perf_counter(), time.process_time()
    classifier.fit(train)
    fit_seconds = time.perf_counter() - started
    fit_cpu_seconds = time.process_time() - cpu_started
    timings = _latencies_ms(classifier.predict, [e.text for e in test])
    predictions = classifier.predict_many([e.text for e in test])
    scores = score_predictions([e.intent for e in test], predictions, classifier.intents)
    result = {
        "accuracy": scores.accuracy,
        "macro_f1": scores.macro_f1,
        "in_scope_accuracy": scores.in_scope_accuracy,
        "flagged": float(np.mean([p.out_of_scope for p in predictions])),
        "fit_seconds": fit_seconds,
        "fit_cpu_seconds": fit_cpu_seconds,
        "p50": percentile(timings, 0.5),
        "p95": percentile(timings, 0.95),
    }
    return result, classifier


def _out_of_scope(train: list[IntentExample], test: list[IntentExample], embedder: object) -> dict:
    intents = sorted({e.intent for e in train})
    held_out = set(random.Random(0).sample(intents, min(HELD_OUT_INTENTS, len(intents) // 3)))
    classifier = IntentClassifier(embedder=embedder).fit([e for e in train if e.intent not in held_out])
    predictions = classifier.predict_many([e.text for e in test])
    scores = score_predictions([e.intent for e in test], predictions, classifier.intents)
    return {
        "not_answered": scores.oos_recall,
        "oos_precision": scores.oos_precision,
        "in_scope_answered_right": scores.in_scope_accuracy,
        "in_scope_flagged": float(
            np.mean(
                [p.out_of_scope for e, p in zip(test, predictions, strict=True) if e.intent not in held_out]
            )
        ),
    }


def _embedder(quick: bool) -> RecordingEmbedder | None:
    if quick:
        return None
    try:
        return RecordingEmbedder(SentenceEmbedder(DEFAULT_MODEL))
    except EmbeddingUnavailableError:
        return None


def run(quick: bool) -> list[Row]:
    train, test = _load(quick)
    embedder = _embedder(quick)
    features = f"word+char TF-IDF + {DEFAULT_MODEL} features" if embedder else "word+char TF-IDF only"
    base = _baseline(train, test)
    ours, _ = _ours(train, test, embedder)
    if embedder:
        embedder.replay()
    oos = _out_of_scope(train, test, embedder)
    ref = "TF-IDF + LinearSVC"
    size = f"{len(train)} train / {len(test)} test utterances"
    return [
        Row(
            "Banking77 accuracy",
            100 * ours["accuracy"],
            "%",
            f"{ref}: {100 * base['accuracy']:.2f}%",
            ours["accuracy"] / base["accuracy"],
            "≥ 94.0%",
            f"{features}; {size}",
        ),
        Row(
            "Banking77 error rate",
            100 * (1 - ours["accuracy"]),
            "%",
            f"{ref}: {100 * (1 - base['accuracy']):.2f}%",
            (1 - ours["accuracy"]) / (1 - base["accuracy"]),
            "",
            "ratio < 1: fewer errors than the baseline",
        ),
        Row(
            "Banking77 macro-F1",
            100 * ours["macro_f1"],
            "%",
            f"{ref}: {100 * base['macro_f1']:.2f}%",
            ours["macro_f1"] / base["macro_f1"],
        ),
        Row(
            "training time",
            ours["fit_seconds"],
            "s",
            f"{ref}: {base['fit_seconds']:.1f} s",
            ours["fit_seconds"] / base["fit_seconds"],
            "< 600 s",
            f"wall clock; {ours['fit_cpu_seconds']:.0f} s CPU; includes embedding the examples and the "
            f"held-out calibration fit; load average {os.getloadavg()[0]:.1f} on 2 cores",
        ),
        Row(
            "one classification p50",
            ours["p50"],
            "ms",
            f"{ref}: {base['p50']:.2f} ms",
            ours["p50"] / base["p50"],
        ),
        Row(
            "one classification p95",
            ours["p95"],
            "ms",
            f"{ref}: {base['p95']:.2f} ms",
            ours["p95"] / base["p95"],
            "< 20 ms",
            f"{LATENCY_SAMPLE} single-message calls",
        ),
        Row(
            "in-scope answered right (threshold applied)",
            100 * ours["in_scope_accuracy"],
            "%",
            notes=f"{100 * ours['flagged']:.1f}% of test messages get 'not sure' (top-3 choices) instead",
        ),
        Row(
            "OOS: held-out intents not answered",
            100 * (oos["not_answered"] or 0),
            "%",
            notes=f"{HELD_OUT_INTENTS} intents held out of training; their test messages get choices/handoff "
            f"instead of a wrong answer; OOS precision {100 * (oos['oos_precision'] or 0):.1f}%",
        ),
        Row(
            "OOS: known intents answered right",
            100 * (oos["in_scope_answered_right"] or 0),
            "%",
            notes=f"same run; {100 * oos['in_scope_flagged']:.1f}% of known-intent messages flagged",
        ),
    ]
