"""Every row of every table, to prove that something left a database exactly as it was."""

from __future__ import annotations

from sqlalchemy import Engine, select
from sqlmodel import SQLModel

from leaddash.db import read_session


def snapshot(engine: Engine, skip: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    """Return every row of every model table (but `skip`), in primary-key order."""
    with read_session(engine) as session:
        return {
            table.name: [
                tuple(r)
                for r in session.execute(select(table).order_by(*table.primary_key.columns))
            ]
            for table in SQLModel.metadata.sorted_tables
            if table.name not in skip
        }
