"""Saving and loading a trained intent classifier (one pickle file; the embedder is stored by name)."""

from __future__ import annotations

import pickle
from pathlib import Path

from kefu.bot.classifier import IntentClassifier

FORMAT_VERSION = 1


class ClassifierFileError(ValueError):
    """A file that does not hold a classifier this version of kefu can use."""


def save_classifier(classifier: IntentClassifier, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("wb") as file:
        pickle.dump({"format_version": FORMAT_VERSION, "classifier": classifier}, file)


def load_classifier(path: Path) -> IntentClassifier:
    """Load a classifier saved by `save_classifier`. Only load files kefu wrote: pickle runs code."""
    try:
        with path.open("rb") as file:
            data = pickle.load(file)
    except (OSError, pickle.UnpicklingError, EOFError) as error:
        raise ClassifierFileError(f"path: cannot read a classifier from {path}: {error}") from error
    if not isinstance(data, dict) or data.get("format_version") != FORMAT_VERSION:
        raise ClassifierFileError(f"path: {path} is not a kefu classifier file of format {FORMAT_VERSION}")
    return data["classifier"]
