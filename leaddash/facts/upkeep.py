"""Keeping every rollup equal to the LeadPass rows it counts: upserts that add or take
away the counts of some passes (INSERT … SELECT … GROUP BY … ON CONFLICT DO UPDATE, on
SQLite and PostgreSQL alike), and a full recount.

Counting a great many passes at once (a rebuild, a history import of a million leads)
reads every rollup's keys and measures of each pass in ONE scan and adds them up in pandas:
the same counter expressions, evaluated once per pass instead of once per rollup, where
per-rollup statements spent most of their time (each evaluated its expressions over every
pass and sorted them all)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from functools import cache

import numpy as np
import pandas as pd
from sqlalchemy import Delete, Insert, Table, and_, case, delete, func, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from leaddash.analytics.funnel_rollups import funnel_counters
from leaddash.analytics.rollups import Counter, counters
from leaddash.fact_tables import LeadPass
from leaddash.id_sets import among_param, ids_param

PASS_LEAD = LeadPass.__table__.c.lead_id  # type: ignore[attr-defined]


def _all_counters(sign: int, dialect: str) -> list[Counter]:
    return [*counters(sign), *funnel_counters(sign, dialect)]


def _upsert(
    dialect: str,
    table: Table,
    keys: dict[str, ColumnElement],
    sums: dict[str, ColumnElement],
    where: Sequence[ColumnElement[bool]],
) -> Insert:
    """Return an upsert adding the `sums` of the passes `where` picks per key."""
    # The WHERE also settles SQLite's parse of INSERT … SELECT … ON CONFLICT.
    # A constant key (a stage or step) is left out of the GROUP BY: PostgreSQL refuses it.
    grouped = [key for key in keys.values() if not getattr(key, "is_literal", False)]
    query = (
        select(*keys.values(), *(func.sum(v) for v in sums.values()))
        .where(*where)
        .group_by(*grouped)
    )
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    insert = insert.from_select([*keys, *sums], query)
    return insert.on_conflict_do_update(
        index_elements=list(keys), set_={m: table.c[m] + insert.excluded[m] for m in sums}
    )


def count_passes(session: Session, *, sign: int, lead_ids: Sequence[int]) -> None:
    """Add (sign 1) or take away (sign -1) the passes of the leads `lead_ids` in every
    rollup, dropping the groups left with no pass."""
    connection = session.connection()
    dialect = connection.dialect.name
    ids = {"lead_ids": ids_param(dialect, lead_ids)}
    for statement in _counting(sign, dialect):
        connection.execute(statement, ids)


@cache
def _counting(sign: int, dialect: str) -> tuple[Insert | Delete, ...]:
    """Return count_passes' statements, built once per process: a rep's every decision
    refreshes the facts of one lead, and building two dozen upserts anew each time cost
    more than running them."""
    picked = among_param(dialect, PASS_LEAD, "lead_ids")
    statements: list[Insert | Delete] = []
    emptied: dict[Table, str] = {}
    for table, keys, sums, counted in _all_counters(sign, dialect):
        statements.append(_upsert(dialect, table, keys, sums, [picked, *counted]))
        emptied[table] = next(iter(sums))  # the count of passes: 0 means an empty group
    if sign < 0:
        statements += [delete(t).where(t.c[passes] == 0) for t, passes in emptied.items()]
    return tuple(statements)


def rebuild_rollups(session: Session) -> None:
    """Recount every rollup from the whole LeadPass table (in the caller's transaction)."""
    dialect = session.connection().dialect.name
    for table in {counter[0] for counter in _all_counters(1, dialect)}:
        session.connection().execute(delete(table))
    count_many_passes(session, where=[])


BULK_CHUNK = 200_000


def _scanned(counters: list[Counter]) -> tuple[dict[str, ColumnElement], list[dict]]:
    """Return the distinct expressions every counter needs, by label, and per counter the
    labels of its keys, measures and condition (an expression many counters share, such as
    a dimension, is read once)."""
    labels: dict[str, str] = {}
    columns: dict[str, ColumnElement] = {}

    def label(expression: ColumnElement) -> str:
        text = str(expression.compile(compile_kwargs={"literal_binds": True}))
        if text not in labels:
            labels[text] = f"c{len(labels)}"
            columns[labels[text]] = expression
        return labels[text]

    plans = [
        {
            "table": table,
            "keys": {k: label(v) for k, v in keys.items()},
            "sums": {m: label(v) for m, v in sums.items()},
            "when": label(case((and_(*counted), 1), else_=0)),
        }
        for table, keys, sums, counted in counters
    ]
    return columns, plans


def _chunks(
    session: Session, columns: dict[str, ColumnElement], where: Sequence[ColumnElement[bool]]
) -> Iterator[pd.DataFrame]:
    """Yield the scanned expressions of the passes `where` picks, BULK_CHUNK rows a time."""
    query = select(*(c.label(name) for name, c in columns.items())).where(*where)
    result = session.connection().execute(query)
    try:
        while rows := result.cursor.fetchmany(BULK_CHUNK):
            yield pd.DataFrame(
                {
                    name: _array(values)
                    for name, values in zip(columns, zip(*rows, strict=True), strict=True)
                }
            )
    finally:
        result.close()


def _array(values: tuple) -> np.ndarray:
    """Return a scanned column as numbers (NULL as NaN) when it holds numbers, else as
    objects: numpy converts a tuple of numbers in C, pandas would inspect each value."""
    first = next((v for v in values if v is not None), None)
    if isinstance(first, (int, float)) and not isinstance(first, bool):
        return np.array(values, dtype=float)
    return np.array(values, dtype=object)


def count_many_passes(session: Session, *, where: Sequence[ColumnElement[bool]]) -> None:
    """Add the passes `where` picks to every rollup: each pass's keys and measures for all
    of them read in one scan, summed per group in pandas, then added by upserts."""
    dialect = session.connection().dialect.name
    columns, plans = _scanned(_all_counters(1, dialect))
    totals: list[list[pd.DataFrame]] = [[] for _ in plans]
    for chunk in _chunks(session, columns, where):
        for plan, parts in zip(plans, totals, strict=True):
            picked = chunk[chunk[plan["when"]] == 1]
            parts.append(
                _summed(
                    pd.DataFrame(
                        {
                            name: picked[label]
                            for name, label in {**plan["keys"], **plan["sums"]}.items()
                        }
                    ),
                    plan,
                )
            )
    for plan, parts in zip(plans, totals, strict=True):
        if parts:
            _add_rows(session, dialect, plan, _summed(pd.concat(parts, ignore_index=True), plan))


def _summed(frame: pd.DataFrame, plan: dict) -> pd.DataFrame:
    """Return a rollup's rows (named as its columns) summed per group of its keys."""
    return (
        frame.groupby(list(plan["keys"]), sort=False, dropna=False)[list(plan["sums"])]
        .sum()
        .reset_index()
    )


def _add_rows(session: Session, dialect: str, plan: dict, found: pd.DataFrame) -> None:
    """Upsert one rollup's summed groups."""
    keys, sums = plan["keys"], plan["sums"]
    if found.empty:
        return
    table = plan["table"]
    whole = {
        c: "int64"
        for c in found.columns
        if found[c].dtype == float and (found[c] == found[c].round()).all()
    }
    found = found.astype(whole)
    insert = (postgresql if dialect == "postgresql" else sqlite).insert(table)
    statement = insert.on_conflict_do_update(
        index_elements=list(keys), set_={m: table.c[m] + insert.excluded[m] for m in sums}
    )
    if dialect != "sqlite":
        session.connection().execute(statement, found.astype(object).to_dict("records"))
        return
    # Hundreds of thousands of groups: plain tuples to the driver, in the statement's order.
    compiled = statement.compile(dialect=session.connection().dialect)
    order = list(compiled.positiontup or ())
    rows = list(zip(*(found[name].astype(object).tolist() for name in order), strict=True))
    session.connection().exec_driver_sql(str(compiled), rows)
