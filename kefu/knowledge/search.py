"""Bilingual knowledge-base search: BM25 with a title boost, synonyms, English typo tolerance, filters,
and an optional hybrid re-rank with sentence embeddings.

Pure. The index is plain rows — one `DocRow` per article and its postings, kept either as one
`PostingRow` per (term, article) or, for a database row, as a `StoredDoc` (the article's terms as one
text and their frequencies as packed integers) — so SQLite and PostgreSQL hold the same values and give
byte-identical rankings. A query process loads all rows into a `SearchIndex` (numpy arrays per term),
where one query costs a few vector operations per term, and applies later changes with
`SearchIndex.updated`, which rebuilds only the arrays of the terms the changed articles touch; the
result ranks exactly like a full build over the final set of articles.
"""

from __future__ import annotations

import copy
import itertools
import json
import math
import string
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from kefu.knowledge.text import STOPWORDS, Embedder, tokenize

LANGUAGES = ("zh", "en")
MAX_QUERY_CHARS = 1000  # a pasted essay is searched on its opening, keeping latency bounded
_TYPO_MIN_LENGTH = 4  # shorter words have too many neighbours at distance 1 to guess from
_TYPO_MAX_LENGTH = 40  # a longer "word" is noise; its ~50 neighbours per letter would cost a pasted blob
_HYBRID_POOL = 50  # candidates taken from each of the lexical and the vector rankings
_Posting = tuple[np.ndarray, np.ndarray, np.ndarray]
_TERM_SEPARATOR = "\n"  # never inside a term: terms are runs of [a-z0-9] or of CJK characters
_FREQUENCIES = np.dtype("<i4")  # (title tf, body tf) per term, little-endian on every machine
_TYPO_LETTERS = string.ascii_lowercase  # terms are lower-cased by tokenize


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


@dataclass(frozen=True)
class StoredDoc:
    """One article as a database row holds it: its `DocRow`, its distinct terms in order joined by a new
    line, and per term (title tf, body tf) packed as little-endian int32 pairs. Loading thousands of these
    needs no object per posting, which is what makes a full build cheap."""

    row: DocRow
    terms: str
    frequencies: bytes


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


def stored_doc(doc: SearchDoc) -> StoredDoc:
    """The stored form of one article (what `ArticleSearchDoc` keeps)."""
    row, postings = index_rows(doc)
    return encode_postings(row, postings)


def encode_postings(row: DocRow, postings: Sequence[PostingRow]) -> StoredDoc:
    terms = [p.term for p in postings]
    if any(not term or _TERM_SEPARATOR in term for term in terms):
        raise SearchInputError("terms: a term is empty or holds a line break")
    if len(set(terms)) != len(terms):
        raise SearchInputError(f"terms: a term is repeated in document {row.doc_id!r}")
    frequencies = np.array([(p.title_tf, p.body_tf) for p in postings], dtype=_FREQUENCIES).reshape(-1, 2)
    return StoredDoc(row, _TERM_SEPARATOR.join(terms), frequencies.tobytes())


def decode_postings(doc: StoredDoc) -> list[PostingRow]:
    terms = _split_terms(doc.terms)
    frequencies = _frequencies(doc, len(terms))
    return [
        PostingRow(term, doc.row.doc_id, int(title_tf), int(body_tf))
        for term, (title_tf, body_tf) in zip(terms, frequencies.tolist(), strict=True)
    ]


def _split_terms(text: str) -> list[str]:
    return text.split(_TERM_SEPARATOR) if text else []


def _frequencies(doc: StoredDoc, count: int) -> np.ndarray:
    if len(doc.frequencies) != count * 2 * _FREQUENCIES.itemsize:
        raise SearchInputError(
            f"frequencies: document {doc.row.doc_id!r} has {count} terms but "
            f"{len(doc.frequencies)} bytes of frequencies"
        )
    return np.frombuffer(doc.frequencies, dtype=_FREQUENCIES).reshape(-1, 2)


def search_terms(text: str) -> list[str]:
    """Tokens of a text without stop words: what the index stores and a query looks up."""
    return [term for term in tokenize(text) if term not in STOPWORDS]


def doc_vectors(docs: Sequence[SearchDoc], embedder: Embedder) -> dict[str, list[float]]:
    """Embeddings of title and opening of each article, for the hybrid re-rank."""
    texts = [f"{doc.title}\n{doc.body[:500]}" for doc in docs]
    vectors = embedder.encode(texts) if texts else np.zeros((0, 0))
    return {doc.doc_id: [float(x) for x in vector] for doc, vector in zip(docs, vectors, strict=True)}


