"""The database side of the search index: each process catches up with the rows changed since its
generation, on SQLite and PostgreSQL, and ranks like a full build of the published articles."""

import random

from sqlalchemy import delete, select, update

from kefu.knowledge import index as kb_index
from kefu.knowledge.actions import do_change_status, do_create_article, do_update_article
from kefu.knowledge.index import load_index, search_doc
from kefu.knowledge.models import Article, ArticleSearchDoc, KnowledgeIndexState
from kefu.knowledge.search import SearchIndex

WORDS = ["refund", "card", "parcel", "delivery", "invoice", "lost", "退款", "快递", "地址", "发票"]
QUERIES = ["refund", "lost card", "parcel delivery", "refnd", "退款", "快递地址", "发票 invoice"]


def _text(rng, count):
    return " ".join(rng.choice(WORDS) for _ in range(count))


def _results(index):
    return [index.search(q, limit=limit) for q in QUERIES for limit in (3, 10)]


def _expected(session):
    published = session.scalars(select(Article).where(Article.status == "published")).all()
    return _results(SearchIndex.build(search_doc(article) for article in published))


def _publish(session, rng):
    return do_create_article(
        session, title=_text(rng, 3), body=_text(rng, 12), language=rng.choice(["zh", "en"]),
        editor_id=None, status="published",
    )  # fmt: skip


def test_changes_are_applied_incrementally_and_rank_like_a_full_build(runtime):
    rng = random.Random(4)
    with runtime.sessions() as session, session.begin():
        ids = [_publish(session, rng).id for _ in range(12)]
    with runtime.sessions() as session:
        assert _results(load_index(session)) == _expected(session)
    for round_ in range(12):
        full, incremental = kb_index.reloads["full"], kb_index.reloads["incremental"]
        with runtime.sessions() as session, session.begin():
            article = session.get(Article, rng.choice(ids))
            action = round_ % 4
            if action == 0:
                ids.append(_publish(session, rng).id)
            elif action == 1 and article.status == "published":
                do_update_article(session, article, {"body": _text(rng, 8)}, editor_id=None)
            elif action == 2 and article.status == "published":
                do_change_status(session, article, "archived", editor_id=None)
            elif article.status == "archived":
                do_change_status(session, article, "draft", editor_id=None)
            else:
                ids.append(_publish(session, rng).id)
        with runtime.sessions() as session:
            assert _results(load_index(session)) == _expected(session)
        assert kb_index.reloads["full"] == full
        assert kb_index.reloads["incremental"] in (incremental, incremental + 1)
    # Unpublishing leaves a tombstone stamped with the generation that removed it.
    with runtime.sessions() as session:
        tombstones = session.scalars(select(ArticleSearchDoc).where(ArticleSearchDoc.removed)).all()
        assert tombstones and all(t.terms == "" and t.frequencies == b"" for t in tombstones)
        assert max(t.generation for t in tombstones) <= kb_index.current_generation(session)[1]


def test_full_build_when_the_table_was_refilled_or_the_gap_is_large(runtime, monkeypatch):
    rng = random.Random(5)
    with runtime.sessions() as session, session.begin():
        for _ in range(6):
            _publish(session, rng)
    with runtime.sessions() as session:
        load_index(session)
    # A wiped and refilled index (another token) is never patched onto the cached one.
    with runtime.sessions() as session, session.begin():
        session.execute(update(ArticleSearchDoc).values(generation=0))
        session.execute(delete(KnowledgeIndexState))
        _publish(session, rng)
    full = kb_index.reloads["full"]
    with runtime.sessions() as session:
        assert _results(load_index(session)) == _expected(session)
    assert kb_index.reloads["full"] == full + 1
    # More changes than a catch-up is worth: rebuild.
    monkeypatch.setattr(kb_index, "MAX_CATCH_UP", 1)
    with runtime.sessions() as session, session.begin():
        for _ in range(3):
            _publish(session, rng)
    with runtime.sessions() as session:
        assert _results(load_index(session)) == _expected(session)
    assert kb_index.reloads["full"] == full + 2


def test_a_transaction_does_not_cache_its_own_uncommitted_changes(runtime):
    rng = random.Random(6)
    with runtime.sessions() as session, session.begin():
        _publish(session, rng)
    with runtime.sessions() as session:
        before = _results(load_index(session))
    with runtime.sessions() as session:
        session.begin()
        article = do_create_article(
            session, title="xylophone", body="xylophone", language="en", editor_id=None, status="published"
        )
        assert [h.doc_id for h in load_index(session).search("xylophone")] == [str(article.id)]
        session.rollback()
    with runtime.sessions() as session:
        assert load_index(session).search("xylophone") == []
        assert _results(load_index(session)) == before
