"""The server's WAL checkpoints: committed rows reach the database file itself from a background thread,
without any COMMIT doing that work."""

import sqlite3
import time

from sqlalchemy import text

from kefu.core.db import make_engine
from kefu.core.dialect import start_wal_checkpoints


def _rows_in_the_database_file(path) -> int:
    """What the main file holds, ignoring the log (an immutable reader does not look at the WAL)."""
    with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as reader:
        return reader.execute("SELECT count(*) FROM notes").fetchone()[0]


def test_the_log_is_copied_into_the_database_file_by_the_checkpoint_thread(tmp_path):
    path = tmp_path / "kefu.db"
    engine = make_engine(f"sqlite:///{path}")
    with engine.begin() as connection:
        connection.execute(text("CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT)"))
    with engine.connect() as connection:
        connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")  # the table itself in the file
    with engine.begin() as connection:  # ~15 pages: far below the automatic checkpoint's 1,000
        connection.execute(text("INSERT INTO notes (body) VALUES (:b)"), [{"b": "x" * 100}] * 500)
    assert _rows_in_the_database_file(path) == 0  # committed, but still only in the log
    stop = start_wal_checkpoints(engine, interval=0.02)
    try:
        deadline = time.monotonic() + 10
        while _rows_in_the_database_file(path) != 500 and time.monotonic() < deadline:
            time.sleep(0.02)
        assert _rows_in_the_database_file(path) == 500
    finally:
        stop()
        engine.dispose()


def test_other_databases_need_no_checkpoint_thread():
    engine = make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none")  # never connected to
    assert start_wal_checkpoints(engine) is None
