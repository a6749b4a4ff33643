"""Importing marketing activities (lead key, type, timestamp, detail) of stored leads.

An activity already stored for the same lead, type, moment and detail is skipped, so a
file imported twice adds nothing the second time. The leads that got new activities and
are still inquiries are then qualified and routed: the new engagement may make them MQLs.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pandas as pd
from sqlmodel import Session, select

from leaddash.access import authorize
from leaddash.core.actor import Actor
from leaddash.definitions import ACTIVITY_TYPES
from leaddash.imports.checks import Checker
from leaddash.imports.lookup import calendar_zone, chunked, leads_of_rows
from leaddash.imports.mapping import Mapping, mapping_for
from leaddash.imports.qualifying import qualify
from leaddash.imports.reading import Table
from leaddash.imports.result import ImportResult, write_batch
from leaddash.imports.writing import insert_frame
from leaddash.models import Activity, Stage, utcnow
from leaddash.scoring_io import ACTS, LEADS, read_frame, readable

COLUMNS = ["lead_id", "type", "occurred_at", "detail"]


def import_activities(
    session: Session,
    *,
    actor: Actor,
    table: Table,
    mapping: Mapping | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    at: datetime | None = None,
) -> ImportResult:
    """Return what importing the activities of `table` did: nothing when any row is bad
    (unless `skip_bad_rows`) or on a dry run, else the activities not stored yet added."""
    authorize(session, actor, "import_leads", "import activities")
    at = at or utcnow()
    mapping = mapping_for(table.columns, mapping, "activities")
    rows, check, inquiries = checked_activities(session, table, mapping)
    bad = check.bad_index()
    good = rows.drop(index=bad).drop_duplicates()
    new = not_stored(session, good)
    result = ImportResult.checked(
        "activities",
        table.filename,
        len(rows),
        check.problems,
        dry_run=dry_run,
        skip_bad_rows=skip_bad_rows,
        created=len(new),
        unchanged=len(rows) - len(bad) - len(new),
    )
    if dry_run or result.refused or new.empty:
        return result
    insert_frame(session, Activity, new)
    touched = sorted(set(new["lead_id"]) & inquiries)
    new_mqls, routed = qualify(session, lead_ids=touched, at=at, actor=actor)
    return write_batch(
        session, actor=actor, at=at, result=replace(result, new_mqls=new_mqls, routed=routed)
    )


def checked_activities(
    session: Session, table: Table, mapping: Mapping
) -> tuple[pd.DataFrame, Checker, set[int]]:
    """Return the rows as activity values, the checker with every problem, and the ids
    of the rows' leads that are still inquiries."""
    check = Checker(table, mapping, calendar_zone(session))
    ids, stored = leads_of_rows(session, check, [LEADS.stage])
    check.required("type", "activity type")
    types = check.choices("type", {t: t for t in ACTIVITY_TYPES}, "activity type")
    rows = pd.DataFrame(
        {
            "lead_id": ids,
            "type": types,
            "occurred_at": check.dates("occurred_at", required=True),
            "detail": check.text("detail", 500),
        }
    )
    inquiries = set(stored.index[stored["stage"] == Stage.INQUIRY].tolist())
    return rows, check, inquiries


def not_stored(session: Session, rows: pd.DataFrame) -> pd.DataFrame:
    """Return the rows that no stored activity repeats (same lead, type, moment, detail)."""
    if rows.empty:
        return rows
    columns = readable([ACTS.lead_id, ACTS.type, ACTS.occurred_at, ACTS.detail])
    parts = [
        read_frame(session, select(*columns).where(ACTS.lead_id.in_(chunk)))
        for chunk in chunked([int(i) for i in rows["lead_id"]])
    ]
    stored = pd.concat(parts, ignore_index=True)
    if stored.empty:
        return rows.astype({"lead_id": int})
    keys = COLUMNS
    stored = stored.astype({"lead_id": int}).assign(detail=stored["detail"].fillna(""))
    probe = rows.astype({"lead_id": int}).assign(detail=rows["detail"].fillna(""))
    seen = probe.merge(stored.drop_duplicates(), on=keys, how="left", indicator=True)
    return rows.astype({"lead_id": int})[(seen["_merge"] == "left_only").to_numpy()]
