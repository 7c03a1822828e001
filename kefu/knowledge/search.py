"""Bilingual knowledge-base search: BM25 with a title boost, synonyms, English typo tolerance, filters,
and an optional hybrid re-rank with sentence embeddings.

Pure. The index is plain rows — one `DocRow` per article and one `PostingRow` per (term, article) — so
the lead can keep it in SQLite or PostgreSQL tables and get byte-identical rankings from either:
re-indexing one article means replacing its rows (`index_rows`), and a query process loads all rows
into a `SearchIndex` (numpy arrays per term), where one query costs a few vector operations per term.
"""

from __future__ import annotations

import json
import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from kefu.knowledge.text import STOPWORDS, Embedder, tokenize

LANGUAGES = ("zh", "en")
MAX_QUERY_CHARS = 1000  # a pasted essay is searched on its opening, keeping latency bounded
_TYPO_MIN_LENGTH = 4  # shorter words have too many neighbours at distance 1 to guess from
_HYBRID_POOL = 50  # candidates taken from each of the lexical and the vector rankings
_Posting = tuple[np.ndarray, np.ndarray, np.ndarray]


class SearchInputError(ValueError):
    """A document, row or query option that the index cannot take; the message names the field."""


@dataclass(frozen=True)
class SearchDoc:
    doc_id: str
    title: str
    body: str
    language: str
    category: str | None = None


@dataclass(frozen=True)
class DocRow:
    doc_id: str
    language: str
    category: str | None
    title_length: int
    body_length: int


@dataclass(frozen=True)
class PostingRow:
    term: str
    doc_id: str
    title_tf: int
    body_tf: int


