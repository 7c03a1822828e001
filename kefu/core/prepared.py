"""Core statements compiled once per dialect and run straight on the driver's cursor.

The hottest paths (the live-chat writer, ticket creation) run the same few statements thousands of times
a second. Through SQLAlchemy's `execute`, each run builds cache keys, expands IN lists, passes every value
of every row through the bind processors and wraps the cursor in a result; that cost more than SQLite's
own work (measured: ~25 µs per message, plus ~25 µs per statement). Here the SQL text comes from
SQLAlchemy once per dialect (so it stays portable: SQLite and PostgreSQL) and runs on a cursor of the
connection's own driver connection, inside its transaction; values go to the driver as they are, except
those of processed types (a timestamp), each distinct value converted once per call. Rows come back as
the driver's tuples: select plain columns only.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from operator import itemgetter
from typing import Any

from sqlalchemy import BindParameter, ClauseElement, Connection, Dialect, bindparam

Params = Mapping[str, Any]
IN_SIZES = tuple(2**n for n in range(11))  # IN lists are padded to these sizes: few distinct statements


class Prepared:
    """One statement; `build(size)` makes it for an IN list of `size` values (or ignores `size`)."""

    def __init__(self, build: Callable[[int], ClauseElement]) -> None:
        self._build = build
        self._compiled: dict[tuple[type[Dialect], str, int], _Compiled] = {}

    def execute(self, connection: Connection, params: Params, *, size: int = 0) -> list[Any]:
        """The rows, as the driver's tuples."""
        compiled = self._for(connection.dialect, size)
        cursor = connection.connection.cursor()  # the driver's, inside the connection's transaction
        try:
            cursor.execute(compiled.sql, compiled.driver_params(params))
            return cursor.fetchall() if cursor.description else []
        finally:
            cursor.close()

    def executemany(self, connection: Connection, rows: Sequence[Params]) -> None:
        compiled = self._for(connection.dialect, 0)
        cursor = connection.connection.cursor()
        try:
            cursor.executemany(compiled.sql, compiled.driver_rows(rows))
        finally:
            cursor.close()

    def _for(self, dialect: Dialect, size: int) -> _Compiled:
        key = (type(dialect), dialect.paramstyle, size)
        compiled = self._compiled.get(key)
        if compiled is None:
            compiled = self._compiled[key] = _Compiled(self._build(size), dialect)
        return compiled


def in_list(prefix: str, size: int) -> list[BindParameter[Any]]:
    """`size` bind parameters for an IN list (`prefix0`, `prefix1`, …), filled by `in_values`."""
    return [bindparam(f"{prefix}{i}") for i in range(size)]


def in_size(count: int) -> int:
    """The padded size of an IN list of `count` values."""
    return next((size for size in IN_SIZES if size >= count), count)


def in_values(prefix: str, values: Iterable[Any]) -> tuple[int, dict[str, Any]]:
    """(size, parameters) of an IN list; padded by repeating the last value, which IN ignores."""
    listed = list(values)
    size = in_size(len(listed))
    listed += listed[-1:] * (size - len(listed))
    return size, {f"{prefix}{i}": value for i, value in enumerate(listed)}


class _Compiled:
    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        self.sql = compiled.string
        names = list(compiled.positiontup or compiled.binds)
        processors = {
            name: processor
            for name in names
            if (processor := compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
        }
        self._processors = processors
        # Positional drivers (SQLite's ?) take tuples in the statement's order; named ones the dict.
        self._order: Callable[[Params], Any] | None = _getter(names) if compiled.positional else None

    def driver_params(self, params: Params) -> Any:
        """One row's parameters (no memo: nothing to share)."""
        if self._processors:
            params = {**params, **{name: proc(params[name]) for name, proc in self._processors.items()}}
        return params if self._order is None else self._order(params)

    def driver_rows(self, rows: Sequence[Params]) -> list[Any]:
        if self._processors:
            memo: dict[tuple[str, int], Any] = {}
            rows = [self._process(row, memo) for row in rows]
        order = self._order
        return list(rows) if order is None else [order(row) for row in rows]

    def _process(self, row: Params, memo: dict[tuple[str, int], Any]) -> Params:
        """The row with processed values; a value object shared by many rows is converted once."""
        processed = dict(row)
        for name, processor in self._processors.items():
            value = row[name]
            key = (name, id(value))
            if key not in memo:
                memo[key] = (value, processor(value))  # the value is kept so its id stays unique
            processed[name] = memo[key][1]
        return processed


def _getter(names: list[str]) -> Callable[[Params], tuple[Any, ...]]:
    get = itemgetter(*names)
    return (lambda row: (get(row),)) if len(names) == 1 else get
