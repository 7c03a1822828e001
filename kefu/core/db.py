"""Engine, sessions and the declarative base every domain's models build on."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import DateTime, Engine, MetaData, create_engine
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.types import TypeDecorator

from kefu.core.clock import as_utc
from kefu.core.dialect import configure_engine, engine_options

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """Stores UTC and always gives back an aware UTC datetime, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; kefu stores aware UTC instants")
        return as_utc(value).replace(tzinfo=None) if dialect.name == "sqlite" else as_utc(value)

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        return None if value is None else as_utc(value)


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING)
    type_annotation_map = {datetime: UtcDateTime()}


def make_engine(url: str) -> Engine:
    engine = create_engine(url, **engine_options(url))
    configure_engine(engine)
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(bind=engine, expire_on_commit=False)


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """One unit of work: commit on success, roll back on error (events publish only after commit)."""
    with factory() as session, session.begin():
        yield session


T = TypeVar("T")


def once_per_transaction(session: Session, key: str, load: Callable[[], T]) -> T:
    """`load()` once per transaction of `session`, kept in `session.info[key]`: the units of work a group
    commit runs in one transaction share it, and the next transaction reads it again (so what was
    committed meanwhile is seen). Whoever edits what it holds pops `key`."""
    transaction = session.get_transaction()
    held = session.info.get(key)
    if held is not None and transaction is not None and held[0] is transaction:
        return held[1]
    value = load()
    session.info[key] = (transaction, value)
    return value
