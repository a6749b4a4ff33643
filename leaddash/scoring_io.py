"""Reading leads, their activities and stage outcomes in chunks for the scoring engine, and
writing scores back in bulk: what rescoring and the what-if replay share.

Leads are read CHUNK at a time (keyset by id), only the columns the rules need; each
chunk's activities and stage outcomes are read with the same filter plus the chunk's id
range. Rows come straight from the driver's cursor with datetimes and JSON selected as
text, because building Python objects per row costs more than scoring the row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import (
    JSON,
    Boolean,
    DateTime,
    Float,
    Integer,
    String,
    bindparam,
    case,
    cast,
    func,
    update,
)
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.sql import ColumnElement, Select, Update
from sqlmodel import Session, select

from leaddash.definitions import validate_definition
from leaddash.documents.definition import CUSTOM_PREFIX
from leaddash.models import Activity, Lead, Stage, StageEvent, table_of

CHUNK = 20_000
DECIDED = (Stage.VALIDATED, Stage.DISQUALIFIED, Stage.REJECTED)
VALIDATED = (Stage.VALIDATED, Stage.SQL, Stage.OPPORTUNITY, Stage.WON)
LEADS, ACTS = Lead.__table__.c, Activity.__table__.c  # type: ignore[attr-defined]
EVENTS = StageEvent.__table__.c  # type: ignore[attr-defined]


# --- selecting rows as plain values --------------------------------------------------------


class DateText(String):
    """A datetime selected as text: pandas parses a column of ISO strings in one step, far
    faster than drivers and SQLAlchemy build a datetime object per row."""

    cache_ok = True


def _is_datetime(column: ColumnElement) -> bool:
    kind = column.type
    return isinstance(kind, (DateTime, DateText)) or isinstance(
        getattr(kind, "impl_instance", None), DateTime
    )


class JSONText(String):
    """A JSON column selected as text, decoded once per distinct value."""

    cache_ok = True


def _as_text(column: ColumnElement) -> ColumnElement:
    if _is_datetime(column):
        return cast(column, DateText()).label(column.key)
    if isinstance(column.type, JSON):
        return cast(column, JSONText()).label(column.key)
    return column


def readable(columns: Sequence[ColumnElement]) -> list[ColumnElement]:
    """Return `columns` ready to select: datetimes as ISO text (SQLite stores them so
    already; PostgreSQL prints them so with its default DateStyle), JSON as text."""
    return [_as_text(c) for c in columns]


def cursor_rows(session: Session, statement: Select) -> tuple[Sequence[Any], list[str]]:
    """Return the statement's rows as the driver's tuples, and the column names.

    Rows come straight from the driver's cursor: building a Row object per row costs
    more than the whole scoring of it."""
    result = session.connection().execute(statement)
    try:
        return result.cursor.fetchall(), list(result.keys())
    finally:
        result.close()


def read_frame(session: Session, statement: Select) -> pd.DataFrame:
    """Return the statement's rows as a DataFrame (datetimes aware UTC, JSON decoded)."""
    rows, names = cursor_rows(session, statement)
    frame = pd.DataFrame.from_records(rows, columns=names, coerce_float=False)
    for column in statement.selected_columns:
        frame[column.key] = _convert(frame[column.key], column)
    return frame


def _convert(values: pd.Series, column: ColumnElement) -> pd.Series:
    if _is_datetime(column):
        return pd.to_datetime(values, utc=True, format="ISO8601")
    if isinstance(column.type, JSONText):  # rows with the same text share one dict
        texts = {v: json.loads(v) for v in set(values.dropna())}
        return values.map(texts, na_action="ignore")
    if isinstance(column.type, Boolean):
        return values.map(lambda v: None if v is None else bool(v), na_action="ignore")
    return values


# --- what a definition needs read -----------------------------------------------------------


def scorable(content: dict[str, Any]) -> dict[str, Any]:
    """Return a checked copy of definition terms that the scoring engine can run."""
    validate_definition(content)
    scoring = dict(content.get("scoring") or {})
    scoring.setdefault("activities", {})
    return {**content, "scoring": scoring}


def rule_columns(*contents: dict[str, Any]) -> list[ColumnElement]:
    """Return the lead columns that the fit rules and disqualifiers of `contents` read."""
    fields = {
        r["field"] for c in contents for r in c.get("fit_rules", []) + c.get("disqualifiers", [])
    }
    names = {"custom" if f.startswith(CUSTOM_PREFIX) else f for f in fields}
    return [LEADS[name] for name in sorted(names) if name in LEADS]


def scored_types(*contents: dict[str, Any]) -> list[str]:
    """Return the activity types that any of `contents` gives points for."""
    return sorted({t for c in contents for t in c["scoring"]["activities"]})


# --- chunked readers -------------------------------------------------------------------------


def lead_chunks(
    session: Session,
    columns: Sequence[ColumnElement],
    where: Sequence[ColumnElement],
    chunk: int = CHUNK,
) -> Iterator[pd.DataFrame]:
    """Yield the leads matching `where`, `chunk` at a time in id order (id first column)."""
    last = 0
    while True:
        statement = (
            select(*readable([LEADS.id, *columns]))
            .where(*where, LEADS.id > last)
            .order_by(LEADS.id)
            .limit(chunk)
        )
        leads = read_frame(session, statement)
        if leads.empty:
            return
        yield leads
        last = int(leads["id"].iloc[-1])


def _in_chunk(leads: pd.DataFrame, where: Sequence[ColumnElement]) -> list[ColumnElement]:
    """Return the filter that chose the chunk, narrowed to its id range (joined on leads)."""
    return [LEADS.id.between(int(leads["id"].min()), int(leads["id"].max())), *where]


