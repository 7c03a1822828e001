"""Knowledge base (articles in scenario categories, their versions, attachments and search rows) and the
script library (话术库)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from kefu.core.db import Base


class ArticleCategory(Base):
    """A scenario category; categories form a tree through `parent_id`."""

    __tablename__ = "article_categories"
    id: Mapped[int] = mapped_column(primary_key=True)
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("article_categories.id"), nullable=True)
    name: Mapped[str] = mapped_column(String(120))


class Article(Base):
    __tablename__ = "articles"
    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)  # Markdown, rendered safely (kefu.knowledge.markdown)
    language: Mapped[str] = mapped_column(String(10))  # "zh" or "en"
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("article_categories.id"), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    review_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    # Number of the latest ArticleVersion; every edit adds one.
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]


class ArticleVersion(Base):
    """The content of an article as one edit left it (number 1 is the text it was created with)."""

    __tablename__ = "article_versions"
    __table_args__ = (UniqueConstraint("article_id", "number", name="uq_article_version"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    number: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10))
    category_id: Mapped[int | None] = mapped_column(ForeignKey("article_categories.id"), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    editor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime]


class ArticleAttachment(Base):
    """A file attached to an article, fetched by an unguessable id and always served as a download."""

    __tablename__ = "article_attachments"
    id: Mapped[int] = mapped_column(primary_key=True)
    public_id: Mapped[str] = mapped_column(String(32), unique=True)
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), index=True)
    filename: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    size: Mapped[int] = mapped_column(Integer)
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime]


class ArticleSearchDoc(Base):
    """One article in the search index: its `DocRow` and its postings in the stored form of
    `kefu.knowledge.search.StoredDoc` (distinct terms joined by a new line; per term the title and body
    frequency as little-endian int32 pairs).

    Written when an article is published or changed while published; when it leaves published the row
    stays as a tombstone (`removed`, no terms). `generation` is the index generation that last wrote the
    row, so a process holding generation g reads only the rows written after g.
    """

    __tablename__ = "article_search_docs"
    article_id: Mapped[int] = mapped_column(ForeignKey("articles.id"), primary_key=True, autoincrement=False)
    language: Mapped[str] = mapped_column(String(10))
    category: Mapped[str | None] = mapped_column(String(20), nullable=True)
    title_length: Mapped[int] = mapped_column(Integer)
    body_length: Mapped[int] = mapped_column(Integer)
    terms: Mapped[str] = mapped_column(Text)
    frequencies: Mapped[bytes] = mapped_column(LargeBinary)
    generation: Mapped[int] = mapped_column(Integer, index=True)
    removed: Mapped[bool] = mapped_column(Boolean, default=False)


class KnowledgeIndexState(Base):
    """A single row whose `generation` grows with every index change: processes reload their in-memory
    index when the number they hold is older."""

    __tablename__ = "knowledge_index_state"
    id: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    generation: Mapped[int] = mapped_column(Integer, default=0)
    token: Mapped[str] = mapped_column(String(32))  # random, set when the row is created


class Script(Base):
    """A canned reply (话术) with {variables}, found by its shortcut (`/refund`), title or text."""

    __tablename__ = "scripts"
    __table_args__ = (UniqueConstraint("language", "shortcut", name="uq_script_shortcut"),)
    id: Mapped[int] = mapped_column(primary_key=True)
    scenario: Mapped[str] = mapped_column(String(30), index=True)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(10), index=True)
    shortcut: Mapped[str | None] = mapped_column(String(40), nullable=True)
    usage_count: Mapped[int] = mapped_column(Integer, default=0)
    last_used_at: Mapped[datetime | None] = mapped_column(nullable=True)
    # Bumped on every edit, so cached suggestion indexes notice the change.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
