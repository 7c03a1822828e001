"""Scoped reads of the knowledge base: editors (knowledge:write) see every status, everyone else only
published articles; missing and hidden look the same (404)."""

from __future__ import annotations

from datetime import date

from sqlalchemy import ColumnElement, select, true
from sqlalchemy.orm import Session

from kefu.access.access import display_names
from kefu.access.actor import Actor
from kefu.access.permissions import Permission, allows
from kefu.access.scopes import one_in_scope
from kefu.channels.access import access_conversation_by_id
from kefu.core.errors import NotFound
from kefu.customers.access import access_customer_by_id
from kefu.knowledge.articles import category_subtree
from kefu.knowledge.lifecycle import ArticleStatus, parse_language, parse_status
from kefu.knowledge.models import Article, ArticleAttachment, ArticleCategory, ArticleVersion, Script


def article_scope(actor: Actor) -> ColumnElement[bool]:
    if allows(actor, Permission.knowledge_write):
        return true()
    return Article.status == ArticleStatus.published.value


def access_article_by_id(
    session: Session, actor: Actor, article_id: int, *, for_update: bool = False
) -> Article:
    query = select(Article).where(Article.id == article_id, article_scope(actor))
    return one_in_scope(
        session, query, f"article {article_id} not found", field="article_id", for_update=for_update
    )


def list_articles(
    session: Session,
    actor: Actor,
    *,
    status: str | None = None,
    language: str | None = None,
    category_id: int | None = None,
    owner_id: int | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[Article]:
    query = select(Article).where(article_scope(actor))
    if status is not None:
        query = query.where(Article.status == parse_status(status).value)
    if language is not None:
        query = query.where(Article.language == parse_language(language))
    if category_id is not None:
        query = query.where(Article.category_id.in_(category_subtree(session, category_id)))
    if owner_id is not None:
        query = query.where(Article.owner_id == owner_id)
    return list(
        session.scalars(
            query.order_by(Article.updated_at.desc(), Article.id.desc()).limit(limit).offset(offset)
        )
    )


def all_articles(
    session: Session, *, status: str | None = None, language: str | None = None
) -> list[Article]:
    """Every article (for export), oldest first."""
    query = select(Article)
    if status is not None:
        query = query.where(Article.status == parse_status(status).value)
    if language is not None:
        query = query.where(Article.language == parse_language(language))
    return list(session.scalars(query.order_by(Article.id)))


def stale_articles(session: Session, *, today: date, owner_id: int | None) -> list[Article]:
    """Articles not archived whose review-by date has passed, oldest due first; `owner_id` None: all."""
    query = select(Article).where(
        Article.review_by.is_not(None),
        Article.review_by < today,
        Article.status != ArticleStatus.archived.value,
    )
    if owner_id is not None:
        query = query.where(Article.owner_id == owner_id)
    return list(session.scalars(query.order_by(Article.review_by, Article.id)))


def article_versions(session: Session, article_id: int) -> list[ArticleVersion]:
    return list(
        session.scalars(
            select(ArticleVersion)
            .where(ArticleVersion.article_id == article_id)
            .order_by(ArticleVersion.number)
        )
    )


def article_version(session: Session, article_id: int, number: int, field: str) -> ArticleVersion:
    version = session.scalar(
        select(ArticleVersion).where(ArticleVersion.article_id == article_id, ArticleVersion.number == number)
    )
    if version is None:
        raise NotFound(f"{field}: article {article_id} has no version {number}", field=field)
    return version


def article_attachments(session: Session, article_id: int) -> list[ArticleAttachment]:
    return list(
        session.scalars(
            select(ArticleAttachment)
            .where(ArticleAttachment.article_id == article_id)
            .order_by(ArticleAttachment.id)
        )
    )


def access_attachment(session: Session, actor: Actor, public_id: str) -> ArticleAttachment:
    query = (
        select(ArticleAttachment)
        .join(Article, Article.id == ArticleAttachment.article_id)
        .where(ArticleAttachment.public_id == public_id, article_scope(actor))
    )
    return one_in_scope(session, query, "attachment not found", field="public_id")


def categories(session: Session) -> list[ArticleCategory]:
    return list(session.scalars(select(ArticleCategory).order_by(ArticleCategory.id)))


def list_scripts(
    session: Session, *, language: str | None = None, scenario: str | None = None, limit: int = 100
) -> list[Script]:
    query = select(Script)
    if language is not None:
        query = query.where(Script.language == parse_language(language))
    if scenario is not None:
        query = query.where(Script.scenario == scenario)
    return list(session.scalars(query.order_by(Script.scenario, Script.id).limit(limit)))


def conversation_variables(session: Session, actor: Actor, conversation_id: int) -> dict[str, str]:
    """Script variables a conversation fills: the customer's name and tier, the agent's name, its id.
    The conversation must be in the actor's reach (else 404); an order id is not known to kefu's
    customer model, so it comes from the agent (the render request's `variables`)."""
    conversation = access_conversation_by_id(session, actor, conversation_id)
    customer = access_customer_by_id(session, actor, conversation.customer_id)
    agent_name = display_names(session, [actor.user_id]).get(actor.user_id, "")
    return {
        "customer_name": customer.name,
        "customer_tier": customer.tier,
        "customer_language": customer.language,
        "agent_name": agent_name,
        "conversation_id": conversation.public_id,
    }
