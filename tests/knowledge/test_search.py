import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.knowledge.search import (
    SearchConfig,
    SearchDoc,
    SearchIndex,
    SearchInputError,
    index_rows,
)

DOCS = [
    SearchDoc(
        "refund",
        "How to get a refund",
        "Refunds are paid to the original card within 5 days.",
        "en",
        "billing",
    ),
    SearchDoc(
        "card",
        "Lost card",
        "Freeze your card in the app if it is lost or stolen. A refund is not needed.",
        "en",
        "cards",
    ),
    SearchDoc(
        "tuikuan", "如何申请退款", "在订单页面点击申请退款，款项将在五个工作日内退回。", "zh", "billing"
    ),
    SearchDoc("wuliu", "物流查询", "您可以在订单详情中查看快递的物流信息。", "zh", "shipping"),
    SearchDoc(
        "receive",
        "When will I receive my parcel",
        "Parcels arrive within a week of shipping.",
        "en",
        "shipping",
    ),
]


@pytest.fixture(scope="module")
def index():
    return SearchIndex.build(DOCS)


def ids(hits):
    return [hit.doc_id for hit in hits]


def test_english_inflections_match_and_title_outranks_body(index):
    hits = index.search("refunding")
    assert ids(hits)[:2] == ["refund", "card"]
    assert hits[0].score > hits[1].score


def test_chinese_query_is_segmented(index):
    assert ids(index.search("我想退款"))[0] == "tuikuan"
    assert ids(index.search("快递物流"))[0] == "wuliu"


def test_filters_by_language_and_category(index):
    assert ids(index.search("refund", language="zh")) == []
    assert set(ids(index.search("refund card", categories=["cards"]))) == {"card"}
    assert "refund" not in ids(index.search("refund", categories=["shipping", "cards"]))


def test_typo_tolerance_for_english(index):
    assert ids(index.search("recieve"))[0] == "receive"  # transposition
    assert ids(index.search("refnd"))[0] == "refund"  # deletion
    assert ids(index.search("xyzzyq")) == []


def test_synonyms_expand_the_query_across_languages(index):
    config = SearchConfig(synonyms={"退钱": ["退款", "refund"]})
    assert ids(index.search("退钱", config=config))[0] in {"tuikuan", "refund"}
    assert "tuikuan" in ids(index.search("退钱", config=config))
    assert ids(index.search("退钱")) == []


def test_rows_and_json_round_trip_give_identical_rankings(index):
    doc_rows, posting_rows = index.to_rows()
    from_rows = SearchIndex(doc_rows, posting_rows)
    from_json = SearchIndex.from_json(json.dumps(json.loads(index.to_json())))
    for query in ["refund", "退款", "recieve parcel", "lost card"]:
        assert from_rows.search(query) == index.search(query) == from_json.search(query)


def test_corrupt_json_and_rows_rejected(index):
    blob = json.loads(index.to_json())
    term = next(iter(blob["postings"]))
    blob["postings"][term][0][0] = 999
    with pytest.raises(SearchInputError, match="postings"):
        SearchIndex.from_json(json.dumps(blob))
    doc_rows, posting_rows = index.to_rows()
    with pytest.raises(SearchInputError, match="doc_id"):
        SearchIndex(doc_rows[1:], posting_rows)
    with pytest.raises(SearchInputError, match="duplicate"):
        SearchIndex(doc_rows + doc_rows[:1], posting_rows)


def test_index_rows_count_title_and_body_terms_separately():
    row, postings = index_rows(SearchDoc("a", "Refund refund", "refund policy", "en"))
    by_term = {p.term: p for p in postings}
    assert (by_term["refund"].title_tf, by_term["refund"].body_tf) == (2, 1)
    assert (row.title_length, row.body_length) == (2, 2)


@pytest.mark.parametrize(
    ("doc", "field"),
    [(SearchDoc("", "t", "b", "en"), "doc_id"), (SearchDoc("x", "t", "b", "fr"), "language")],
)
def test_bad_documents_rejected(doc, field):
    with pytest.raises(SearchInputError, match=field):
        index_rows(doc)


def test_bad_query_options_rejected(index):
    with pytest.raises(SearchInputError, match="limit"):
        index.search("refund", limit=0)
    with pytest.raises(SearchInputError, match="language"):
        index.search("refund", language="de")
    with pytest.raises(SearchInputError, match="categories"):
        index.search("refund", categories="billing")
    with pytest.raises(SearchInputError, match="query"):
        index.search(None)


def test_empty_index_and_empty_query(index):
    assert SearchIndex.build([]).search("refund") == []
    assert index.search("") == []
    assert index.search("😀😀") == []
    assert index.search("refund " * 10_000)[0].doc_id == "refund"


class KeywordEmbedder:
    """A stand-in embedding: one axis per concept, so tests know which vectors are close."""

    AXES = ("money", "parcel", "card")
    WORDS = {"refund": 0, "paid": 0, "money": 0, "cash": 0, "parcel": 1, "deliver": 1, "card": 2}

    def encode(self, texts):
        rows = []
        for text in texts:
            v = np.zeros(len(self.AXES))
            for word, axis in self.WORDS.items():
                v[axis] += word in text.lower()
            rows.append(v / (np.linalg.norm(v) or 1.0))
        return np.array(rows)


def test_hybrid_rerank_finds_paraphrase_without_shared_words():
    embedder = KeywordEmbedder()
    index = SearchIndex.build(DOCS, embedder=embedder)
    assert ids(index.search("cash back please")) == []
    assert ids(index.search("cash back please", embedder=embedder))[0] == "refund"
    round_trip = SearchIndex.from_json(index.to_json())
    assert round_trip.search("cash", embedder=embedder) == index.search("cash", embedder=embedder)


@settings(max_examples=60, deadline=None)
@given(st.text(max_size=200))
def test_any_query_returns_sorted_hits_without_error(index, query):
    hits = index.search(query, limit=3)
    assert len(hits) <= 3
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)


_words = st.sampled_from(
    ["refund", "card", "parcel", "退款", "快递", "地址", "invoice", "lost", "发票", "delivery"]
)
_docs = st.lists(
    st.builds(
        lambda i, title, body, language: SearchDoc(f"d{i}", " ".join(title), " ".join(body), language),
        st.integers(0, 10_000),
        st.lists(_words, max_size=4),
        st.lists(_words, max_size=20),
        st.sampled_from(["zh", "en"]),
    ),
    max_size=12,
    unique_by=lambda doc: doc.doc_id,
)


@settings(max_examples=40, deadline=None)
@given(_docs, st.lists(_words, min_size=1, max_size=3))
def test_stored_forms_rank_like_the_original(docs, query_words):
    index = SearchIndex.build(docs)
    query = " ".join(query_words)
    expected = index.search(query)
    assert SearchIndex(*index.to_rows()).search(query) == expected
    assert SearchIndex.from_json(index.to_json()).search(query) == expected
    assert all(hit.score > 0 for hit in expected)
