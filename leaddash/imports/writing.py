"""Bulk inserts of imported rows, fast enough for a million activities.

On PostgreSQL rows go through Core's insertmanyvalues (RETURNING in batches). On SQLite
Core would convert every datetime and JSON value in Python and, with RETURNING in
parameter order, fall back to one statement per row; so there the frame's columns are
converted once, vectorized, to the text SQLAlchemy's SQLite types store, and handed to
the driver's executemany. New ids on SQLite follow the largest id: the write transaction
holds the database's write lock from BEGIN, and SQLite gives each new row of an
INTEGER PRIMARY KEY table the largest rowid plus one.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import numpy as np
import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel

from leaddash.core.bulk import insert_returning_ids, insert_rows, plain_values, records

CHUNK = 100_000
EMPTY_JSON: dict[type, str] = {dict: "{}", list: "[]"}
# A page cache big enough for the indexes a bulk import writes into (256 MiB): with
# SQLite's default 2 MiB, inserting a million stage events in time order of each lead
# misses the cache on every index page and takes three times as long.
BULK_CACHE_KIB = 256 * 1024
# Below this many new rows, dropping and rebuilding indexes costs more than it saves.
DEFER_INDEXES_FROM = 50_000


def _sqlite_values(column: pd.Series) -> list:
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        # numpy formats a million times in a fraction of a second; strftime takes seconds.
        texts = np.full(len(column), None, dtype=object)
        known = column.notna().to_numpy()
        if known.any():
            clock = column[known].dt.tz_convert("UTC").dt.tz_localize(None).to_numpy()
            texts[known] = np.char.replace(np.datetime_as_string(clock, unit="us"), "T", " ")
        return texts.tolist()
    values = plain_values(column)
    if any(isinstance(v, (dict, list)) for v in values[:1]):
        # Most imported leads have no custom attributes: their "{}" needs no encoder.
        return [None if v is None else json.dumps(v) if v else EMPTY_JSON[type(v)] for v in values]
    return values


def _sqlite_rows(frame: pd.DataFrame) -> Iterator[list[tuple]]:
    for start in range(0, len(frame), CHUNK):
        part = frame.iloc[start : start + CHUNK]
        if not len(part.columns):  # every value is written into the statement
            yield [()] * len(part)
            continue
        yield list(zip(*(_sqlite_values(part[c]) for c in part.columns), strict=True))


def insert_frame(session: Session, model: type[SQLModel], frame: pd.DataFrame) -> None:
    """Insert the rows of `frame` (columns named as the table's) into the model's table."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        for start in range(0, len(frame), CHUNK):
            insert_rows(session, model, records(frame.iloc[start : start + CHUNK]))
        return
    table = model.__table__  # type: ignore[attr-defined]
    fixed = _constants(frame)
    bound = [c for c in frame.columns if c not in fixed]
    slots = ", ".join(fixed.get(c, "?") for c in frame.columns)
    statement = f"INSERT INTO {table.name} ({', '.join(frame.columns)}) VALUES ({slots})"
    for rows in _sqlite_rows(frame[bound]):
        connection.exec_driver_sql(statement, rows)


def _constants(frame: pd.DataFrame) -> dict[str, str]:
    """Return the columns holding one value on every row, as SQL literals: written into
    the statement once rather than bound on each of a million rows (a third of the time)."""
    if frame.empty:
        return {}
    fixed = {}
    for name in frame.columns:
        column = frame[name]
        if column.isna().all():
            fixed[name] = "NULL"
        elif isinstance(column.iloc[0], (dict, list)):
            continue
        elif column.notna().all() and column.nunique() == 1:
            literal = _literal(_sqlite_values(column.iloc[:1])[0])
            if literal is not None:
                fixed[name] = literal
    return fixed


def _literal(value: object) -> str | None:
    """Return a value as an SQLite literal (None when it is not a plain one)."""
    if isinstance(value, bool):
        return str(int(value))
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value) if np.isfinite(value) else None
    if isinstance(value, str):
        return "'" + value.replace("'", "''") + "'"
    return None


def insert_frame_with_ids(
    session: Session, model: type[SQLModel], frame: pd.DataFrame
) -> list[int]:
    """Insert the rows of `frame` and return their new ids, in row order."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return insert_returning_ids(session, model, records(frame))
    table = model.__table__  # type: ignore[attr-defined]
    last = connection.execute(select(func.coalesce(func.max(table.c.id), 0))).scalar_one()
    insert_frame(session, model, frame)
    return list(range(last + 1, last + 1 + len(frame)))


@contextmanager
def bulk_cache(session: Session) -> Iterator[None]:
    """Give the session's SQLite connection a large page cache while a bulk write runs,
    then the cache it had (its pages freed); nothing to do on PostgreSQL."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar_one()
    connection.exec_driver_sql(f"PRAGMA cache_size=-{BULK_CACHE_KIB}")
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size={int(before)}")
        connection.exec_driver_sql("PRAGMA shrink_memory")


@contextmanager
def deferred_indexes(
    session: Session, tables: dict[str, tuple[str, ...] | None], incoming: int
) -> Iterator[None]:
    """On SQLite, when `incoming` new rows at least double the first of `tables`, drop the
    named secondary indexes of each table (None: all of them) for the bulk write and build
    them again after it: building an index once over the rows is several times faster than
    growing it row by row in random order. All in the caller's transaction, so a failed
    import leaves them exactly as they were."""
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        yield
        return
    first = next(iter(tables))
    stored = connection.exec_driver_sql(f"SELECT count(*) FROM {first}").scalar_one()
    if incoming < max(stored, DEFER_INDEXES_FROM):
        yield
        return
    indexes = [
        (name, sql)
        for name, table, sql in connection.exec_driver_sql(
            "SELECT name, tbl_name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL"
        )
        if table in tables and ((only := tables[table]) is None or name in only)
    ]
    for name, _ in indexes:
        connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    for _, sql in indexes:
        connection.exec_driver_sql(sql)
