"""Incremental updates of the in-memory search index rank exactly like a full build of the final set."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from kefu.knowledge.search import (
    SearchConfig,
    SearchDoc,
    SearchIndex,
    SearchInputError,
    decode_postings,
    index_rows,
    stored_doc,
)

WORDS = [
    "refund", "refunds", "card", "parcel", "delivery", "invoice", "lost", "address", "password",
    "退款", "快递", "地址", "发票", "物流", "密码",
]  # fmt: skip
QUERIES = [
    "refund", "refnud card", "parcel delivery", "invoice address lost", "退款", "快递 地址", "发票",
    "pasword", "delivry", "money back", "退钱",
]  # fmt: skip
CONFIG = SearchConfig(synonyms={"money back": ["refund"], "退钱": ["退款"]})

_doc = st.builds(
    lambda i, title, body, language, category: SearchDoc(
        f"d{i}", " ".join(title), " ".join(body), language, category
    ),
    st.integers(0, 15),
    st.lists(st.sampled_from(WORDS), max_size=4),
    st.lists(st.sampled_from(WORDS), max_size=12),
    st.sampled_from(["zh", "en"]),
    st.sampled_from([None, "a", "b"]),
)
# A step is one update: documents to add or replace, and ids to remove.
_step = st.tuples(st.lists(_doc, max_size=4), st.lists(st.integers(0, 15).map(lambda i: f"d{i}"), max_size=3))


def _searches(index):
    results = []
    for query in QUERIES:
        for options in ({}, {"language": "en"}, {"categories": ["a"]}, {"limit": 2}):
            results.append(index.search(query, config=CONFIG, **options))
    return results


def _apply(index, live, step):
    upserts, removals = step
    upserts = list({doc.doc_id: doc for doc in upserts}.values())
    removals = [doc_id for doc_id in dict.fromkeys(removals) if doc_id not in {d.doc_id for d in upserts}]
    index = index.updated([stored_doc(doc) for doc in upserts], removals)
    for doc_id in removals:
        live.pop(doc_id, None)
    live.update((doc.doc_id, doc) for doc in upserts)
    return index


@settings(max_examples=60, deadline=None)
@given(st.lists(_doc, max_size=10, unique_by=lambda d: d.doc_id), st.lists(_step, min_size=1, max_size=8))
def test_any_sequence_of_updates_ranks_like_a_full_build(initial, steps):
    index = SearchIndex.build(initial)
    live = {doc.doc_id: doc for doc in initial}
    for step in steps:
        previous = index
        before = _searches(previous)
        index = _apply(index, live, step)
        assert _searches(previous) == before  # the old index is untouched: threads may still use it
        assert len(index) == len(live)
    assert _searches(index) == _searches(SearchIndex.build(sorted(live.values(), key=lambda d: d.doc_id)))


@settings(max_examples=25, deadline=None)
@given(st.lists(_doc, max_size=10, unique_by=lambda d: d.doc_id), st.lists(_step, min_size=1, max_size=5))
def test_updates_of_an_index_loaded_from_rows_or_json(initial, steps):
    """An index that was not built from stored rows derives each document's terms when first updated."""
    built = SearchIndex.build(initial)
    from_rows, from_json = SearchIndex(*built.to_rows()), SearchIndex.from_json(built.to_json())
    live = {doc.doc_id: doc for doc in initial}
    for step in steps:
        from_rows = _apply(from_rows, dict(live), step)
        from_json = _apply(from_json, dict(live), step)
        built = _apply(built, live, step)
    assert _searches(from_rows) == _searches(built) == _searches(from_json)
    # Round trips of an index with free slots keep its ranking.
    assert _searches(SearchIndex(*built.to_rows())) == _searches(built)
    assert _searches(SearchIndex.from_json(built.to_json())) == _searches(built)


def test_removal_and_replacement_change_statistics():
    docs = [SearchDoc(f"d{i}", "refund", "card " * i, "en") for i in range(1, 6)]
    index = SearchIndex.build(docs)
    smaller = index.updated(removals=["d1", "d2", "missing"])
    assert len(smaller) == 3
    assert [h.doc_id for h in smaller.search("refund")] == ["d3", "d4", "d5"]
    assert smaller.search("refund card") == SearchIndex.build(docs[2:]).search("refund card")
    replaced = smaller.updated([stored_doc(SearchDoc("d3", "parcel", "parcel", "en"))])
    assert [h.doc_id for h in replaced.search("refund")] == ["d4", "d5"]
    assert replaced.search("parcel")[0].doc_id == "d3"
    assert replaced.search("refund") == SearchIndex.build(
        [docs[3], docs[4], SearchDoc("d3", "parcel", "parcel", "en")]
    ).search("refund")
    # The freed slots are taken again, so a workload of edits does not grow the arrays.
    refilled = replaced.updated(
        [stored_doc(SearchDoc("n1", "new", "", "en")), stored_doc(SearchDoc("n2", "new", "", "en"))]
    )
    assert len(refilled._docs) == 5
    emptied = refilled.updated(removals=["d3", "d4", "d5", "n1", "n2"])
    assert len(emptied) == 0 and emptied.search("refund") == []


def test_ties_at_the_limit_are_broken_by_id_whatever_the_slots():
    docs = [SearchDoc(f"d{i}", "refund", "card", "en") for i in range(8)]
    index = SearchIndex.build(docs[4:]).updated([stored_doc(doc) for doc in docs[:4]])
    assert [h.doc_id for h in index.search("refund", limit=3)] == ["d0", "d1", "d2"]


def test_bad_updates_rejected():
    index = SearchIndex.build([SearchDoc("a", "refund", "card", "en")])
    doc = stored_doc(SearchDoc("b", "parcel", "lost parcel", "en"))
    with pytest.raises(SearchInputError, match="doc_id"):
        index.updated([doc], ["b"])
    with pytest.raises(SearchInputError, match="frequencies"):
        index.updated([type(doc)(doc.row, doc.terms, doc.frequencies[:-4])])
    with pytest.raises(SearchInputError, match="terms"):
        index.updated([type(doc)(doc.row, "lost\nlost", doc.frequencies)])
    with pytest.raises(SearchInputError, match="frequencies"):
        SearchIndex.from_stored([type(doc)(doc.row, doc.terms, b"")])
    with pytest.raises(SearchInputError, match="terms"):
        SearchIndex.from_stored([type(doc)(doc.row, "lost\nlost", doc.frequencies)])


def test_stored_form_round_trips_the_postings():
    doc = SearchDoc("a", "Refund refund 退款", "refund policy 快递", "en")
    row, postings = index_rows(doc)
    stored = stored_doc(doc)
    assert stored.row == row and decode_postings(stored) == postings
    assert np.frombuffer(stored.frequencies, dtype="<i4").reshape(-1, 2).tolist()[:1] == [
        [postings[0].title_tf, postings[0].body_tf]
    ]


def test_only_words_of_at_most_40_letters_are_typo_corrected():
    """A pasted blob is not expanded into its tens of thousands of one-edit neighbours."""
    docs = [SearchDoc("x", "x" * 42, "", "en"), SearchDoc("y", "y" * 41, "", "en")]
    index = SearchIndex.build(docs)
    assert index.search("x" * 41) == []
    assert index.search("y" * 40)[0].doc_id == "y"
    assert index.search("x" * 42)[0].doc_id == "x"
