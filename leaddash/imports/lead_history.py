"""A lead import that carries history (stage dates, or a stage with its date): the rows'
timelines checked (leaddash.imports.timeline) and set against what is stored
(leaddash.imports.history), then written as stage events with the lead rows they leave.

History leads are flagged `is_history`: their stages came from the file, so neither this
import nor a later definition qualifies them as new MQLs.
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlmodel import Session

from leaddash.errors import InvalidInput
from leaddash.imports.checks import Checker
from leaddash.imports.history import (
    agreed_reasons,
    chained,
    new_events,
    stored_events,
    update_leads,
    with_reasons,
    write_events,
)
from leaddash.imports.timeline import (
    HISTORY_DATES,
    UTC_TIMES,
    RowDates,
    check_order,
    dated_events,
    first_dates,
    placed,
    with_current_stage,
)
from leaddash.models import Stage

REASON_LENGTH = 40


def history_values(check: Checker, stages: pd.Series) -> pd.DataFrame:
    """Return the history columns of the rows: each stage date, stage_at and the reason
    (NaT / None where empty; `stages` is the rows' current stage, ours)."""
    fields = check.mapping.given
    dates = {f: check.dates(f) for f in (*HISTORY_DATES, "stage_at") if f in fields}
    frame = pd.DataFrame(dates, index=stages.index)
    frame["stage"] = stages
    frame["reason"] = check.text("reason", REASON_LENGTH)
    return frame


def history_events(
    session: Session,
    check: Checker,
    values: pd.DataFrame,
    ids: pd.Series,
    stored: pd.DataFrame,
    at: datetime,
) -> pd.DataFrame:
    """Return the new stage events of every row (row, lead_id for a stored lead, stage, at,
    known, reason …), placed and sorted as they are written, noting every row whose dates
    disagree with each other or with the stored history."""
    if "stage_at" in check.mapping.given and "stage" not in check.mapping.given:
        raise InvalidInput(
            f"The column {check.column('stage_at')!r} gives stage_at, the date "
            "of each lead's current stage, but no column gives the stage: "
            "map the stage column too, or leave stage_at out.",
            field="mapping",
        )
    empty = pd.Series(pd.NaT, index=values.index, dtype=UTC_TIMES)
    found = RowDates(
        dates={f: values[f] for f in HISTORY_DATES if f in values},
        stage=values["stage"],
        stage_at=values.get("stage_at", empty),
        created_at=values["created_at"],
    )
    events = with_current_stage(check, found, dated_events(check, found), at)
    check_order(check, found, events, at)
    events = with_reasons(check, events, values["reason"], agreed_reasons(session))
    stored_ids = sorted({int(i) for i in ids.dropna()})
    recorded = stored_events(session, stored_ids)
    events = new_events(check, events, ids, recorded, stored["stage"])
    return placed(
        events, floors(ids, recorded, created_times(values["created_at"], events, at)), at
    )


def floors(ids: pd.Series, recorded: pd.DataFrame, created: pd.Series) -> pd.Series:
    """Return per row the time its undated events may not precede: a stored lead's last
    stage change, a new lead's creation."""
    stored = ids.dropna().astype("int64")
    last = recorded.groupby("lead_id")["last_at"].max().reindex(stored.to_numpy())
    last = pd.Series(last.astype(UTC_TIMES).array, index=stored.index).dropna()
    floor = created.copy()
    floor.loc[last.index] = last
    return floor


def created_times(created: pd.Series, events: pd.DataFrame, at: datetime) -> pd.Series:
    """Return per row when its lead was created: the file's created_at, else its earliest
    stage date, else the import."""
    first = first_dates(events).reindex(created.index)
    return created.fillna(first).fillna(pd.Timestamp(at)).astype(UTC_TIMES)


def write_history(
    session: Session,
    *,
    events: pd.DataFrame,
    values: pd.DataFrame,
    new_ids: pd.Series,
    stored: pd.DataFrame,
    actor_id: int | None,
    at: datetime,
    filename: str,
) -> pd.DataFrame:
    """Write the events of the good rows (`new_ids`: the lead id given to each new row;
    `values`: lead_values of the events) and update the stored leads they extend; return
    the events written, in the order of their ids."""
    events = events.assign(lead_id=events["lead_id"].fillna(events["row"].map(new_ids)))
    lead_of_row = events.drop_duplicates("row").set_index("row")["lead_id"].astype("int64")
    start = lead_of_row.map(stored["stage"]).astype(object).fillna(Stage.INQUIRY.value)
    written = write_events(
        session,
        chained(events, start),
        values["definition_version_id"],
        actor_id,
        f"Imported history from {filename}",
    )
    extended = lead_of_row[lead_of_row.isin(stored.index)]
    update_leads(session, values.loc[extended.index].set_axis(extended.to_numpy()), at)
    return written
