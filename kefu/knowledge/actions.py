"""The only writers of the knowledge base: categories, articles (each edit a new version), status changes
(with the search index kept in step), attachments and imports."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.models import User
from kefu.channels.files import SAFE_TYPES, check_upload, safe_filename
from kefu.core import clock
from kefu.core.errors import Conflict, InvalidInput, NotFound
from kefu.core.events import Event, send_event_on_commit
from kefu.core.ids import public_id
from kefu.knowledge.index import do_index_article, do_unindex_article
from kefu.knowledge.lifecycle import (
    ArticleStatus,
    check_transition,
    clean_tags,
    parse_language,
    parse_status,
)
from kefu.knowledge.models import Article, ArticleAttachment, ArticleCategory, ArticleVersion
from kefu.knowledge.transfer import MAX_BODY, MAX_TITLE, ArticleRecord

MAX_ATTACHMENT_BYTES = 10 * 1024 * 1024
ATTACHMENT_TYPES = SAFE_TYPES | {
    "text/csv", "application/zip", "application/msword", "application/vnd.ms-excel",
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}  # fmt: skip
EDITABLE = ("title", "body", "language", "category_id", "tags", "owner_id", "review_by")


def _check_title_body(title: str, body: str) -> tuple[str, str]:
    title = (title or "").strip()
    if not title:
        raise InvalidInput("title: must not be empty", field="title")
    if len(title) > MAX_TITLE:
        raise InvalidInput(f"title: longer than {MAX_TITLE} characters", field="title")
    if len(body or "") > MAX_BODY:
        raise InvalidInput(f"body: longer than {MAX_BODY} characters", field="body")
    return title, body or ""


def _check_category(session: Session, category_id: int | None) -> int | None:
    if category_id is not None and session.get(ArticleCategory, category_id) is None:
        raise InvalidInput(f"category_id: no category {category_id}", field="category_id")
    return category_id


def _check_owner(session: Session, owner_id: int | None) -> int | None:
    if owner_id is not None and session.get(User, owner_id) is None:
        raise InvalidInput(f"owner_id: no user {owner_id}", field="owner_id")
    return owner_id


def do_create_category(session: Session, *, name: str, parent_id: int | None = None) -> ArticleCategory:
    name = (name or "").strip()
    if not name or len(name) > 120 or "/" in name:
        raise InvalidInput("name: 1–120 characters without '/'", field="name")
    _check_category(session, parent_id)
    existing = session.scalar(
        select(ArticleCategory).where(ArticleCategory.name == name, ArticleCategory.parent_id.is_(parent_id))
        if parent_id is None
        else select(ArticleCategory).where(
            ArticleCategory.name == name, ArticleCategory.parent_id == parent_id
        )
    )
    if existing is not None:
        return existing
    category = ArticleCategory(name=name, parent_id=parent_id)
    session.add(category)
    session.flush()
    return category


def do_ensure_category_path(session: Session, path: Sequence[str]) -> int | None:
    """The id of the category at a path of names (创建 missing ones), or None for an empty path."""
    parent: int | None = None
    for name in path:
        parent = do_create_category(session, name=name, parent_id=parent).id
    return parent


def category_paths(session: Session) -> dict[int, tuple[str, ...]]:
    rows = {cid: (parent, name) for cid, parent, name in session.execute(
        select(ArticleCategory.id, ArticleCategory.parent_id, ArticleCategory.name)
    )}  # fmt: skip
    paths: dict[int, tuple[str, ...]] = {}

    def path(cid: int, seen: frozenset[int] = frozenset()) -> tuple[str, ...]:
        if cid in paths:
            return paths[cid]
        parent, name = rows[cid]
        result = (path(parent, seen | {cid}) if parent is not None and parent not in seen else ()) + (name,)
        paths[cid] = result
        return result

    for cid in rows:
        path(cid)
    return paths


def _add_version(session: Session, article: Article, editor_id: int | None, now: datetime) -> None:
    session.add(
        ArticleVersion(
            article_id=article.id, number=article.version, title=article.title, body=article.body,
            language=article.language, category_id=article.category_id, tags=list(article.tags),
            editor_id=editor_id, created_at=now,
        )
    )  # fmt: skip
    session.flush()


def _published(session: Session, article: Article, kind: str) -> None:
    send_event_on_commit(
        session, Event(f"knowledge.article_{kind}", {"article": article.id, "language": article.language}, ())
    )


def do_create_article(
    session: Session,
    *,
    title: str,
    body: str,
    language: str,
    editor_id: int | None,
    category_id: int | None = None,
    tags: Iterable[str] = (),
    owner_id: int | None = None,
    review_by: date | None = None,
    status: str = ArticleStatus.draft.value,
    now: datetime | None = None,
) -> Article:
    """A new article (version 1); `status` other than draft is for imports of already reviewed text."""
    now = now or clock.now()
    title, body = _check_title_body(title, body)
    article = Article(
        title=title, body=body, language=parse_language(language), status=parse_status(status).value,
        category_id=_check_category(session, category_id), tags=clean_tags(list(tags)),
        owner_id=_check_owner(session, owner_id) if owner_id is not None else editor_id,
        review_by=review_by, version=1, created_at=now, updated_at=now,
    )  # fmt: skip
    session.add(article)
    session.flush()
    _add_version(session, article, editor_id, now)
    if article.status == ArticleStatus.published:
        do_index_article(session, article)
        _published(session, article, "published")
    return article


def do_update_article(
    session: Session,
    article: Article,
    changes: Mapping[str, Any],
    *,
    editor_id: int | None,
    now: datetime | None = None,
) -> Article:
    """Apply changed fields; a change of title, body, language, category or tags is a new version. A
    published article stays published and its search rows follow the new text at once."""
    unknown = sorted(set(changes) - set(EDITABLE))
    if unknown:
        raise InvalidInput(f"{unknown[0]}: cannot be changed here", field=unknown[0])
    if article.status == ArticleStatus.archived:
        raise Conflict(
            "status: an archived article is not edited; move it back to draft first",
            code="archived",
            field="status",
        )
    now = now or clock.now()
    title, body = _check_title_body(changes.get("title", article.title), changes.get("body", article.body))
    new = {
        "title": title,
        "body": body,
        "language": parse_language(changes.get("language", article.language)),
        "category_id": _check_category(session, changes.get("category_id", article.category_id)),
        "tags": clean_tags(changes.get("tags", article.tags) or []),
    }
    content_changed = any(getattr(article, key) != value for key, value in new.items())
    for key, value in new.items():
        setattr(article, key, value)
    if "owner_id" in changes:
        article.owner_id = _check_owner(session, changes["owner_id"])
    if "review_by" in changes:
        article.review_by = changes["review_by"]
    article.updated_at = now
    if content_changed:
        article.version += 1
        _add_version(session, article, editor_id, now)
        if article.status == ArticleStatus.published:
            do_index_article(session, article)
            _published(session, article, "changed")
    session.flush()
    return article


def do_change_status(
    session: Session, article: Article, target: str, *, editor_id: int | None, now: datetime | None = None
) -> Article:
    """Move an article along its life cycle (409 naming the allowed statuses for a wrong move)."""
    new = check_transition(article.status, target)
    was_published = article.status == ArticleStatus.published
    article.status = new.value
    article.updated_at = now or clock.now()
    session.flush()
    if new == ArticleStatus.published:
        do_index_article(session, article)
        _published(session, article, "published")
    elif was_published:
        do_unindex_article(session, article.id)
        _published(session, article, "withdrawn")
    return article


def do_add_attachment(
    session: Session,
    article: Article,
    *,
    filename: str | None,
    content_type: str,
    data: bytes,
    uploaded_by: int | None,
    now: datetime | None = None,
) -> ArticleAttachment:
    content_type = (content_type or "application/octet-stream").split(";", 1)[0].strip().lower()
    check_upload(len(data), content_type, max_bytes=MAX_ATTACHMENT_BYTES, allowed=ATTACHMENT_TYPES)
    attachment = ArticleAttachment(
        public_id=public_id(), article_id=article.id, filename=safe_filename(filename),
        content_type=content_type, size=len(data), data=data, uploaded_by=uploaded_by,
        created_at=now or clock.now(),
    )  # fmt: skip
    session.add(attachment)
    session.flush()
    return attachment


def do_import_records(
    session: Session, records: Iterable[ArticleRecord], *, editor_id: int | None, now: datetime | None = None
) -> tuple[int, int]:
    """Create or update articles from import records, matching existing ones by (title, language).
    Returns (created, updated). The whole import is one transaction: the caller commits or not."""
    now = now or clock.now()
    created = updated = 0
    for record in records:
        category_id = do_ensure_category_path(session, record.category)
        existing = session.scalar(
            select(Article).where(Article.title == record.title, Article.language == record.language).limit(1)
        )
        if existing is None:
            do_create_article(
                session, title=record.title, body=record.body, language=record.language, editor_id=editor_id,
                category_id=category_id, tags=record.tags, review_by=record.review_by, status=record.status,
                now=now,
            )  # fmt: skip
            created += 1
            continue
        if existing.status == ArticleStatus.archived and record.status != ArticleStatus.archived:
            do_change_status(session, existing, ArticleStatus.draft, editor_id=editor_id, now=now)
        changes = {"body": record.body, "category_id": category_id, "tags": list(record.tags)}
        if record.review_by is not None:
            changes["review_by"] = record.review_by
        if existing.status != ArticleStatus.archived:
            do_update_article(session, existing, changes, editor_id=editor_id, now=now)
        _move_to(session, existing, record.status, editor_id, now)
        updated += 1
    return created, updated


def _move_to(session: Session, article: Article, status: str, editor_id: int | None, now: datetime) -> None:
    """Reach `status` through allowed steps (an import states where an article should end up)."""
    paths = {
        ("draft", "in_review"): ["in_review"], ("draft", "published"): ["in_review", "published"],
        ("draft", "archived"): ["archived"], ("in_review", "draft"): ["draft"],
        ("in_review", "published"): ["published"], ("in_review", "archived"): ["draft", "archived"],
        ("published", "draft"): ["draft"], ("published", "in_review"): ["draft", "in_review"],
        ("published", "archived"): ["archived"], ("archived", "draft"): ["draft"],
        ("archived", "in_review"): ["draft", "in_review"],
        ("archived", "published"): ["draft", "in_review", "published"],
    }  # fmt: skip
    for step in paths.get((article.status, status), []):
        do_change_status(session, article, step, editor_id=editor_id, now=now)


def export_records(session: Session, articles: Iterable[Article]) -> list[ArticleRecord]:
    paths = category_paths(session)
    return [
        ArticleRecord(
            title=a.title,
            language=a.language,
            body=a.body,
            category=paths.get(a.category_id, ()) if a.category_id is not None else (),
            tags=tuple(a.tags or ()),
            status=a.status,
            review_by=a.review_by,
        )  # fmt: skip
        for a in articles
    ]


def article_by_id(session: Session, article_id: int) -> Article:
    article = session.get(Article, article_id)
    if article is None:
        raise NotFound(f"article {article_id} not found", field="article_id")
    return article
