"""Keeping every rollup equal to the LeadPass rows it counts: upserts that add or take
away the counts of some passes (INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE, on
SQLite and PostgreSQL alike), and a full recount."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Table, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from leaddash.analytics.funnel_rollups import funnel_counters
from leaddash.analytics.rollups import Counter, counters


def _all_counters(sign: int, dialect: str) -> list[Counter]:
    return [*counters(sign), *funnel_counters(sign, dialect)]


def _upsert(dialect: str, table: Table, keys: dict[str, ColumnElement],
            sums: dict[str, ColumnElement], where: Sequence[ColumnElement[bool]]):
    """Return an upsert adding the `sums` of the passes `where` picks per key."""
    # The WHERE also settles SQLite's parse of INSERT … SELECT … ON CONFLICT.
    # A constant key (a stage or step) is left out of the GROUP BY: PostgreSQL refuses it.
    grouped = [key for key in keys.values() if not getattr(key, "is_literal", False)]
    query = (select(*keys.values(), *(func.sum(v) for v in sums.values()))
             .where(*where).group_by(*grouped))
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    insert = insert.from_select([*keys, *sums], query)
    return insert.on_conflict_do_update(
        index_elements=list(keys), set_={m: table.c[m] + insert.excluded[m] for m in sums})


def count_passes(session: Session, *, sign: int, where: Sequence[ColumnElement[bool]]) -> None:
    """Add (sign 1) or take away (sign -1) the passes `where` picks in every rollup,
    dropping the groups left with no pass."""
    connection = session.connection()
    dialect = connection.dialect.name
    emptied: dict[Table, str] = {}
    for table, keys, sums, counted in _all_counters(sign, dialect):
        connection.execute(_upsert(dialect, table, keys, sums, [*where, *counted]))
        emptied[table] = next(iter(sums))  # the count of passes: 0 means an empty group
    if sign < 0:
        for table, passes in emptied.items():
            connection.execute(delete(table).where(table.c[passes] == 0))


def rebuild_rollups(session: Session) -> None:
    """Recount every rollup from the whole LeadPass table (in the caller's transaction)."""
    dialect = session.connection().dialect.name
    for table in {counter[0] for counter in _all_counters(1, dialect)}:
        session.connection().execute(delete(table))
    count_passes(session, sign=1, where=[])
