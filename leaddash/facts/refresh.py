"""Keeping the LeadPass fact table equal to what the stage events, touches and leads say.

`refresh_facts` replaces the passes of the leads a writer touched, in the writer's own
transaction (every writer of stage events, touches, owners or deadlines calls it);
`rebuild_all_facts` rebuilds the whole table (after seeding, for the benchmark, from the
CLI). Both read in chunks of lead ids with the scoring readers (rows straight from the
cursor), compute the passes with pandas (leaddash.analytics.passes) and bulk insert.
Both keep the rollups (leaddash.analytics.rollups) equal to the passes: a refresh takes
the old passes' counts away and adds the new ones', a rebuild recounts them.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np
import pandas as pd
from pandas.api.types import is_bool_dtype, is_numeric_dtype
from sqlalchemy import delete, insert, select, text
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from leaddash.analytics.passes import (
    COLUMNS,
    LEAD_FIELDS,
    TIMES,
    SlaTerms,
    build_passes,
    sla_terms,
)
from leaddash.audit import record
from leaddash.fact_tables import LeadPass
from leaddash.facts.upkeep import count_many_passes, count_passes, rebuild_rollups
from leaddash.id_sets import among, id_chunks
from leaddash.models import Lead, StageEvent, Touch
from leaddash.scoring_io import lead_chunks, read_frame, readable

CHUNK = 50_000
INSERT_CHUNK = 5_000
FACTS_LOCK_KEY = 0x1EAD_FAC7  # the advisory lock every writer of LeadPass and rollups holds
LEADS = Lead.__table__.c  # type: ignore[attr-defined]
EVENTS = StageEvent.__table__.c  # type: ignore[attr-defined]
TOUCHES = Touch.__table__.c  # type: ignore[attr-defined]
PASS_TABLE = LeadPass.__table__  # type: ignore[attr-defined]
LEAD_READ = [LEADS[name] for name in LEAD_FIELDS]
EVENT_READ = [
    EVENTS.id,
    EVENTS.lead_id,
    EVENTS.from_stage,
    EVENTS.to_stage,
    EVENTS.occurred_at,
    EVENTS.actor_id,
    EVENTS.reason_code,
    EVENTS.definition_version_id,
    EVENTS.time_known,
]
TOUCH_READ = [TOUCHES.lead_id, TOUCHES.occurred_at, TOUCHES.outcome]
Narrow = Callable[[ColumnElement], ColumnElement[bool]]


def _passes_of(
    session: Session, leads: pd.DataFrame, narrow: Narrow, terms: SlaTerms
) -> pd.DataFrame:
    """Return the passes of `leads`, reading the events and touches `narrow` picks."""
    events = read_frame(session, select(*readable(EVENT_READ)).where(narrow(EVENTS.lead_id)))
    touches = read_frame(session, select(*readable(TOUCH_READ)).where(narrow(TOUCHES.lead_id)))
    return build_passes(leads.set_index("id"), events, touches, terms)


def _plain(column: pd.Series) -> list[Any]:
    """Return a column as values the driver binds (None for missing, aware datetimes)."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        column = pd.Series(column.dt.to_pydatetime(), index=column.index, dtype=object)
    return column.astype(object).where(column.notna(), None).tolist()


def _shared(column: pd.Series) -> str | None:
    """Return the number every row of a numeric column holds, as SQL text (None when the
    rows differ or it is not a number): written into the INSERT once, not bound per row."""
    if not is_numeric_dtype(column) or column.isna().any():
        return None
    first = float(column.iloc[0])
    if not np.isfinite(first) or not (column == first).all():
        return None
    return str(int(first)) if first.is_integer() else repr(first)