@dataclass(frozen=True)
class SearchConfig:
    """Ranking knobs. `synonyms` maps a phrase to phrases that should also match (one direction)."""

    k1: float = 1.2
    b: float = 0.75
    title_boost: float = 2.5
    synonym_weight: float = 0.8
    typo_weight: float = 0.6
    hybrid_alpha: float = 0.5  # share of the lexical score in the hybrid; the rest is cosine similarity
    synonyms: Mapping[str, Sequence[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class SearchHit:
    doc_id: str
    score: float


def index_rows(doc: SearchDoc) -> tuple[DocRow, list[PostingRow]]:
    """The rows that represent one article in the index."""
    if not doc.doc_id:
        raise SearchInputError("doc_id: must not be empty")
    if doc.language not in LANGUAGES:
        raise SearchInputError(f"language: {doc.language!r} is not one of {LANGUAGES}")
    title, body = Counter(search_terms(doc.title)), Counter(search_terms(doc.body))
    postings = [PostingRow(term, doc.doc_id, title[term], body[term]) for term in sorted(title.keys() | body)]
    row = DocRow(doc.doc_id, doc.language, doc.category, sum(title.values()), sum(body.values()))
    return row, postings


def search_terms(text: str) -> list[str]:
    """Tokens of a text without stop words: what the index stores and a query looks up."""
    return [term for term in tokenize(text) if term not in STOPWORDS]


def doc_vectors(docs: Sequence[SearchDoc], embedder: Embedder) -> dict[str, list[float]]:
    """Embeddings of title and opening of each article, for the hybrid re-rank."""
    texts = [f"{doc.title}\n{doc.body[:500]}" for doc in docs]
    vectors = embedder.encode(texts) if texts else np.zeros((0, 0))
    return {doc.doc_id: [float(x) for x in vector] for doc, vector in zip(docs, vectors, strict=True)}


class SearchIndex:
    """An in-memory index built from rows; immutable once built."""

    def __init__(
        self,
        doc_rows: Iterable[DocRow],
        posting_rows: Iterable[PostingRow],
        vectors: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        docs = list(doc_rows)
        self._setup(docs, _group_postings(posting_rows, _positions(docs)), vectors)

    def _setup(self, docs: list[DocRow], postings: dict[str, _Posting], vectors: Mapping | None) -> None:
        self._docs = docs
        self._position = _positions(docs)
        self._language = np.array([row.language for row in docs], dtype=object)
        self._category = np.array([row.category for row in docs], dtype=object)
        self._title_length = np.array([row.title_length for row in docs], dtype=np.float64)
        self._body_length = np.array([row.body_length for row in docs], dtype=np.float64)
        self._postings = postings
        self._typo_keys = _deletion_index(term for term in postings if _typo_candidate(term))
        self._vectors = self._build_vectors(vectors or {})

    @classmethod
    def build(cls, docs: Iterable[SearchDoc], embedder: Embedder | None = None) -> SearchIndex:
        docs = list(docs)
        doc_rows, posting_rows = [], []
        for doc in docs:
            row, postings = index_rows(doc)
            doc_rows.append(row)
            posting_rows.extend(postings)
        return cls(doc_rows, posting_rows, doc_vectors(docs, embedder) if embedder else None)

    @classmethod
    def from_grouped(
        cls,
        docs: Sequence[DocRow],
        postings: Mapping[str, _Posting],
        vectors: Mapping[str, Sequence[float]] | None = None,
    ) -> SearchIndex:
        """Build from postings already grouped per term: (positions into `docs`, title tf, body tf) arrays.
        The fast path for loading stored rows, where one object per posting would dominate."""
        docs = list(docs)
        for term, (positions, _, _) in postings.items():
            if len(positions) and not 0 <= positions.min() <= positions.max() < len(docs):
                raise SearchInputError(f"postings: term {term!r} points outside the {len(docs)} documents")
        index = cls.__new__(cls)
        index._setup(docs, dict(postings), vectors)
        return index

    def _build_vectors(self, vectors: Mapping[str, Sequence[float]]) -> np.ndarray | None:
        if not vectors:
            return None
        dimension = len(next(iter(vectors.values())))
        matrix = np.zeros((len(self._docs), dimension), dtype=np.float32)
        for doc_id, vector in vectors.items():
            if doc_id not in self._position:
                raise SearchInputError(f"vectors: unknown document {doc_id!r}")
            matrix[self._position[doc_id]] = vector
        return matrix

    def to_rows(self) -> tuple[list[DocRow], list[PostingRow]]:
        """The rows this index was built from (postings in term order), ready for a database table."""
        doc_ids = [row.doc_id for row in self._docs]
        postings = [
            PostingRow(term, doc_ids[i], int(title_tf), int(body_tf))
            for term in sorted(self._postings)
            for i, title_tf, body_tf in zip(*self._postings[term], strict=True)
        ]
        return list(self._docs), postings

    def to_json(self) -> str:
        """One JSON blob holding the whole index, postings grouped per term as parallel lists (document
        positions, title tf, body tf) so that loading needs no per-row objects."""
        vectors = (
            {}
            if self._vectors is None
            else {row.doc_id: self._vectors[i].tolist() for i, row in enumerate(self._docs)}
        )
        postings = {
            term: [positions.tolist(), title_tf.astype(int).tolist(), body_tf.astype(int).tolist()]
            for term, (positions, title_tf, body_tf) in sorted(self._postings.items())
        }
        docs = [[r.doc_id, r.language, r.category, r.title_length, r.body_length] for r in self._docs]
        return json.dumps({"docs": docs, "postings": postings, "vectors": vectors}, ensure_ascii=False)

    @classmethod
    def from_json(cls, blob: str) -> SearchIndex:
        data = json.loads(blob)
        docs = [DocRow(*row) for row in data["docs"]]
        postings = {}
        for term, (positions, title_tf, body_tf) in data["postings"].items():
            array = np.array(positions, dtype=np.int64)
            if len(array) and not 0 <= array.min() <= array.max() < len(docs):
                raise SearchInputError(f"postings: term {term!r} points outside the {len(docs)} documents")
            postings[term] = (
                array,
                np.array(title_tf, dtype=np.float64),
                np.array(body_tf, dtype=np.float64),
            )
        index = cls.__new__(cls)
        index._setup(docs, postings, data.get("vectors") or None)
        return index

    def search(
        self,
        query: str,
        limit: int = 10,
        language: str | None = None,
        categories: Iterable[str] | None = None,
        config: SearchConfig | None = None,
        embedder: Embedder | None = None,
    ) -> list[SearchHit]:
        """Best articles for a query, highest score first; `categories` restricts to those (already
        expanded to the subtree by the caller). With an embedder and stored vectors, hybrid ranking."""
        config = config or SearchConfig()
        if not isinstance(query, str):
            raise SearchInputError(f"query: expected a string, got {type(query).__name__}")
        query = query[:MAX_QUERY_CHARS]
        if limit < 1:
            raise SearchInputError("limit: must be at least 1")
        if language is not None and language not in LANGUAGES:
            raise SearchInputError(f"language: {language!r} is not one of {LANGUAGES}")
        allowed = self._filter_mask(language, categories)
        scores = self._lexical_scores(self._weighted_terms(search_terms(query), config), config)
        scores[~allowed] = 0.0
        if embedder is not None and self._vectors is not None and query.strip():
            return self._hybrid(scores, allowed, embedder.encode([query])[0], limit, config)
        return self._top(scores, limit)

    def _filter_mask(self, language: str | None, categories: Iterable[str] | None) -> np.ndarray:
        mask = np.ones(len(self._docs), dtype=bool)
        if language is not None:
            mask &= self._language == language
        if isinstance(categories, str):
            raise SearchInputError("categories: expected a collection of category ids, not one string")
        if categories is not None:
            mask &= np.isin(self._category, list(categories))
        return mask

    def _weighted_terms(self, terms: list[str], config: SearchConfig) -> dict[str, float]:
        """Query terms with their weights: 1 for typed terms, less for synonyms and typo corrections."""
        weights = dict.fromkeys(terms, 1.0)
        for phrase, alternatives in config.synonyms.items():
            if _contains_phrase(terms, search_terms(phrase)):
                for alternative in alternatives:
                    for term in search_terms(alternative):
                        weights[term] = max(weights.get(term, 0.0), config.synonym_weight)
        for term in terms:
            if term not in self._postings and _typo_candidate(term):
                correction = self._correct(term)
                if correction is not None:
                    weights[correction] = max(weights.get(correction, 0.0), config.typo_weight)
        return weights

    def _correct(self, term: str) -> str | None:
        """The most common indexed term at edit distance 1 (a transposition counts as 1)."""
        candidates = {c for key in _deletions(term) | {term} for c in self._typo_keys.get(key, ())}
        matches = [c for c in candidates if _within_one_edit(term, c)]
        return max(matches, key=lambda c: (len(self._postings[c][0]), c), default=None)

    def _lexical_scores(self, weights: dict[str, float], config: SearchConfig) -> np.ndarray:
        scores = np.zeros(len(self._docs))
        if not self._docs:
            return scores
        lengths = self._body_length + config.title_boost * self._title_length
        average = max(float(lengths.mean()), 1.0)
        for term, weight in weights.items():
            if term not in self._postings:
                continue
            positions, title_tf, body_tf = self._postings[term]
            df = len(positions)
            idf = math.log(1.0 + (len(self._docs) - df + 0.5) / (df + 0.5))
            tf = body_tf + config.title_boost * title_tf
            norm = config.k1 * (1.0 - config.b + config.b * lengths[positions] / average)
            scores[positions] += weight * idf * tf * (config.k1 + 1.0) / (tf + norm)
        return scores

    def _top(self, scores: np.ndarray, limit: int) -> list[SearchHit]:
        candidates = np.flatnonzero(scores > 0)
        if len(candidates) > limit:
            candidates = candidates[np.argpartition(-scores[candidates], limit - 1)[:limit]]
        ordered = sorted(candidates, key=lambda i: (-scores[i], self._docs[i].doc_id))
        return [SearchHit(self._docs[i].doc_id, float(scores[i])) for i in ordered]

    def _hybrid(
        self,
        lexical: np.ndarray,
        allowed: np.ndarray,
        query_vector: np.ndarray,
        limit: int,
        config: SearchConfig,
    ) -> list[SearchHit]:
        """Blend max-normalised BM25 with cosine similarity over the best candidates of each ranking,
        so a paraphrase with no shared word can still be found."""
        cosine = np.where(allowed, self._vectors @ np.asarray(query_vector, dtype=np.float32), -np.inf)
        pool = {hit.doc_id for hit in self._top(lexical, _HYBRID_POOL)}
        pool.update(self._docs[i].doc_id for i in np.argsort(-cosine)[:_HYBRID_POOL] if allowed[i])
        top_lexical = float(lexical.max()) if lexical.size and lexical.max() > 0 else 1.0
        blended = np.zeros(len(self._docs))
        for doc_id in pool:
            i = self._position[doc_id]
            lexical_part = lexical[i] / top_lexical
            blended[i] = config.hybrid_alpha * lexical_part + (1 - config.hybrid_alpha) * max(cosine[i], 0.0)
        return self._top(blended, limit)


def _positions(docs: list[DocRow]) -> dict[str, int]:
    position = {row.doc_id: i for i, row in enumerate(docs)}
    if len(position) != len(docs):
        raise SearchInputError("doc_id: duplicate document in the index rows")
    return position


def _group_postings(rows: Iterable[PostingRow], position: dict[str, int]) -> dict[str, _Posting]:
    """Postings per term as arrays (document positions, title tf, body tf) for vectorised scoring."""
    grouped: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
    for row in rows:
        if row.doc_id not in position:
            raise SearchInputError(f"doc_id: posting for unknown document {row.doc_id!r}")
        grouped[row.term].append((position[row.doc_id], row.title_tf, row.body_tf))
    postings = {}
    for term, entries in grouped.items():
        array = np.array(entries, dtype=np.int64)
        postings[term] = (array[:, 0], array[:, 1].astype(np.float64), array[:, 2].astype(np.float64))
    return postings


def _typo_candidate(term: str) -> bool:
    return term.isascii() and term.isalpha() and len(term) >= _TYPO_MIN_LENGTH


def _deletions(term: str) -> set[str]:
    return {term[:i] + term[i + 1 :] for i in range(len(term))}


def _deletion_index(terms: Iterable[str]) -> dict[str, list[str]]:
    """Symmetric-delete index: each term under itself and each of its one-letter deletions."""
    index: dict[str, list[str]] = defaultdict(list)
    for term in terms:
        for key in _deletions(term) | {term}:
            index[key].append(term)
    return dict(index)


def _within_one_edit(a: str, b: str) -> bool:
    """Damerau distance ≤ 1: one insertion, deletion, substitution or adjacent transposition."""
    if a == b or abs(len(a) - len(b)) > 1:
        return a == b
    if len(a) == len(b):
        diffs = [i for i in range(len(a)) if a[i] != b[i]]
        if len(diffs) == 1:
            return True
        return (
            len(diffs) == 2
            and diffs[1] == diffs[0] + 1
            and a[diffs[0]] == b[diffs[1]]
            and a[diffs[1]] == b[diffs[0]]
        )
    shorter, longer = sorted((a, b), key=len)
    return any(longer[:i] + longer[i + 1 :] == shorter for i in range(len(longer)))


def _contains_phrase(terms: list[str], phrase: list[str]) -> bool:
    width = len(phrase)
    return width > 0 and any(terms[i : i + width] == phrase for i in range(len(terms) - width + 1))
