"""`kefu bot …` commands: train the deployed intent classifier, evaluate a fresh one on labelled data."""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import typer

from kefu.bot.classifier import IntentClassifier
from kefu.bot.embedding import DEFAULT_MODEL, EmbeddingUnavailableError, SentenceEmbedder
from kefu.bot.evaluation import EvaluationScores, percentile, score_predictions
from kefu.bot.intents_csv import IntentCsvError, IntentExample, parse_intent_csv
from kefu.bot.persist import save_classifier

bot_app = typer.Typer(help="Bot intent classifier: train the deployed model, evaluate on labelled data.")

LATENCY_SAMPLE = 500  # single-message timings taken for p95_ms; enough for a stable tail, quick to run
MODEL_HELP = (
    f"Embedding model by name; 'auto' uses {DEFAULT_MODEL} when the semantic extra is installed "
    "and falls back to lexical features, 'none' always uses lexical features only."
)


def _fail(message: str) -> typer.Exit:
    """Print a one-line error (never wrapped, so line numbers stay readable) and give the exit to raise."""
    typer.echo(f"error: {message}", err=True)
    return typer.Exit(code=2)


def _read(path: Path) -> list[IntentExample]:
    try:
        return parse_intent_csv(path.read_bytes())
    except OSError as error:
        raise _fail(f"{path}: {error.strerror}") from error
    except IntentCsvError as error:
        raise _fail(f"{path}: {error}") from error


def _embedder(model: str) -> SentenceEmbedder | None:
    if model == "none":
        return None
    try:
        return SentenceEmbedder(DEFAULT_MODEL if model == "auto" else model)
    except EmbeddingUnavailableError as error:
        if model == "auto":
            return None
        raise _fail(f"--model {error}") from error


@bot_app.command()
def train(
    file: Path = typer.Argument(..., help="Intent CSV with 'text' and 'intent' (or 'category') columns."),
    out: Path | None = typer.Option(None, "--out", help="Also save the trained model to this file."),
    model: str = typer.Option("auto", "--model", help=MODEL_HELP),
    deploy: bool | None = typer.Option(
        None,
        "--deploy/--no-deploy",
        help="Store the examples and the model in kefu's database as the deployed bot "
        "(default: yes, unless --out is given).",
    ),
    data_dir: Path | None = typer.Option(
        None, "--data-dir", help="data folder (default $KEFU_DATA_DIR or .kefu)"
    ),
) -> None:
    """Train the deployed bot's intent classifier on FILE: the examples and the model are stored in the
    database, and every server process answers with the new model from its next turn."""
    examples = _read(file)
    started = time.perf_counter()
    classifier = IntentClassifier(embedder=_embedder(model)).fit(examples)
    fit_seconds = time.perf_counter() - started
    where = []
    if out is not None:
        save_classifier(classifier, out)
        where.append(str(out))
    if deploy or (deploy is None and out is None):
        where.append(f"deployed as model {_deploy(examples, classifier, fit_seconds, data_dir)}")
    typer.echo(
        f"trained on {len(examples)} examples of {len(classifier.intents)} intents "
        f"(out-of-scope threshold {classifier.threshold:.3f}); {'; '.join(where)}"
    )


def _deploy(
    examples: list[IntentExample], classifier: IntentClassifier, fit_seconds: float, data_dir: Path | None
) -> int:
    """Import the examples (intents without an answer yet are created) and activate the model."""
    if data_dir is not None:
        os.environ["KEFU_DATA_DIR"] = str(data_dir)
    from kefu.bot.actions import do_deploy_classifier, do_import_examples
    from kefu.core.config import Settings
    from kefu.core.runtime import open_runtime

    settings = Settings()
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    runtime = open_runtime(settings, run_migrations=True)
    try:
        with runtime.write_sessions() as session, session.begin():
            do_import_examples(session, examples)
            return do_deploy_classifier(
                session, classifier, examples=len(examples), fit_seconds=fit_seconds
            ).id
    finally:
        runtime.close()


@bot_app.command()
def evaluate(
    train_file: Path = typer.Option(..., "--train", help="Intent CSV to train a fresh classifier on."),
    test_file: Path = typer.Option(..., "--test", help="Intent CSV to score it on."),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON object instead of a report."),
    model: str = typer.Option("auto", "--model", help=MODEL_HELP),
) -> None:
    """Train on --train, report accuracy, macro-F1, confusions and out-of-scope handling on --test."""
    training, test = _read(train_file), _read(test_file)
    classifier = IntentClassifier(embedder=_embedder(model))
    started = time.perf_counter()
    classifier.fit(training)
    fit_seconds = time.perf_counter() - started
    predictions = classifier.predict_many([row.text for row in test])
    scores = score_predictions([row.intent for row in test], predictions, classifier.intents)
    p95_ms = _p95_ms(classifier, [row.text for row in test])
    if as_json:
        typer.echo(json.dumps(_summary(scores, fit_seconds, p95_ms)))
    else:
        typer.echo(_report(scores, fit_seconds, p95_ms, classifier))


def _p95_ms(classifier: IntentClassifier, texts: list[str]) -> float:
    """95th percentile of one-message classification time, over an even sample of the test rows."""
    sample = texts[:: max(1, len(texts) // LATENCY_SAMPLE)]
    timings = []
    for text in sample:
        started = time.perf_counter()
        classifier.predict(text)
        timings.append((time.perf_counter() - started) * 1000)
    return percentile(timings, 0.95)


def _summary(scores: EvaluationScores, fit_seconds: float, p95_ms: float) -> dict[str, float | None]:
    return {
        "accuracy": scores.accuracy,
        "macro_f1": scores.macro_f1,
        "in_scope_accuracy": scores.in_scope_accuracy,
        "oos_precision": scores.oos_precision,
        "oos_recall": scores.oos_recall,
        "fit_seconds": round(fit_seconds, 3),
        "p95_ms": round(p95_ms, 3),
    }


def _report(scores: EvaluationScores, fit_seconds: float, p95_ms: float, classifier: IntentClassifier) -> str:
    lines = [
        f"test rows: {scores.in_scope_rows} in scope, {scores.out_of_scope_rows} out of scope "
        f"(intent absent from training)",
        f"features: {'lexical + embeddings' if classifier.embedder else 'lexical only'}; "
        f"out-of-scope threshold {classifier.threshold:.3f}",
    ]
    for key, value in _summary(scores, fit_seconds, p95_ms).items():
        lines.append(f"{key:>18}: {'n/a' if value is None else f'{value:.4f}'}")
    if scores.confused_pairs:
        lines.append("most confused (true → predicted: count):")
        lines.extend(f"  {true} → {predicted}: {count}" for true, predicted, count in scores.confused_pairs)
    return "\n".join(lines)