def _sqlite_insert(columns: list[str], fixed: dict[str, str]) -> str:
    """Return an INSERT of `columns` (those in `fixed` as the number given) whose time
    values (ISO text) get SQLAlchemy's SQLite format: a space, not a T, before the clock."""
    bound = iter(range(1, len(columns) + 1))
    slots = [
        fixed[name]
        if name in fixed
        else f"replace(?{next(bound)}, 'T', ' ')"
        if name in TIMES
        else f"?{next(bound)}"
        for name in columns
    ]
    return f"INSERT INTO {PASS_TABLE.name} ({', '.join(columns)}) VALUES ({', '.join(slots)})"


def _sqlite_values(column: pd.Series) -> list[Any]:
    """Return a column as values sqlite3 binds fastest: floats (NaN binds as NULL, and
    INTEGER columns store whole floats as integers); times as ISO text, which the INSERT
    turns into SQLAlchemy's SQLite format (a space, not a T, before the clock)."""
    if isinstance(column.dtype, pd.DatetimeTZDtype):
        texts = np.full(len(column), None, dtype=object)
        known = column.notna().to_numpy()
        clock = column[known].dt.tz_localize(None).to_numpy()
        texts[known] = np.datetime_as_string(clock, unit="us")
        return texts.tolist()
    if is_numeric_dtype(column) or is_bool_dtype(column):
        return column.astype("Float64").to_numpy(dtype=float, na_value=np.nan).tolist()
    return column.astype(object).where(column.notna(), None).tolist()