class _PostingTable:
    """term → (slots, title tf, body tf). A full build leaves every term as a range of three shared
    sorted arrays (no per-term object until a query asks); an update records the terms it rebuilt or
    emptied on top, so copying the table for the next version copies only those."""

    __slots__ = ("_bounds", "_body", "_changed", "_numbers", "_slots", "_title")

    def __init__(
        self,
        numbers: dict[str, int],
        bounds: list[int],
        arrays: tuple[np.ndarray, np.ndarray, np.ndarray],
        changed: dict[str, _Posting | None] | None = None,
    ) -> None:
        self._numbers, self._bounds = numbers, bounds
        self._slots, self._title, self._body = arrays
        self._changed = {} if changed is None else changed

    @classmethod
    def of(cls, postings: Mapping[str, _Posting]) -> _PostingTable:
        empty = np.zeros(0, dtype=np.int64)
        return cls({}, [0], (empty, empty.astype(np.float64), empty.astype(np.float64)), dict(postings))

    def copy(self) -> _PostingTable:
        arrays = (self._slots, self._title, self._body)
        return _PostingTable(self._numbers, self._bounds, arrays, dict(self._changed))

    def get(self, term: str) -> _Posting | None:
        if term in self._changed:
            return self._changed[term]
        number = self._numbers.get(term)
        if number is None:
            return None
        start, end = self._bounds[number], self._bounds[number + 1]
        return self._slots[start:end], self._title[start:end], self._body[start:end]

    def __contains__(self, term: str) -> bool:
        if term in self._changed:
            return self._changed[term] is not None
        return term in self._numbers

    def __getitem__(self, term: str) -> _Posting:
        posting = self.get(term)
        if posting is None:
            raise KeyError(term)
        return posting

    def __setitem__(self, term: str, posting: _Posting | None) -> None:
        """Replace a term's postings; None removes the term."""
        self._changed[term] = posting

    def __iter__(self) -> Iterator[str]:
        yield from (term for term in self._numbers if term not in self._changed)
        yield from (term for term, posting in self._changed.items() if posting is not None)

    def items(self) -> Iterator[tuple[str, _Posting]]:
        for term in self:
            yield term, self[term]


