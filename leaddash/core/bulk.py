"""Bulk writes in SQLAlchemy Core: rows inserted in chunks inside the caller's transaction,
and the conversion of a DataFrame into such rows (plain Python values, None for missing)."""

from __future__ import annotations

from typing import Any

import pandas as pd
from sqlalchemy import insert
from sqlmodel import Session, SQLModel

CHUNK = 5_000


def plain_values(column: pd.Series) -> list[Any]:
    """Return a column as plain Python values (aware datetimes, None for missing)."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = column.dt.to_pydatetime()
    return column.astype(object).where(column.notna(), None).tolist()


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """Return the rows of `frame` as dicts of plain Python values."""
    columns = {name: plain_values(frame[name]) for name in frame.columns}
    return [
        dict(zip(columns, values, strict=True)) for values in zip(*columns.values(), strict=True)
    ]


def insert_rows(session: Session, model: type[SQLModel], rows: list[dict[str, Any]]) -> None:
    """Insert `rows` into the model's table in chunks of CHUNK."""
    conn, table = session.connection(), model.__table__  # type: ignore[attr-defined]
    for i in range(0, len(rows), CHUNK):
        conn.execute(insert(table), rows[i : i + CHUNK])


def insert_returning_ids(
    session: Session, model: type[SQLModel], rows: list[dict[str, Any]]
) -> list[int]:
    """Insert `rows` in chunks and return their new ids, in the order of `rows`."""
    conn, table = session.connection(), model.__table__  # type: ignore[attr-defined]
    statement = insert(table).returning(table.c.id, sort_by_parameter_order=True)
    ids: list[int] = []
    for i in range(0, len(rows), CHUNK):
        ids += conn.execute(statement, rows[i : i + CHUNK]).scalars().all()
    return ids
