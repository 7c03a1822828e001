"""Insert a row whose unique key says "this happens once", tolerating that it already happened."""

from __future__ import annotations

from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from kefu.core.db import Base


def insert_once(session: Session, row: Base) -> bool:
    """Insert `row` inside a SAVEPOINT; False when its unique key is already taken (another sweeper, an
    earlier pass, a repeated request), leaving the outer transaction usable."""
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True
