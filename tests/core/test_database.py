from datetime import UTC, datetime

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import select

from kefu.access.models import Team, User
from kefu.core import migrate
from kefu.core.db import make_engine, once_per_transaction
from kefu.core.registry import metadata


def test_migrations_match_the_models(runtime):
    """A model change without its migration fails here, on every backend."""
    with runtime.engine.connect() as connection:
        diff = compare_metadata(MigrationContext.configure(connection, opts={"compare_type": True}), metadata)
    assert diff == []
    assert migrate.is_current(runtime.engine)


def test_datetimes_come_back_aware_utc(runtime):
    created = datetime(2026, 5, 1, 12, 30, tzinfo=UTC)
    with runtime.sessions() as session, session.begin():
        session.add(User(username="u1", display_name="U", role="agent", created_at=created))
    with runtime.sessions() as session:
        stored = session.scalar(select(User.created_at))
    assert stored == created and stored.tzinfo is not None


def test_naive_datetimes_are_refused(runtime):
    with pytest.raises(Exception, match="naive datetime"), runtime.sessions() as session, session.begin():
        session.add(User(username="u2", display_name="U", role="agent", created_at=datetime(2026, 5, 1)))


def test_foreign_keys_are_enforced(runtime):
    with pytest.raises(Exception, match="(?i)foreign key"), runtime.sessions() as session, session.begin():
        session.add(
            User(username="u3", display_name="U", role="agent", team_id=999, created_at=datetime.now(UTC))
        )


def test_sqlite_runs_in_wal_mode(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()


def test_fresh_database_reports_pending_then_current(tmp_path):
    engine = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
    assert not migrate.is_current(engine)
    migrate.upgrade(engine)
    assert migrate.is_current(engine)
    with engine.begin() as connection:
        connection.execute(Team.__table__.insert().values(code="a", name="A"))
    migrate.upgrade(engine)  # idempotent
    engine.dispose()


def test_once_per_transaction_loads_again_in_the_next_transaction(runtime):
    loads = []

    def load():
        loads.append(1)
        return len(loads)

    with runtime.sessions() as session:
        with session.begin():
            first = once_per_transaction(session, "test.memo", load)
            assert once_per_transaction(session, "test.memo", load) == first == 1
        with session.begin():
            assert once_per_transaction(session, "test.memo", load) == 2
