"""The composition root: settings, database engine, session factory and event bus of one process."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from kefu.core import migrate
from kefu.core.config import Settings
from kefu.core.db import make_engine
from kefu.core.dialect import WRITE_OPTION
from kefu.core.events import BUS_KEY, EventBus, make_bus
from kefu.core.writer import GroupWriter


@dataclass
class Runtime:
    settings: Settings
    engine: Engine
    sessions: sessionmaker[Session]  # for reads
    write_sessions: sessionmaker[Session]  # for units of work that change data
    bus: EventBus
    # Units of work of concurrent requests, committed together on SQLite (kefu.core.writer).
    writer: GroupWriter = field(init=False)

    database: str = field(init=False)  # the database's URL (password masked), e.g. as a cache key

    def __post_init__(self) -> None:
        self.writer = GroupWriter(self.write_sessions)
        self.database = str(self.engine.url)

    def close(self) -> None:
        self.bus.close()
        self.engine.dispose()


def open_runtime(settings: Settings, *, run_migrations: bool = True) -> Runtime:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    settings.signing_key  # noqa: B018 - creates the installation's secret on first start
    engine = make_engine(settings.sqlalchemy_url)
    if run_migrations:
        migrate.upgrade(engine)
    bus = make_bus(settings.redis_url)
    # Every session carries the bus, so events queued in it are published after its commit.
    sessions = sessionmaker(bind=engine, expire_on_commit=False, info={BUS_KEY: bus})
    write_sessions = sessionmaker(
        bind=engine.execution_options(**{WRITE_OPTION: True}), expire_on_commit=False, info={BUS_KEY: bus}
    )
    return Runtime(
        settings=settings, engine=engine, sessions=sessions, write_sessions=write_sessions, bus=bus
    )
