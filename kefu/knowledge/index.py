"""The published-article search index in the database, and each process's in-memory copy of it.

Rows: one `ArticleSearchDoc` per published article (its `DocRow` plus postings as JSON), written in the
same transaction as the publish or edit, and removed when the article leaves published. Every change
bumps `KnowledgeIndexState.generation`; a search compares that number (one primary-key read) with the
generation of its cached `SearchIndex` and reloads the rows only when they differ, so every process of a
scaled-out centre sees a publish on its next search, and SQLite and PostgreSQL rank from identical rows.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np
from sqlalchemy import delete, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.core.ids import public_id
from kefu.knowledge.models import Article, ArticleSearchDoc, KnowledgeIndexState
from kefu.knowledge.search import DocRow, SearchDoc, SearchIndex, index_rows

_STATE_ID = 1


def _bump_generation(session: Session) -> None:
    """One upsert: the first change ever creates the row with a fresh random token, later ones count up."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(KnowledgeIndexState).values(id=_STATE_ID, generation=1, token=public_id())
    session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"], set_={"generation": KnowledgeIndexState.generation + 1}
        )
    )


def current_generation(session: Session) -> tuple[str, int]:
    """(token, generation): the token tells a wiped-and-refilled table from the one a cache was built on."""
    row = session.execute(
        select(KnowledgeIndexState.token, KnowledgeIndexState.generation).where(
            KnowledgeIndexState.id == _STATE_ID
        )
    ).one_or_none()
    return ("", 0) if row is None else (row[0], row[1])


def search_doc(article: Article) -> SearchDoc:
    category = None if article.category_id is None else str(article.category_id)
    return SearchDoc(str(article.id), article.title, article.body, article.language, category)


def do_index_article(session: Session, article: Article) -> None:
    """Write (or replace) the search rows of a published article."""
    row, postings = index_rows(search_doc(article))
    stored = session.get(ArticleSearchDoc, article.id)
    values = {
        "language": row.language,
        "category": row.category,
        "title_length": row.title_length,
        "body_length": row.body_length,
        "postings": {p.term: [p.title_tf, p.body_tf] for p in postings},
    }
    if stored is None:
        session.add(ArticleSearchDoc(article_id=article.id, **values))
    else:
        for key, value in values.items():
            setattr(stored, key, value)
    session.flush()
    _bump_generation(session)


def do_unindex_article(session: Session, article_id: int) -> None:
    """Remove an article from search (it left published)."""
    removed = session.execute(
        delete(ArticleSearchDoc).where(ArticleSearchDoc.article_id == article_id)
    ).rowcount
    if removed:
        _bump_generation(session)


@dataclass
class _Cached:
    generation: tuple[str, int]
    index: SearchIndex


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


def _key(session: Session) -> str:
    return str(session.get_bind().url)


def load_index(session: Session) -> SearchIndex:
    """The in-memory index of published articles, reloaded when another transaction changed it. While one
    thread reloads, others keep answering from the previous index rather than queueing behind it."""
    generation = current_generation(session)
    key = _key(session)
    cached = _cache.get(key)
    if cached is not None and cached.generation == generation:
        return cached.index
    if not _lock.acquire(blocking=cached is None):
        return cached.index  # type: ignore[union-attr]  # a reload is under way; this one is a moment old
    try:
        cached = _cache.get(key)
        if cached is not None and cached.generation == generation:
            return cached.index
        index = _build(session)
        _cache[key] = _Cached(generation, index)
        return index
    finally:
        _lock.release()


def _build(session: Session) -> SearchIndex:
    """Group the stored postings per term straight into arrays (no object per posting)."""
    docs: list[DocRow] = []
    grouped: dict[str, tuple[list[int], list[int], list[int]]] = {}
    rows = session.execute(
        select(
            ArticleSearchDoc.article_id, ArticleSearchDoc.language, ArticleSearchDoc.category,
            ArticleSearchDoc.title_length, ArticleSearchDoc.body_length, ArticleSearchDoc.postings,
        ).order_by(ArticleSearchDoc.article_id)
    )  # fmt: skip
    for position, (article_id, language, category, title_length, body_length, postings) in enumerate(rows):
        docs.append(DocRow(str(article_id), language, category, title_length, body_length))
        for term, (title_tf, body_tf) in postings.items():
            entry = grouped.get(term)
            if entry is None:
                entry = grouped[term] = ([], [], [])
            entry[0].append(position)
            entry[1].append(title_tf)
            entry[2].append(body_tf)
    arrays = {
        term: (np.array(p, dtype=np.int64), np.array(t, dtype=np.float64), np.array(b, dtype=np.float64))
        for term, (p, t, b) in grouped.items()
    }
    return SearchIndex.from_grouped(docs, arrays)