class SearchIndex:
    """An in-memory index; immutable once built (`updated` returns a new index sharing what it did not
    touch, so threads still searching the old one are never disturbed).

    Documents sit in slots; a removed document leaves a free slot, which the next new document takes.
    Scores depend only on a document's own postings and on corpus statistics (live count, total
    lengths as exact integers, document frequencies), never on slots, so an index that went through
    any sequence of updates ranks bit for bit like a full build over the same documents.
    """

    _docs: list[DocRow | None]
    _doc_terms: list[str | None] | None  # per slot, the stored terms text (for later updates)

    def __init__(
        self,
        doc_rows: Iterable[DocRow],
        posting_rows: Iterable[PostingRow],
        vectors: Mapping[str, Sequence[float]] | None = None,
    ) -> None:
        docs = list(doc_rows)
        self._setup(docs, _group_postings(posting_rows, _positions(docs)), vectors)

    def _setup(
        self,
        docs: list[DocRow],
        postings: Mapping[str, _Posting] | _PostingTable,
        vectors: Mapping | None,
        doc_terms: list[str | None] | None = None,
    ) -> None:
        self._docs = list(docs)
        self._position = _positions(docs)
        self._live = np.ones(len(docs), dtype=bool)
        self._free: list[int] = []
        self._language = np.array([row.language for row in docs], dtype=object)
        self._category = np.array([row.category for row in docs], dtype=object)
        self._title_length = np.array([row.title_length for row in docs], dtype=np.float64)
        self._body_length = np.array([row.body_length for row in docs], dtype=np.float64)
        self._total_title = sum(row.title_length for row in docs)
        self._total_body = sum(row.body_length for row in docs)
        self._postings = postings if isinstance(postings, _PostingTable) else _PostingTable.of(postings)
        self._doc_terms = doc_terms
        self._vectors = self._build_vectors(vectors or {})

    @classmethod
    def build(cls, docs: Iterable[SearchDoc], embedder: Embedder | None = None) -> SearchIndex:
        docs = list(docs)
        return cls.from_stored(
            [stored_doc(doc) for doc in docs], doc_vectors(docs, embedder) if embedder else None
        )

    @classmethod
    def from_stored(
        cls, docs: Sequence[StoredDoc], vectors: Mapping[str, Sequence[float]] | None = None
    ) -> SearchIndex:
        """Build from stored rows in a few vectorised passes: split every terms text, number the
        distinct terms, sort all postings by term once and cut the sorted arrays into per-term views."""
        docs = list(docs)
        term_lists = [_split_terms(doc.terms) for doc in docs]
        counts = np.fromiter(map(len, term_lists), dtype=np.int64, count=len(docs))
        for doc, count in zip(docs, counts.tolist(), strict=True):
            if len(doc.frequencies) != count * 2 * _FREQUENCIES.itemsize:
                _frequencies(doc, count)  # raises, naming the document
        all_terms = list(itertools.chain.from_iterable(term_lists))
        names = list(dict.fromkeys(all_terms))
        numbers = dict(zip(names, range(len(names)), strict=True))
        term_ids = np.fromiter(map(numbers.__getitem__, all_terms), dtype=np.int64, count=len(all_terms))
        slots = np.repeat(np.arange(len(docs), dtype=np.int64), counts)
        order = np.argsort(term_ids, kind="stable")  # stable: slots stay ascending within a term
        sorted_ids, sorted_slots = term_ids[order], slots[order]
        if np.any((sorted_ids[1:] == sorted_ids[:-1]) & (sorted_slots[1:] == sorted_slots[:-1])):
            raise SearchInputError("terms: a document repeats a term")
        frequencies = np.frombuffer(b"".join(doc.frequencies for doc in docs), dtype=_FREQUENCIES)
        frequencies = frequencies.reshape(-1, 2)[order].astype(np.float64)
        if len(frequencies) and frequencies.min() < 0:
            raise SearchInputError("frequencies: must not be negative")
        title_tf, body_tf = np.ascontiguousarray(frequencies[:, 0]), np.ascontiguousarray(frequencies[:, 1])
        bounds = np.concatenate(([0], np.cumsum(np.bincount(term_ids, minlength=len(names))))).tolist()
        postings = _PostingTable(numbers, bounds, (sorted_slots, title_tf, body_tf))
        index = cls.__new__(cls)
        index._setup([doc.row for doc in docs], postings, vectors, [doc.terms for doc in docs])
        return index

    def __len__(self) -> int:
        return len(self._position)

    def updated(
        self,
        upserts: Iterable[StoredDoc] = (),
        removals: Iterable[str] = (),
        vectors: Mapping[str, Sequence[float]] | None = None,
    ) -> SearchIndex:
        """A new index with `upserts` added or replacing the document of the same id and `removals` gone
        (an id not in the index is ignored). Costs the postings of the changed documents, not the corpus:
        only the arrays of the terms they had or have are rebuilt. An index with vectors needs one in
        `vectors` for every upsert."""
        upserts = list(upserts)
        removals = list(removals)
        changed = [doc.row.doc_id for doc in upserts] + removals
        if len(set(changed)) != len(changed):
            raise SearchInputError("doc_id: a document appears twice in one update")
        vectors = vectors or {}
        if self._vectors is not None and any(doc.row.doc_id not in vectors for doc in upserts):
            raise SearchInputError("vectors: every added or replaced document needs a vector")
        new = copy.copy(self)
        new._docs = list(self._docs)
        new._position = dict(self._position)
        new._doc_terms = list(self._terms_per_slot())
        new._free = list(self._free)
        new._live = self._live.copy()
        new._language = self._language.copy()
        new._category = self._category.copy()
        new._title_length = self._title_length.copy()
        new._body_length = self._body_length.copy()
        new._postings = self._postings.copy()
        new._vectors = None if self._vectors is None else self._vectors.copy()
        gone: dict[str, list[int]] = defaultdict(list)
        came: dict[str, list[tuple[int, int, int]]] = defaultdict(list)
        for doc_id in removals:
            slot = new._position.pop(doc_id, None)
            if slot is not None:
                new._vacate(slot, gone)
                new._free.append(slot)
        growth = sum(doc.row.doc_id not in new._position for doc in upserts) - len(new._free)
        if growth > 0:
            new._grow(growth)
        for doc in upserts:
            terms = _split_terms(doc.terms)
            frequencies = _frequencies(doc, len(terms)).tolist()
            if len(set(terms)) != len(terms):
                raise SearchInputError(f"terms: a term is repeated in document {doc.row.doc_id!r}")
            slot = new._position.get(doc.row.doc_id)
            if slot is None:
                slot = new._free.pop()
                new._position[doc.row.doc_id] = slot
            else:
                new._vacate(slot, gone)
            new._occupy(slot, doc, vectors.get(doc.row.doc_id))
            for term, (title_tf, body_tf) in zip(terms, frequencies, strict=True):
                if title_tf < 0 or body_tf < 0:
                    raise SearchInputError("frequencies: must not be negative")
                came[term].append((slot, title_tf, body_tf))
        for term in gone.keys() | came.keys():
            new._rebuild_term(term, gone.get(term, ()), came.get(term, ()))
        return new

    def _terms_per_slot(self) -> list[str | None]:
        """Each slot's terms text; derived once from the postings when this index was not built from
        stored rows."""
        if self._doc_terms is None:
            per_slot: list[list[str]] = [[] for _ in self._docs]
            for term in sorted(self._postings):
                for slot in self._postings[term][0].tolist():
                    per_slot[slot].append(term)
            self._doc_terms = [
                None if row is None else _TERM_SEPARATOR.join(terms)
                for row, terms in zip(self._docs, per_slot, strict=True)
            ]
        return self._doc_terms

    def _vacate(self, slot: int, gone: dict[str, list[int]]) -> None:
        row = self._docs[slot]
        assert row is not None and self._doc_terms is not None
        for term in _split_terms(self._doc_terms[slot] or ""):
            gone[term].append(slot)
        self._total_title -= row.title_length
        self._total_body -= row.body_length
        self._docs[slot] = None
        self._doc_terms[slot] = None
        self._live[slot] = False
        self._language[slot] = None
        self._category[slot] = None
        self._title_length[slot] = 0.0
        self._body_length[slot] = 0.0
        if self._vectors is not None:
            self._vectors[slot] = 0.0

    def _occupy(self, slot: int, doc: StoredDoc, vector: Sequence[float] | None) -> None:
        row = doc.row
        if row.language not in LANGUAGES:
            raise SearchInputError(f"language: {row.language!r} is not one of {LANGUAGES}")
        assert self._doc_terms is not None
        self._docs[slot] = row
        self._doc_terms[slot] = doc.terms
        self._live[slot] = True
        self._language[slot] = row.language
        self._category[slot] = row.category
        self._title_length[slot] = row.title_length
        self._body_length[slot] = row.body_length
        self._total_title += row.title_length
        self._total_body += row.body_length
        if self._vectors is not None and vector is not None:
            self._vectors[slot] = vector

    def _grow(self, count: int) -> None:
        assert self._doc_terms is not None
        start = len(self._docs)
        self._docs.extend([None] * count)
        self._doc_terms.extend([None] * count)
        self._free.extend(range(start + count - 1, start - 1, -1))  # popped from the end: lowest first
        self._live = np.concatenate((self._live, np.zeros(count, dtype=bool)))
        self._language = np.concatenate((self._language, np.full(count, None, dtype=object)))
        self._category = np.concatenate((self._category, np.full(count, None, dtype=object)))
        self._title_length = np.concatenate((self._title_length, np.zeros(count)))
        self._body_length = np.concatenate((self._body_length, np.zeros(count)))
        if self._vectors is not None:
            padding = np.zeros((count, self._vectors.shape[1]), dtype=self._vectors.dtype)
            self._vectors = np.concatenate((self._vectors, padding))

    def _rebuild_term(self, term: str, gone: Sequence[int], came: Sequence[tuple[int, int, int]]) -> None:
        old = self._postings.get(term)
        parts = []
        if old is not None:
            keep = ~np.isin(old[0], np.asarray(gone, dtype=np.int64)) if gone else slice(None)
            parts.append((old[0][keep], old[1][keep], old[2][keep]))
        if came:
            added = np.array(came, dtype=np.int64)
            parts.append((added[:, 0], added[:, 1].astype(np.float64), added[:, 2].astype(np.float64)))
        slots = np.concatenate([part[0] for part in parts])
        if not len(slots):
            self._postings[term] = None
            return
        order = np.argsort(slots, kind="stable")
        self._postings[term] = (
            slots[order],
            np.concatenate([part[1] for part in parts])[order],
            np.concatenate([part[2] for part in parts])[order],
        )

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

    def _compact(self) -> tuple[list[DocRow], dict[str, _Posting]]:
        """Documents without free slots, in slot order, and postings renumbered to match."""
        renumber = np.cumsum(self._live) - 1
        docs = [row for row in self._docs if row is not None]
        postings = {
            term: (renumber[slots], title_tf, body_tf)
            for term, (slots, title_tf, body_tf) in self._postings.items()
        }
        return docs, postings

    def to_rows(self) -> tuple[list[DocRow], list[PostingRow]]:
        """The rows this index holds (postings in term order), ready for a database table."""
        docs, grouped = self._compact()
        doc_ids = [row.doc_id for row in docs]
        postings = [
            PostingRow(term, doc_ids[i], int(title_tf), int(body_tf))
            for term in sorted(grouped)
            for i, title_tf, body_tf in zip(*grouped[term], strict=True)
        ]
        return docs, postings

    def to_json(self) -> str:
        """One JSON blob holding the whole index, postings grouped per term as parallel lists (document
        positions, title tf, body tf) so that loading needs no per-row objects."""
        docs, grouped = self._compact()
        vectors = (
            {}
            if self._vectors is None
            else {
                row.doc_id: self._vectors[i].tolist() for i, row in enumerate(self._docs) if row is not None
            }
        )
        postings = {
            term: [positions.tolist(), title_tf.astype(int).tolist(), body_tf.astype(int).tolist()]
            for term, (positions, title_tf, body_tf) in sorted(grouped.items())
        }
        rows = [[r.doc_id, r.language, r.category, r.title_length, r.body_length] for r in docs]
        return json.dumps({"docs": rows, "postings": postings, "vectors": vectors}, ensure_ascii=False)

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
        """Best articles for a query, highest score first (ties by id); `categories` restricts to those
        (already expanded to the subtree by the caller). With an embedder and stored vectors, hybrid."""
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
        mask = self._live.copy()
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
            if term not in self._postings and _typo_candidate(term) and len(term) <= _TYPO_MAX_LENGTH:
                correction = self._correct(term)
                if correction is not None:
                    weights[correction] = max(weights.get(correction, 0.0), config.typo_weight)
        return weights

    def _correct(self, term: str) -> str | None:
        """The most common indexed term at edit distance 1 (a transposition counts as 1). The query
        term's few hundred neighbours are looked up directly, so the index keeps no typo structure
        that a build or an update would have to pay for."""
        matches = [c for c in _one_edit(term) if c in self._postings and _typo_candidate(c)]
        return max(matches, key=lambda c: (len(self._postings[c][0]), c), default=None)

    def _lexical_scores(self, weights: dict[str, float], config: SearchConfig) -> np.ndarray:
        scores = np.zeros(len(self._docs))
        count = len(self._position)
        if not count:
            return scores
        lengths = self._body_length + config.title_boost * self._title_length
        # From exact integer totals, so the average does not depend on the order of the documents.
        average = max((self._total_body + config.title_boost * self._total_title) / count, 1.0)
        for term, weight in weights.items():
            if term not in self._postings:
                continue
            positions, title_tf, body_tf = self._postings[term]
            df = len(positions)
            idf = math.log(1.0 + (count - df + 0.5) / (df + 0.5))
            tf = body_tf + config.title_boost * title_tf
            norm = config.k1 * (1.0 - config.b + config.b * lengths[positions] / average)
            scores[positions] += weight * idf * tf * (config.k1 + 1.0) / (tf + norm)
        return scores

    def _top(self, scores: np.ndarray, limit: int) -> list[SearchHit]:
        ordered = self._ranked(scores, np.flatnonzero(scores > 0), limit)
        return [SearchHit(self._docs[i].doc_id, float(scores[i])) for i in ordered]

    def _ranked(self, values: np.ndarray, candidates: np.ndarray, limit: int) -> list[int]:
        """The `limit` best candidates, ties broken by id; every candidate tied with the last one taken
        competes, so the answer does not depend on where documents sit in the arrays."""
        if len(candidates) > limit:
            cutoff = -np.partition(-values[candidates], limit - 1)[limit - 1]
            candidates = candidates[values[candidates] >= cutoff]
        return sorted(candidates.tolist(), key=lambda i: (-values[i], self._docs[i].doc_id))[:limit]

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
        nearest = self._ranked(cosine, np.flatnonzero(allowed), _HYBRID_POOL)
        pool.update(self._docs[i].doc_id for i in nearest)
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


def _one_edit(term: str) -> set[str]:
    """Every lower-case word at Damerau distance exactly 1: one deletion, adjacent transposition,
    substitution or insertion."""
    cuts = [(term[:i], term[i:]) for i in range(len(term) + 1)]
    words = {head + rest[1:] for head, rest in cuts if rest}
    words.update(head + rest[1] + rest[0] + rest[2:] for head, rest in cuts if len(rest) > 1)
    words.update(head + letter + rest[1:] for head, rest in cuts if rest for letter in _TYPO_LETTERS)
    words.update(head + letter + rest for head, rest in cuts for letter in _TYPO_LETTERS)
    words.discard(term)
    return words


def _contains_phrase(terms: list[str], phrase: list[str]) -> bool:
    width = len(phrase)
    return width > 0 and any(terms[i : i + width] == phrase for i in range(len(terms) - width + 1))
