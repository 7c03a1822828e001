"""Knowledge-base articles in scenario categories."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, String, Text
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
    body: Mapped[str] = mapped_column(Text)  # Markdown, rendered safely
    language: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(20), default="draft", index=True)
    category_id: Mapped[int | None] = mapped_column(ForeignKey("article_categories.id"), nullable=True)
    tags: Mapped[list[str]] = mapped_column(JSON, default=list)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    review_by: Mapped[date | None] = mapped_column(Date, nullable=True)
    created_at: Mapped[datetime]
    updated_at: Mapped[datetime]
