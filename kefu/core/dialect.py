"""The one module that knows which database it talks to.

Everything SQLite-only or PostgreSQL-only lives here, so the rest of kefu is portable SQL(Alchemy).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, Engine, event, text
from sqlalchemy.orm import Session


def configure_engine(engine: Engine) -> None:
    """Per-connection settings each backend needs."""
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
        # pysqlite's own transaction handling defers BEGIN badly; take control so BEGIN is explicit.
        event.listen(engine, "begin", _sqlite_begin)


WRITE_OPTION = "kefu_write"
# How often the server copies SQLite's write-ahead log back into the database file (see below).
CHECKPOINT_SECONDS = 0.1
log = logging.getLogger(__name__)


def start_wal_checkpoints(engine: Engine, interval: float = CHECKPOINT_SECONDS) -> Callable[[], None] | None:
    """SQLite: checkpoint the write-ahead log from a thread of its own; returns how to stop it.

    Left to itself, SQLite checkpoints inside whichever COMMIT makes the log pass 1,000 pages — on the
    server, the event loop committing a batch of chat messages, which then waits for the page copies and
    their fsyncs (1-6 ms, several times a second at thousands of messages per second). A PASSIVE checkpoint
    every `interval` from this thread keeps the log short, so commits rarely trigger one, and its work runs
    beside the loop (sqlite3 releases the GIL while it copies and syncs). It never blocks a writer. The
    automatic checkpoint stays on as the safety net. None (nothing to do) for other databases.
    """
    if engine.dialect.name != "sqlite":
        return None
    stop = threading.Event()

    def run() -> None:
        while not stop.wait(interval):
            try:
                with engine.connect() as connection:
                    connection.exec_driver_sql("PRAGMA wal_checkpoint(PASSIVE)")
            except Exception:  # noqa: BLE001 - a failed checkpoint is retried on the next tick
                log.exception("WAL checkpoint failed")

    thread = threading.Thread(target=run, name="kefu-wal-checkpoint", daemon=True)
    thread.start()

    def stop_checkpoints() -> None:
        stop.set()
        thread.join(timeout=5)

    return stop_checkpoints


def out_of_range_errors() -> tuple[type[Exception], ...]:
    """The exception types a refused out-of-range integer arrives as (see `number_out_of_range`)."""
    from sqlalchemy.exc import DataError

    types: list[type[Exception]] = [OverflowError, DataError]
    try:
        from psycopg.errors import NumericValueOutOfRange  # raw, from prepared statements
    except ImportError:  # an installation without PostgreSQL's driver
        pass
    else:
        types.append(NumericValueOutOfRange)
    return tuple(types)


def number_out_of_range(exc: BaseException) -> bool:
    """Whether the database refused an integer it cannot hold (beyond 64 bits): SQLite's driver cannot
    bind it (OverflowError), PostgreSQL refuses it (numeric_value_out_of_range, SQLSTATE 22003)."""
    if isinstance(exc, OverflowError):
        return "SQLite INTEGER" in str(exc)
    driver_error = getattr(exc, "orig", exc)  # SQLAlchemy wraps it; prepared statements do not
    return getattr(driver_error, "sqlstate", None) == "22003"


def in_process_database(engine: Engine) -> bool:
    """True for SQLite: a library inside this process, so its work is this process's CPU (no network wait)
    and handing it to another thread gains no parallelism under the GIL, only hand-off delays."""
    return engine.dialect.name == "sqlite"


def _sqlite_begin(conn: Any) -> None:
    # A transaction that reads and then writes must take the write lock at BEGIN: upgrading a WAL read
    # snapshot later fails at once with "database is locked" when another writer got there first,
    # whatever the busy timeout. Read-only work keeps a plain BEGIN so readers never queue.
    immediate = conn.get_execution_options().get(WRITE_OPTION)
    conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the single writer; NORMAL sync is durable across process crashes.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def engine_options(url: str) -> dict[str, Any]:
    if url.startswith("sqlite"):
        return {"connect_args": {"check_same_thread": False, "timeout": 10}}
    return {"pool_size": 10, "max_overflow": 20, "pool_pre_ping": True}


def try_advisory_lock(connection: Connection, key: int) -> bool:
    """Leader election: a PostgreSQL session advisory lock, held for as long as `connection` stays open.

    SQLite has a single writer and no such locks: every process may lead (see kefu.routing.leader).
    """
    if connection.dialect.name != "postgresql":
        return True
    locked = bool(connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
    connection.commit()  # the lock belongs to the connection, not to this transaction
    return locked


def release_advisory_lock(connection: Connection, key: int) -> None:
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        connection.commit()


def lock_for_transaction(session: Session, key: int) -> None:
    """Serialise writers of one thing (e.g. the audit hash chain) until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite: write transactions already run one at a time
    (BEGIN IMMEDIATE), so there is nothing to take.
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": key})


def reset_sequences(session: Session, tables: list[str]) -> None:
    """After rows were inserted with explicit ids, move PostgreSQL's id sequences past them."""
    if session.get_bind().dialect.name != "postgresql":
        return
    for table in tables:
        session.execute(
            text(
                f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                f"COALESCE((SELECT MAX(id) FROM {table}), 1))"
            )
        )
