"""Many ids in one SQL condition: bound as one parameter, in chunks for IN lists."""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence

from sqlalchemy import Integer, String, any_, bindparam, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

ID_CHUNK = 20_000


def id_chunks(ids: Sequence[int], size: int = ID_CHUNK) -> Iterator[list[int]]:
    """Yield `ids` sorted and deduplicated, `size` at a time (for IN lists)."""
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), size):
        yield ordered[start : start + size]


def among_param(dialect: str, column: ColumnElement, name: str) -> ColumnElement[bool]:
    """Return "`column` is one of the whole numbers of parameter `name`", for a statement
    built once and run many times; `ids_param` gives the parameter's value."""
    if dialect == "postgresql":
        return column == any_(bindparam(name, type_=ARRAY(Integer())))
    listed = func.json_each(bindparam(name, type_=String()))
    return column.in_(select(literal_column("value")).select_from(listed))


def ids_param(dialect: str, ids: Sequence[int]) -> list[int] | str:
    """Return `ids` as `among_param`'s parameter wants them on `dialect`."""
    return list(ids) if dialect == "postgresql" else json.dumps(list(ids))


def among(
    session: Session, column: ColumnElement, ids: Sequence[int] | Sequence[str]
) -> ColumnElement[bool]:
    """Return "`column` is one of `ids`" (whole numbers, or texts such as external ids)
    with the values bound as ONE parameter (a PostgreSQL array, a JSON list on SQLite): an
    IN list of thousands of parameters costs SQLAlchemy more to render than the database
    takes to run the query."""
    if session.connection().dialect.name == "postgresql":
        kind = String() if ids and isinstance(next(iter(ids)), str) else Integer()
        return column == any_(bindparam("ids", list(ids), type_=ARRAY(kind), unique=True))
    listed = func.json_each(bindparam("ids", json.dumps(list(ids)), unique=True))
    return column.in_(select(literal_column("value")).select_from(listed))
