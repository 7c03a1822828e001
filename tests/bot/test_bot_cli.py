import csv
import json

import pytest
from typer.testing import CliRunner

from kefu.bot import embedding
from kefu.bot.cli import bot_app
from kefu.bot.embedding import EmbeddingUnavailableError
from kefu.bot.persist import ClassifierFileError, load_classifier

runner = CliRunner()

JSON_KEYS = {
    "accuracy",
    "macro_f1",
    "in_scope_accuracy",
    "oos_precision",
    "oos_recall",
    "fit_seconds",
    "p95_ms",
}


def write_csv(path, examples, intent_column="intent"):
    with path.open("w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["text", intent_column])
        writer.writerows((e.text, e.intent) for e in examples)
    return path


@pytest.fixture(scope="module")
def files(tmp_path_factory, examples):
    folder = tmp_path_factory.mktemp("intents")
    train = [e for i, e in enumerate(examples) if i % 4 and e.intent != "opening_hours"]
    test = [e for i, e in enumerate(examples) if not i % 4]
    return write_csv(folder / "train.csv", train), write_csv(folder / "test.csv", test, "category")


def test_evaluate_json_reports_the_specified_keys(files):
    train, test = files
    result = runner.invoke(
        bot_app, ["evaluate", "--train", str(train), "--test", str(test), "--json", "--model", "none"]
    )
    assert result.exit_code == 0, result.output
    report = json.loads(result.output)
    assert set(report) == JSON_KEYS
    assert report["accuracy"] >= 0.9
    assert report["oos_recall"] > 0  # opening_hours never occurs in training: flagging it is right
    assert 0 <= report["oos_precision"] <= 1
    assert report["fit_seconds"] > 0 and report["p95_ms"] > 0


def test_evaluate_readable_report(files):
    train, test = files
    result = runner.invoke(
        bot_app, ["evaluate", "--train", str(train), "--test", str(test), "--model", "none"]
    )
    assert result.exit_code == 0, result.output
    assert "macro_f1" in result.output
    assert "out of scope" in result.output
    assert "lexical only" in result.output


def test_train_saves_a_loadable_model(files, tmp_path):
    train, _ = files
    out = tmp_path / "models" / "bot.pkl"
    result = runner.invoke(bot_app, ["train", str(train), "--out", str(out), "--model", "none"])
    assert result.exit_code == 0, result.output
    classifier = load_classifier(out)
    assert classifier.predict("where is my laptop").intent == "track_delivery"


def test_bad_csv_is_rejected_with_line_and_reason(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_bytes(b"text,intent\nhi,greet\nbye\n")
    result = runner.invoke(bot_app, ["train", str(bad), "--out", str(tmp_path / "m.pkl"), "--model", "none"])
    assert result.exit_code != 0
    assert "line 3" in result.output


def test_missing_file_is_rejected(tmp_path):
    result = runner.invoke(bot_app, ["train", str(tmp_path / "nope.csv"), "--model", "none"])
    assert result.exit_code == 2 and "nope.csv" in result.output


def test_unavailable_model_is_rejected_but_auto_falls_back(files, tmp_path, monkeypatch):
    def unavailable(name):
        raise EmbeddingUnavailableError(f"model_name: {name!r} is not available offline")

    monkeypatch.setattr(embedding, "_load", unavailable)
    train, test = files
    result = runner.invoke(
        bot_app, ["train", str(train), "--out", str(tmp_path / "m.pkl"), "--model", "nosuch"]
    )
    assert result.exit_code == 2 and "nosuch" in result.output
    result = runner.invoke(bot_app, ["evaluate", "--train", str(train), "--test", str(test)])
    assert result.exit_code == 0 and "lexical only" in result.output


def test_load_rejects_foreign_files(tmp_path):
    junk = tmp_path / "junk.pkl"
    junk.write_bytes(b"not a pickle")
    with pytest.raises(ClassifierFileError, match="path"):
        load_classifier(junk)