def activities_for(
    session: Session,
    leads: pd.DataFrame,
    where: Sequence[ColumnElement],
    types: Sequence[str],
) -> pd.DataFrame:
    """Return lead_id, type and occurred_at of the activities of types `types` done by the
    leads of one chunk (`where` is the filter that chose them)."""
    columns = readable([ACTS.lead_id, ACTS.type, ACTS.occurred_at])
    statement = (
        select(*columns)
        .join(Lead.__table__, LEADS.id == ACTS.lead_id)  # type: ignore[attr-defined]
        .where(*_in_chunk(leads, where), ACTS.type.in_(list(types)))
    )
    acts = read_frame(session, statement)
    return acts.assign(type=acts["type"].astype("category"))  # a few types, many rows


def scoring_chunks(
    session: Session,
    columns: Sequence[ColumnElement],
    where: Sequence[ColumnElement],
    contents: Sequence[dict[str, Any]],
    chunk: int = CHUNK,
) -> Iterator[tuple[pd.DataFrame, pd.DataFrame]]:
    """Yield (leads, activities) per chunk of the leads matching `where`: the lead columns
    `columns` plus what the rules of `contents` read, and the activities they score."""
    types = scored_types(*contents)
    for leads in lead_chunks(session, [*columns, *rule_columns(*contents)], where, chunk):
        yield leads, activities_for(session, leads, where, types)


def _reached(stages: tuple[str, ...]) -> ColumnElement:
    return func.max(case((EVENTS.to_stage.in_([str(s) for s in stages]), 1), else_=0))


def stage_outcomes(
    session: Session,
    leads: pd.DataFrame,
    where: Sequence[ColumnElement],
) -> pd.DataFrame:
    """Return per lead of the chunk (indexed by id) its first MQL time and whether sales
    decided it, validated it and won it, from the stage events (aggregated in SQL)."""
    first_mql = func.min(case((EVENTS.to_stage == Stage.MQL, EVENTS.occurred_at)))
    columns: list[Any] = [
        *readable([EVENTS.lead_id, first_mql.label("first_mql")]),
        _reached(DECIDED).label("decided"),
        _reached(VALIDATED).label("validated"),
        _reached((Stage.WON,)).label("won"),
    ]
    statement = (
        select(*columns)
        .join(Lead.__table__, LEADS.id == EVENTS.lead_id)  # type: ignore[attr-defined]
        .where(*_in_chunk(leads, where))
        .group_by(EVENTS.lead_id)
    )
    found = read_frame(session, statement).set_index("lead_id").reindex(leads["id"])
    flags = found[["decided", "validated", "won"]].fillna(0).astype(bool)
    return flags.assign(first_mql=found["first_mql"])


# --- writing scores back ---------------------------------------------------------------------


def _clauses(values: pd.Series) -> pd.Series:
    return values.astype(object).where(values.notna(), None)


def _changed(leads: pd.DataFrame, scored: pd.DataFrame) -> pd.Series:
    before = leads.set_index("id")
    return (
        (before["score"].astype(float) - scored["score"]).abs().gt(1e-9)
        | before["fit_ok"].ne(scored["fit_ok"])
        | _clauses(before["fit_failed_clause"]).ne(_clauses(scored["failed_clause"]))
    )


def write_scores(session: Session, leads: pd.DataFrame, scored: pd.DataFrame, at: datetime) -> int:
    """Return how many leads of the chunk got a new score, fit or failed clause, written
    in bulk (`leads` holds the stored score, fit_ok and fit_failed_clause)."""
    rows = scored.loc[_changed(leads, scored)]
    if rows.empty:
        return 0
    values = {
        "ids": rows.index.tolist(),
        "scores": rows["score"].tolist(),
        "fits": rows["fit_ok"].tolist(),
        "clauses": _clauses(rows["failed_clause"]).tolist(),
    }
    connection = session.connection()
    if connection.dialect.name == "postgresql":
        connection.execute(_update_from_arrays(at), values)
    else:
        connection.execute(
            _update_by_id(at),
            [
                {"b_id": i, "b_score": s, "b_fit": f, "b_clause": c}
                for i, s, f, c in zip(*values.values(), strict=True)
            ],
        )
    return len(rows)


def _update_by_id(at: datetime) -> Update:
    """Return an UPDATE of one lead's score and fit, run once per row (executemany)."""
    return (
        update(table_of(Lead))
        .where(LEADS.id == bindparam("b_id"))
        .values(
            score=bindparam("b_score"),
            fit_ok=bindparam("b_fit"),
            fit_failed_clause=bindparam("b_clause"),
            updated_at=at,
        )
    )


def _update_from_arrays(at: datetime) -> Update:
    """Return one UPDATE … FROM unnest(arrays) for the whole chunk: on PostgreSQL a
    statement per row costs a round trip per row."""
    rows = (
        func.unnest(
            bindparam("ids", type_=ARRAY(Integer)),
            bindparam("scores", type_=ARRAY(Float)),
            bindparam("fits", type_=ARRAY(Boolean)),
            bindparam("clauses", type_=ARRAY(String)),
        )
        .table_valued("id", "score", "fit_ok", "clause")
        .render_derived()
    )
    return (
        update(table_of(Lead))
        .where(LEADS.id == rows.c.id)
        .values(
            score=rows.c.score, fit_ok=rows.c.fit_ok, fit_failed_clause=rows.c.clause, updated_at=at
        )
    )
