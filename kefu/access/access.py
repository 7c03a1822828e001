"""Reads of people and credentials for the access API (the routers build no SQL themselves)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.models import ApiToken, User
from kefu.access.scopes import user_scope
from kefu.core.errors import Unauthenticated


def access_me(session: Session, actor: Actor) -> User:
    user = session.get(User, actor.user_id)
    if user is None:  # deleted between authentication and now
        raise Unauthenticated("signed out; sign in again", code="signed_out")
    return user


def list_api_tokens(session: Session) -> Sequence[ApiToken]:
    """Every token, newest last; the raw values are not stored, so none can be shown again."""
    return session.scalars(select(ApiToken).order_by(ApiToken.id)).all()


def list_users(session: Session, actor: Actor, *, limit: int, after_id: int = 0) -> Sequence[User]:
    query = select(User).where(user_scope(actor), User.id > after_id).order_by(User.id).limit(limit)
    return session.scalars(query).all()
