"""The published-article search index in the database, and each process's in-memory copy of it.

Rows: one `ArticleSearchDoc` per article that was ever published (its `DocRow` plus postings in the
stored form of `StoredDoc`), written in the same transaction as the publish or edit. Leaving published
turns the row into a tombstone (`removed`, no terms) rather than deleting it. Every change bumps
`KnowledgeIndexState.generation` and stamps the new number on the row it wrote.

A search compares that number (one primary-key read) with the generation of its cached `SearchIndex`.
When they differ it reads only the rows stamped after the cached generation and applies them
(`SearchIndex.updated`: add, replace or remove those articles, rebuilding only the arrays of the terms
they touch), so a publish costs every process about one article's postings, not the corpus. A full
build from all rows happens for a process's first search, when the token changed (the table was wiped
and refilled), when the generation went backwards, or when more generations passed than catching up is
worth (a fiftieth of the corpus, at least 20, at most `MAX_CATCH_UP`).

Why the stamps are enough: the generation bump locks the state row until the writing transaction ends
(PostgreSQL's row lock; SQLite writes one transaction at a time), so generations commit in order, and a
reader that sees generation g also sees every row stamped up to g. Applying a row twice is harmless (an
upsert replaces, a removal of an absent article does nothing), so rows committed between the two reads
may be applied early and again later.
"""

from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from kefu.core.ids import public_id
from kefu.knowledge.models import Article, ArticleSearchDoc, KnowledgeIndexState
from kefu.knowledge.search import DocRow, SearchDoc, SearchIndex, StoredDoc, stored_doc

_STATE_ID = 1
# Catching up costs about fifty times what a full build spends per posting (a few numpy calls per touched
# term instead of one vectorised pass), so it pays while the changes are under a fiftieth of the corpus.
MAX_CATCH_UP = 500
_MIN_CATCH_UP = 20
_WROTE = "kefu.knowledge.index.wrote_in"  # session.info key: the transaction that changed the index

# How each process's index was (re)loaded since start: "full" builds and "incremental" catch-ups.
reloads: Counter[str] = Counter()


def _bump_generation(session: Session) -> int:
    """One upsert: the first change ever creates the row with a fresh random token, later ones count up.
    Returns the new generation, which the caller stamps on the row it writes."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    statement = insert(KnowledgeIndexState).values(id=_STATE_ID, generation=1, token=public_id())
    generation = session.execute(
        statement.on_conflict_do_update(
            index_elements=["id"], set_={"generation": KnowledgeIndexState.generation + 1}
        ).returning(KnowledgeIndexState.generation)
    ).scalar_one()
    session.info[_WROTE] = session.get_transaction()
    return generation


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


def stored_values(doc: StoredDoc) -> dict:
    """The columns of an `ArticleSearchDoc` row that hold one stored document."""
    return {
        "language": doc.row.language,
        "category": doc.row.category,
        "title_length": doc.row.title_length,
        "body_length": doc.row.body_length,
        "terms": doc.terms,
        "frequencies": doc.frequencies,
    }


def do_index_article(session: Session, article: Article) -> None:
    """Write (or replace) the search row of a published article."""
    values = stored_values(stored_doc(search_doc(article)))
    values.update(generation=_bump_generation(session), removed=False)
    stored = session.get(ArticleSearchDoc, article.id)
    if stored is None:
        session.add(ArticleSearchDoc(article_id=article.id, **values))
    else:
        for key, value in values.items():
            setattr(stored, key, value)
    session.flush()


def do_unindex_article(session: Session, article_id: int) -> None:
    """Remove an article from search (it left published): its row becomes a tombstone."""
    stored = session.get(ArticleSearchDoc, article_id)
    if stored is None or stored.removed:
        return
    stored.generation = _bump_generation(session)
    stored.removed = True
    stored.terms = ""
    stored.frequencies = b""
    session.flush()


@dataclass
class _Cached:
    generation: tuple[str, int]
    index: SearchIndex


_cache: dict[str, _Cached] = {}
_lock = threading.Lock()


def _key(session: Session) -> str:
    return str(session.get_bind().url)


def load_index(session: Session) -> SearchIndex:
    """The in-memory index of published articles, brought up to date when another transaction changed
    it. While one thread catches up, others keep answering from the previous index rather than queueing
    behind it."""
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
        index = _catch_up(session, cached, generation) if cached is not None else None
        if index is None:
            index = _build(session)
            reloads["full"] += 1
        else:
            reloads["incremental"] += 1
        # A transaction that changed the index itself sees its own uncommitted rows: never cache those.
        wrote_in = session.info.get(_WROTE)
        if wrote_in is None or wrote_in is not session.get_transaction():
            _cache[key] = _Cached(generation, index)
        return index
    finally:
        _lock.release()


def _catch_up(session: Session, cached: _Cached, generation: tuple[str, int]) -> SearchIndex | None:
    """The cached index with the rows written after its generation applied, or None when a full build
    is the right thing (another table, a generation that went back, or too many changes)."""
    (token, held), (current_token, current) = cached.generation, generation
    if token != current_token or current < held:
        return None
    if current - held > min(MAX_CATCH_UP, max(_MIN_CATCH_UP, len(cached.index) // 50)):
        return None
    rows = session.execute(_columns().where(ArticleSearchDoc.generation > held))
    upserts, removals = [], []
    for article_id, language, category, title_length, body_length, terms, frequencies, removed in rows:
        if removed:
            removals.append(str(article_id))
        else:
            row = DocRow(str(article_id), language, category, title_length, body_length)
            upserts.append(StoredDoc(row, terms, bytes(frequencies)))
    return cached.index.updated(upserts, removals)


def _columns():  # noqa: ANN202 - a select of the stored columns
    return select(
        ArticleSearchDoc.article_id, ArticleSearchDoc.language, ArticleSearchDoc.category,
        ArticleSearchDoc.title_length, ArticleSearchDoc.body_length, ArticleSearchDoc.terms,
        ArticleSearchDoc.frequencies, ArticleSearchDoc.removed,
    )  # fmt: skip


def _build(session: Session) -> SearchIndex:
    """Every live row, in article order, straight into `SearchIndex.from_stored` (no object per posting)."""
    rows = session.execute(
        _columns().where(ArticleSearchDoc.removed.is_(False)).order_by(ArticleSearchDoc.article_id)
    )
    return SearchIndex.from_stored(
        [
            StoredDoc(
                DocRow(str(article_id), language, category, title_length, body_length), terms, bytes(blob)
            )
            for article_id, language, category, title_length, body_length, terms, blob, _ in rows
        ]
    )