def write_passes(session: Session, passes: pd.DataFrame) -> int:
    """Return how many pass rows were inserted (bulk, in chunks): a formatting-free
    executemany on SQLite (a million rows must take seconds), Core inserts elsewhere."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # Most passes are inquiries that never qualified: binding only the columns a
        # group fills (the rest stay NULL or take their default) halves the insert.
        for _, group in passes.groupby(passes["mql_at"].isna()):
            filled = [name for name in COLUMNS if group[name].notna().any()]
            fixed = {n: v for n in filled if (v := _shared(group[n])) is not None}
            bound = [n for n in filled if n not in fixed]
            values = [_sqlite_values(group[name]) for name in bound]
            rows = list(zip(*values, strict=True)) if bound else [()] * len(group)
            connection.exec_driver_sql(_sqlite_insert(filled, fixed), rows)
        return len(passes)
    values = [_plain(passes[name]) for name in COLUMNS]
    records = [dict(zip(COLUMNS, row, strict=True)) for row in zip(*values, strict=True)]
    for start in range(0, len(records), INSERT_CHUNK):
        connection.execute(insert(PASS_TABLE), records[start : start + INSERT_CHUNK])
    return len(records)


def lock_facts(session: Session) -> None:
    """Hold the facts lock until the transaction ends (PostgreSQL; SQLite has one writer)."""
    # A refresh takes counts out of some rollup rows, then adds them to others: two
    # refreshes crossing over (leads swapped between two reps) each held the row the other
    # wanted next and deadlocked. Writers lock their leads first and the facts last.
    if session.connection().dialect.name == "postgresql":
        session.connection().execute(
            text("SELECT pg_advisory_xact_lock(:key)"), {"key": FACTS_LOCK_KEY}
        )


def refresh_facts(session: Session, *, lead_ids: Sequence[int]) -> int:
    """Return how many pass rows the leads `lead_ids` now have, after replacing their old
    ones from their current events, touches and lead rows (in the caller's transaction)."""
    if not len(lead_ids):
        return 0
    session.flush()
    lock_facts(session)
    terms = sla_terms(session)
    written = 0
    for chunk in id_chunks([int(i) for i in lead_ids]):

        def narrow(column: ColumnElement, ids: list[int] = chunk) -> ColumnElement[bool]:
            return among(session, column, ids)

        count_passes(session, sign=-1, lead_ids=chunk)
        session.connection().execute(delete(PASS_TABLE).where(narrow(PASS_TABLE.c.lead_id)))
        leads = read_frame(
            session, select(*readable([LEADS.id, *LEAD_READ])).where(narrow(LEADS.id))
        )
        written += write_passes(session, _passes_of(session, leads, narrow, terms))
        count_passes(session, sign=1, lead_ids=chunk)
    session.info["data_changed"] = True  # the commit bumps DataVersion: dashboards refresh
    return written


def _write_chunks(
    session: Session, where: Sequence[ColumnElement[bool]], terms: SlaTerms, chunk: int
) -> int:
    """Return how many pass rows were written for the leads `where` picks, read `chunk`
    leads at a time in id order (their events and touches by the chunk's id range)."""
    written = 0
    for leads in lead_chunks(session, LEAD_READ, where, chunk):
        low, high = int(leads["id"].iloc[0]), int(leads["id"].iloc[-1])

        def narrow(column: ColumnElement, lo: int = low, hi: int = high) -> ColumnElement[bool]:
            return column.between(lo, hi)

        written += write_passes(session, _passes_of(session, leads, narrow, terms))
    return written


def add_new_facts(
    session: Session,
    *,
    low: int,
    high: int,
    chunk: int = CHUNK,
    written: tuple[pd.DataFrame, pd.DataFrame] | None = None,
) -> int:
    """Return how many pass rows the leads with ids `low`…`high` got: leads just written in
    bulk, which have no passes yet nor touches. Their passes are counted into the rollups
    at once, by id range, which a bulk import needs (refresh_facts recounts per chunk of
    ids). `written`: those leads' rows (LEAD_FIELDS and id) and every event of theirs
    (EVENT_READ's columns, ids in the order written), as the writer holds them; without
    them they are read back."""
    session.flush()
    lock_facts(session)
    terms = sla_terms(session)
    if written is None:
        count = _write_chunks(session, [LEADS.id.between(low, high)], terms, chunk)
    else:
        count = _write_held(session, *written, terms, chunk)
    count_many_passes(session, where=[PASS_TABLE.c.lead_id.between(low, high)])
    session.info["data_changed"] = True
    return count


def _write_held(
    session: Session, leads: pd.DataFrame, events: pd.DataFrame, terms: SlaTerms, chunk: int
) -> int:
    """Return how many pass rows were written for `leads` from their `events` held in
    memory (both sorted by lead id), `chunk` leads at a time."""
    leads = leads.sort_values("id").reindex(columns=["id", *LEAD_FIELDS])
    for time in (
        "first_touch_at",
        "first_contact_at",
        "assigned_at",
        "touch_due_at",
        "decision_due_at",
    ):
        leads[time] = pd.to_datetime(leads[time], utc=True)
    events = events.sort_values(["lead_id", "id"], kind="stable")[[c.key for c in EVENT_READ]]
    owners = events["lead_id"].to_numpy()
    touches = pd.DataFrame(
        {
            "lead_id": pd.Series(dtype="int64"),
            "occurred_at": pd.Series(dtype="datetime64[us, UTC]"),
            "outcome": pd.Series(dtype=object),
        }
    )
    written = 0
    for start in range(0, len(leads), chunk):
        part = leads.iloc[start : start + chunk]
        low = np.searchsorted(owners, part["id"].iloc[0], side="left")
        high = np.searchsorted(owners, part["id"].iloc[-1], side="right")
        passes = build_passes(part.set_index("id"), events.iloc[low:high], touches, terms)
        written += write_passes(session, passes)
    return written


def rebuild_all_facts(session: Session, *, chunk: int = CHUNK) -> int:
    """Return how many pass rows the whole LeadPass table holds after rebuilding it from
    every lead (in the caller's transaction; one audit row)."""
    session.flush()
    lock_facts(session)
    session.connection().execute(delete(PASS_TABLE))
    written = _write_chunks(session, [], sla_terms(session), chunk)
    rebuild_rollups(session)
    record(
        session,
        actor=None,
        action="analytics.rebuild",
        entity=PASS_TABLE.name,
        after={"passes": written},
    )
    return written
