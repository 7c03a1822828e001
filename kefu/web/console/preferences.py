"""The console preferences a user keeps in their profile (the only writer of `users.language`)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from kefu.access.actor import Actor
from kefu.access.models import User
from kefu.core import i18n
from kefu.core.errors import InvalidInput


def do_set_language(session: Session, actor: Actor, language: str) -> None:
    """Store the console language of the signed-in user; it wins over the browser's Accept-Language."""
    if language not in i18n.LANGUAGES:
        raise InvalidInput(f"language: {i18n.unsupported_message(language)}", field="language")
    user = session.get(User, actor.user_id)
    if user is None:
        raise InvalidInput(f"user {actor.user_id} does not exist", field="user_id")
    user.language = language
