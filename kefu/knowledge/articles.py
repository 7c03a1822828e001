"""Reading the knowledge base for agents and the bot: search over published articles only."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from kefu.core.errors import InvalidInput
from kefu.knowledge.index import load_index
from kefu.knowledge.lifecycle import ArticleStatus, parse_language
from kefu.knowledge.models import Article, ArticleCategory
from kefu.knowledge.search import SearchInputError

SNIPPET_CHARS = 160


@dataclass(frozen=True)
class ArticleHit:
    id: int
    title: str
    language: str
    category_id: int | None
    snippet: str  # plain text (Markdown source), never markup: show it escaped
    score: float


def snippet(body: str, length: int = SNIPPET_CHARS) -> str:
    text = " ".join(line.strip(" #>*-") for line in body.splitlines() if line.strip())
    return text if len(text) <= length else text[: length - 1] + "…"


def category_subtree(session: Session, category_id: int) -> list[int]:
    """A category and all categories below it."""
    children: dict[int | None, list[int]] = {}
    for cid, parent in session.execute(select(ArticleCategory.id, ArticleCategory.parent_id)):
        children.setdefault(parent, []).append(cid)
    result, todo = [], [category_id]
    while todo:
        current = todo.pop()
        if current in result:
            continue
        result.append(current)
        todo.extend(children.get(current, []))
    return result


def search_published(
    session: Session,
    query: str,
    language: str | None = None,
    limit: int = 10,
    category_id: int | None = None,
) -> list[ArticleHit]:
    """Published articles best matching `query` (BM25, title boost, synonyms, English typo tolerance),
    optionally in one language and one category subtree. Drafts, reviews and archives never appear."""
    lang = None if language is None else parse_language(language)
    categories = None if category_id is None else [str(c) for c in category_subtree(session, category_id)]
    try:
        hits = load_index(session).search(query, limit=limit, language=lang, categories=categories)
    except SearchInputError as error:
        field = str(error).split(":", 1)[0]
        raise InvalidInput(str(error), field=field) from None
    if not hits:
        return []
    ids = [int(hit.doc_id) for hit in hits]
    # Columns only, and only the opening of each body: a hit list must not load whole long articles.
    rows = {
        row[0]: row
        for row in session.execute(
            select(
                Article.id, Article.title, Article.language, Article.category_id,
                func.substr(Article.body, 1, SNIPPET_CHARS * 3),
            ).where(Article.id.in_(ids), Article.status == ArticleStatus.published.value)
        )
    }  # fmt: skip
    return [
        ArticleHit(row[0], row[1], row[2], row[3], snippet(row[4] or ""), hit.score)
        for hit in hits
        if (row := rows.get(int(hit.doc_id))) is not None
    ]
