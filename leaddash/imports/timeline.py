"""A history row's stage dates as one timeline, checked before anything is written.

A history import gives, per lead, the dates it reached stages (`mql_at` … `lost_at`) and
its current stage with the date it reached it (`stage`, `stage_at`). They become stage
events in funnel order. A timeline must read forwards: no stage dated before an earlier
one, no date after the import, one decision and one close at most, nothing after an exit.
A row that breaks this is a row problem naming both dates; it is never reordered or split.

An open deal's current stage may come without a date: it becomes an event whose time is
not known, placed after the row's dated events. Decisions and closes need their date.
Pure pandas over whole columns; only the bad rows are visited one by one to word them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import numpy as np
import pandas as pd

from leaddash.imports.checks import Checker
from leaddash.models import Stage

HISTORY_DATES = {
    "mql_at": Stage.MQL,
    "accepted_at": Stage.ACCEPTED,
    "validated_at": Stage.VALIDATED,
    "disqualified_at": Stage.DISQUALIFIED,
    "rejected_at": Stage.REJECTED,
    "recycled_at": Stage.RECYCLED,
    "sql_at": Stage.SQL,
    "opportunity_at": Stage.OPPORTUNITY,
    "won_at": Stage.WON,
    "lost_at": Stage.LOST,
}
DATE_OF = {str(stage): field for field, stage in HISTORY_DATES.items()}
# Funnel order; one decision (rank 3) and one close (rank 6) at most per lead.
RANK = {
    "inquiry": 0,
    "mql": 1,
    "accepted": 2,
    "validated": 3,
    "disqualified": 3,
    "rejected": 3,
    "recycled": 3,
    "sql": 4,
    "opportunity": 5,
    "won": 6,
    "lost": 6,
}
EXITS = ("disqualified", "rejected", "recycled", "lost")
NEEDS_DATE = ("validated", "disqualified", "rejected", "recycled", "won", "lost")
DECISION_RANK, CLOSE_RANK = 3, 6
EVENT_COLUMNS = ["row", "stage", "at", "known", "column", "rank"]
UTC_TIMES = "datetime64[us, UTC]"


@dataclass(frozen=True)
class RowDates:
    """What a history file says of each row: the stage dates by field, the current stage
    (our stage, None when empty) and stage_at, and created_at; all indexed like the file."""

    dates: dict[str, pd.Series]
    stage: pd.Series
    stage_at: pd.Series
    created_at: pd.Series


def day_text(when: pd.Timestamp, zone: str) -> str:
    """Return a time as a row problem names it, in the team's time zone `zone` (as the file
    wrote it): the day, and the clock when it has one."""
    local = when.tz_convert(zone) if when.tzinfo else when
    return (
        local.strftime("%Y-%m-%d %H:%M")
        if (local.hour or local.minute)
        else local.strftime("%Y-%m-%d")
    )


def _frame(
    rows: pd.Index, stage: pd.Series | str, at: pd.Series, known: bool, column: str
) -> pd.DataFrame:
    stages = stage if isinstance(stage, pd.Series) else pd.Series(stage, index=rows)
    return pd.DataFrame(
        {
            "row": rows.to_numpy(),
            "stage": stages.to_numpy(dtype=object),
            "at": at.reset_index(drop=True).astype(UTC_TIMES),
            "known": known,
            "column": column,
        }
    )


def dated_events(check: Checker, found: RowDates) -> pd.DataFrame:
    """Return one event per filled stage date (row, stage, at, known, column, rank)."""
    parts = [
        _frame(
            when.dropna().index, str(HISTORY_DATES[field]), when.dropna(), True, check.column(field)
        )
        for field, when in found.dates.items()
    ]
    return _events(parts)


def _events(parts: list[pd.DataFrame]) -> pd.DataFrame:
    parts = [p for p in parts if not p.empty]
    if not parts:
        return pd.DataFrame(
            {
                "row": pd.Series(dtype=int),
                "stage": pd.Series(dtype=object),
                "at": pd.Series(dtype=UTC_TIMES),
                "known": pd.Series(dtype=bool),
                "column": pd.Series(dtype=object),
                "rank": pd.Series(dtype=int),
            }
        )
    events = pd.concat(parts, ignore_index=True)
    return events.assign(rank=ranks(events["stage"]))


def ranks(stages: pd.Series) -> np.ndarray:
    """Return the funnel rank of each stage (vectorized: a million rows in milliseconds)."""
    codes = pd.Categorical(stages, categories=list(RANK)).codes
    return np.array(list(RANK.values()), dtype=int)[codes]


def flag(
    check: Checker,
    rows: pd.Series | np.ndarray,
    column: str,
    problem: Callable[[int], str],
    fix: str,
) -> None:
    """Note a problem on each of the frame `rows`, worded per row by `problem`."""
    for row in sorted({int(r) for r in rows}):
        check.note(row, column, problem(row), fix)


def with_current_stage(
    check: Checker, found: RowDates, events: pd.DataFrame, at: datetime
) -> pd.DataFrame:
    """Return `events` plus each row's current stage (dated by stage_at, or undated for an
    open deal), noting rows whose stage contradicts their dates."""
    if "stage" not in check.mapping.given:
        return events
    stage = found.stage.dropna()
    stage = stage[stage != Stage.INQUIRY.value]
    current = pd.DataFrame({"row": stage.index, "stage": stage.to_numpy(dtype=object)})
    own = current.merge(events[["row", "stage", "at"]], on=["row", "stage"], how="left")
    own = pd.Series(own["at"].astype(UTC_TIMES).array, index=stage.index)
    stage_at = found.stage_at.reindex(stage.index)
    # An open deal's close date still ahead is when it is expected to close, not a date
    # it reached its stage: the stage stays undated.
    stage_at = stage_at.mask(~stage.isin(NEEDS_DATE) & (stage_at > pd.Timestamp(at)))
    _flag_disagreeing_stage_at(check, stage, stage_at, own)
    dated = stage_at.notna() & own.isna()
    undated = stage_at.isna() & own.isna()
    _flag_undated_decisions(check, stage[undated])
    open_stage = stage[undated & ~stage.isin(NEEDS_DATE)]
    parts = [
        events,
        _frame(
            stage[dated].index,
            stage[dated],
            stage_at[dated],
            True,
            check.column("stage_at")
            if "stage_at" in check.mapping.given
            else check.column("stage"),
        ),
        _frame(
            open_stage.index,
            open_stage,
            pd.Series(pd.NaT, index=open_stage.index, dtype=UTC_TIMES),
            False,
            check.column("stage"),
        ),
    ]
    merged = _events(parts)
    _flag_stage_behind_dates(check, found.stage, merged)
    return merged


def _flag_disagreeing_stage_at(
    check: Checker, stage: pd.Series, stage_at: pd.Series, own: pd.Series
) -> None:
    zone = check.zone
    clash = stage_at.notna() & own.notna() & (stage_at != own)
    if not clash.any():
        return
    flag(
        check,
        clash[clash].index,
        check.column("stage_at"),
        lambda r: (
            f"stage_at says the lead reached {stage[r]} on {day_text(stage_at[r], zone)}, but "
            f"{check.column(DATE_OF[stage[r]])} says {day_text(own[r], zone)}."
        ),
        "Make the two dates agree, or leave one of them empty.",
    )


def _flag_undated_decisions(check: Checker, stage: pd.Series) -> None:
    closed = stage[stage.isin(NEEDS_DATE)]
    where = (
        f"the {check.column('stage_at')!r} column"
        if "stage_at" in check.mapping.given
        else "a stage_at column"
    )
    written = check.raw("stage")
    for row, name in closed.items():
        check.note(
            int(row),
            check.column("stage"),
            f"The stage {written[row]!r} is a decision or a close, and the row gives no date "
            "for it.",
            f"Fill in when it happened in {where} (or map the file's "
            f"{DATE_OF[name]} column), or remove the row.",
        )


def _flag_stage_behind_dates(check: Checker, stage: pd.Series, events: pd.DataFrame) -> None:
    """Note rows whose current stage comes before a stage they have a date for."""
    current = stage.dropna().map(RANK).astype(float)
    highest = events.groupby("row")["rank"].max().reindex(current.index)
    behind = current[highest > current]
    if behind.empty:
        return
    latest = events.sort_values("rank").groupby("row").tail(1).set_index("row")
    flag(
        check,
        behind.index,
        check.column("stage"),
        lambda r: (
            f"The stage is {check.raw('stage')[r]!r}, but the row also says the lead "
            f"reached "
            f"{latest.at[r, 'stage']} ({latest.at[r, 'column']})."
        ),
        "The stage column is the lead's current stage: correct it, or the later date.",
    )


def check_order(check: Checker, found: RowDates, events: pd.DataFrame, at: datetime) -> None:
    """Note rows whose dates do not read forwards: a date after the import, created_at
    after a stage date, a stage dated before an earlier one, two decisions or two closes,
    a stage after an exit."""
    flag_future(check, events, at)
    _flag_created_after(check, found.created_at, events)
    _flag_backwards(check, events)
    _flag_twice(
        check,
        events,
        DECISION_RANK,
        "decisions (validated, disqualified, rejected or recycled)",
        "A lead gets one decision per pass",
    )
    _flag_twice(check, events, CLOSE_RANK, "closes (won and lost)", "A deal closes once")
    _flag_after_exit(check, events)


def flag_future(check: Checker, events: pd.DataFrame, at: datetime) -> None:
    """Note the rows with a stage dated after the import (`at`)."""
    zone = check.zone
    future = events[events["known"] & (events["at"] > pd.Timestamp(at))]
    for row, group in future.groupby("row"):
        first = group.iloc[0]
        check.note(
            int(row),
            first["column"],
            f"{day_text(first['at'], zone)} is after today: a history "
            "import holds what has happened.",
            "Correct the date, or leave it empty "
            "(an open deal's expected close date is not a stage date).",
        )


def _flag_created_after(check: Checker, created: pd.Series, events: pd.DataFrame) -> None:
    zone = check.zone
    dated = events[events["known"]]
    first = dated.loc[dated.groupby("row")["at"].idxmin()].set_index("row")
    when = created.reindex(first.index)
    late = first[when.notna() & (when > first["at"])]
    if late.empty:
        return
    flag(
        check,
        late.index,
        check.column("created_at"),
        lambda r: (
            f"The lead was created on {day_text(when[r], zone)}, after it reached "
            f"{late.at[r, 'stage']} on {day_text(late.at[r, 'at'], zone)} "
            f"({late.at[r, 'column']})."
        ),
        "Correct one of the two dates: a lead reaches its stages after it is created.",
    )


def _flag_backwards(check: Checker, events: pd.DataFrame) -> None:
    """Note rows where a later funnel stage is dated before an earlier one."""
    zone = check.zone
    dated = ordered(events[events["known"]], "row", "rank", "at")
    latest = dated.groupby("row")["at"].cummax()
    previous = latest.groupby(dated["row"]).shift()
    bad = dated[previous.notna() & (dated["at"] < previous)]
    for row, group in bad.groupby("row"):
        later = group.iloc[0]
        earlier = dated[
            (dated["row"] == row) & (dated["rank"] < later["rank"]) & (dated["at"] > later["at"])
        ].iloc[-1]
        check.note(
            int(row),
            later["column"],
            f"The lead reached {later['stage']} on {day_text(later['at'], zone)}, before it "
            f"reached {earlier['stage']} on {day_text(earlier['at'], zone)} "
            f"({earlier['column']}): the dates disagree.",
            "Correct whichever date is wrong; stages are imported in funnel order "
            "and never reordered.",
        )


def _flag_twice(check: Checker, events: pd.DataFrame, rank: int, what: str, rule: str) -> None:
    same = events[events["rank"] == rank]
    twice = same[same["row"].duplicated(keep=False)]
    for row, group in twice.groupby("row"):
        columns = group["column"].tolist()
        check.note(
            int(row),
            columns[-1],
            f"The row has two {what}: {' and '.join(columns)}.",
            f"{rule}: keep the one that happened and empty the other.",
        )


def _flag_after_exit(check: Checker, events: pd.DataFrame) -> None:
    exits = events[events["stage"].isin(EXITS)].set_index("row")
    if exits.empty:
        return
    exit_rank = exits["rank"].groupby(level=0).min()
    later = events[events["rank"] > events["row"].map(exit_rank).fillna(99)]
    for row, group in later.groupby("row"):
        left = exits.loc[[row]].iloc[0]
        check.note(
            int(row),
            group.iloc[0]["column"],
            f"The lead was {left['stage']} ({left['column']}), and the row says it "
            f"then reached {group.iloc[0]['stage']}.",
            "A lead that left the funnel reaches no later stage in the same pass: "
            "correct or empty one of the two.",
        )


def placed(events: pd.DataFrame, floor: pd.Series, at: datetime) -> pd.DataFrame:
    """Return the events with undated ones placed at their row's last dated event, or at
    its `floor` (per row: the lead's creation, or its last stored stage change) when that
    is later, or at the import; sorted as they are written: by row, time, rank."""
    last = events[events["known"]].groupby("row")["at"].max()
    mine, low = looked_up(events["row"], last), looked_up(events["row"], floor)
    anchor = pd.concat([mine, low], axis=1).max(axis=1).fillna(pd.Timestamp(at))
    events = events.assign(at=events["at"].where(events["known"], anchor.array))
    return ordered(events, "row", "at", "rank").reset_index(drop=True)


def ordered(events: pd.DataFrame, *keys: str) -> pd.DataFrame:
    """Return the events sorted by `keys` (stable), by numpy's lexsort over the keys' plain
    integers: several times faster than pandas' multi-key sort on millions of events."""
    columns = [
        events[k].array.asi8
        if isinstance(events[k].dtype, pd.DatetimeTZDtype)
        else events[k].to_numpy(dtype="int64")
        for k in reversed(keys)
    ]
    return events.iloc[np.lexsort(columns)]


def looked_up(keys: pd.Series, times: pd.Series) -> pd.Series:
    """Return the time `times` holds for each key (NaT where none), positionally."""
    return pd.Series(times.astype(UTC_TIMES).reindex(keys.to_numpy()).array)


def first_dates(events: pd.DataFrame) -> pd.Series:
    """Return per row the time of its earliest dated event."""
    return events[events["known"]].groupby("row")["at"].min()
