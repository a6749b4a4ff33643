"""A history import against what is stored: a lead's recorded stages are never rewritten.

Rows of leads LeadDash already holds may only extend their history: a stage the lead
already has at the same date is skipped (so importing a file twice changes nothing), the
same stage at another date is a row problem, and so is any stage dated before the lead's
last recorded stage change, a stage before the lead's current one, or a stage after the
lead closed or left the funnel. Then the new events are written with their `from_stage`
chain, and the lead rows get what the events say (stage, MQL, acceptance and decision
times, the definition version in force at the MQL time).
"""

from __future__ import annotations

from datetime import datetime

import pandas as pd
from sqlalchemy import bindparam, func, update
from sqlmodel import Session, col, select

from leaddash.imports.checks import Checker
from leaddash.imports.lookup import chunked
from leaddash.imports.timeline import EXITS, RANK, UTC_TIMES, day_text
from leaddash.imports.writing import insert_frame
from leaddash.models import (
    AgreementKind,
    AgreementVersion,
    Lead,
    Reason,
    Stage,
    StageEvent,
    table_of,
)
from leaddash.scoring_io import EVENTS, LEADS, read_frame, readable

CLOSED = ("won", "lost")
DECISIONS = ("validated", "disqualified", "rejected", "recycled")
LEAD_TIMES = {"mql_at": "mql", "accepted_at": "accepted"}


def stored_events(session: Session, lead_ids: list[int]) -> pd.DataFrame:
    """Return the first event of each stored lead into each stage (lead_id, stage, at,
    known) and each lead's last event: its time and whether it was dated (`last_at`,
    `last_known`, on every row of the lead)."""
    columns = readable([EVENTS.lead_id, EVENTS.to_stage, EVENTS.occurred_at, EVENTS.time_known])
    parts = [
        read_frame(session, select(*columns).where(EVENTS.lead_id.in_(chunk)))
        for chunk in chunked(lead_ids)
    ]
    found = (
        pd.concat(parts, ignore_index=True)
        if parts
        else pd.DataFrame(columns=["lead_id", "to_stage", "occurred_at", "time_known"])
    )
    found = found.rename(columns={"to_stage": "stage", "occurred_at": "at", "time_known": "known"})
    found = found.astype({"lead_id": "int64", "at": UTC_TIMES, "known": bool})
    ordered = found.sort_values("at", kind="stable")
    last = ordered.groupby("lead_id").tail(1).set_index("lead_id")
    last = last[["at", "known"]].rename(columns={"at": "last_at", "known": "last_known"})
    return ordered.drop_duplicates(["lead_id", "stage"]).join(last, on="lead_id")


def new_events(
    check: Checker, events: pd.DataFrame, leads: pd.Series, stored: pd.DataFrame, current: pd.Series
) -> pd.DataFrame:
    """Return the events of `events` (one row per file row) not stored yet, with their
    lead id (NA for a new lead), noting rows that would rewrite a stored lead's history.
    `leads` is the stored lead id per file row, `current` the stored stage per lead id."""
    events = events.assign(lead_id=events["row"].map(leads).astype("Int64"))
    old = events[events["lead_id"].notna()].astype({"lead_id": "int64"})
    if old.empty:
        return events
    seen = old.merge(stored, on=["lead_id", "stage"], how="left", suffixes=("", "_stored"))
    seen.index = old.index
    already = seen["at_stored"].notna()
    same = already & (
        ~seen["known"]
        | ~seen["known_stored"].fillna(True).astype(bool)
        | (seen["at"] == seen["at_stored"])
    )
    _flag_rewritten(check, seen[already & ~same])
    last = old["lead_id"].map(stored.groupby("lead_id")["last_at"].max())
    dated = old["lead_id"].map(stored.groupby("lead_id")["last_known"].last()).fillna(True)
    stage = old["lead_id"].map(current)
    _flag_not_after(
        check, seen[~already], last[~already], stage[~already], dated[~already].astype(bool)
    )
    passed = ~already & ~old["known"] & (old["rank"] <= stage.map(RANK).astype(float))
    return events.drop(index=old.index[same | passed])


def _flag_rewritten(check: Checker, clashes: pd.DataFrame) -> None:
    zone = check.zone
    for _, event in clashes.iterrows():
        check.note(
            int(event["row"]),
            event["column"],
            f"LeadDash already has this lead reaching {event['stage']} on "
            f"{day_text(event['at_stored'], zone)}; the file says {day_text(event['at'], zone)}.",
            "A lead's recorded history is never rewritten: correct the date in the "
            "file to the stored one, or leave the cell empty.",
        )


def _flag_not_after(
    check: Checker, events: pd.DataFrame, last: pd.Series, stage: pd.Series, dated: pd.Series
) -> None:
    """Note new events of stored leads that would not extend their history forwards."""
    closed = stage.isin([*CLOSED, *EXITS])
    behind = ~closed & (events["rank"] < stage.map(RANK).astype(float))
    early = ~closed & ~behind & events["known"] & (events["at"] < last)
    for index, event in events[closed | behind | early].iterrows():
        check.note(
            int(event["row"]),
            event["column"],
            _not_after(
                event,
                stage[index],
                last[index],
                bool(closed[index]),
                bool(behind[index]),
                bool(dated[index]),
                check.zone,
            ),
            "Stages are added after what LeadDash already has, never before: correct "
            "the date or the stage, or leave the cell empty.",
        )


def _not_after(
    event: pd.Series,
    stage: str,
    last: pd.Timestamp,
    closed: bool,
    behind: bool,
    dated: bool,
    zone: str,
) -> str:
    said = f"The file says the lead reached {event['stage']}"
    said += f" on {day_text(event['at'], zone)}" if event["known"] else ""
    if closed:
        return f"{said}, but it is already {stage} (since {day_text(last, zone)})."
    if behind:
        return f"{said}, but it is already at {stage}, a later stage."
    if not dated:
        return (
            f"{said}, before its last recorded stage change ({stage}, recorded without a "
            f"date on {day_text(last, zone)}, when it was imported)."
        )
    return f"{said}, before its last recorded stage change ({stage}, {day_text(last, zone)})."


def chained(events: pd.DataFrame, start: pd.Series) -> pd.DataFrame:
    """Return the events (sorted per row by time and rank) with `from_stage`: the event
    before, or the row's stage before the import (`start`, per row)."""
    before = events.groupby("row")["stage"].shift()
    return events.assign(from_stage=before.fillna(events["row"].map(start)))


def versions_in_force(session: Session, times: pd.Series) -> pd.Series:
    """Return the id of the definition version in force at each time (Int64, NA when none
    was): effective from its start until the next one took over."""
    rows = session.exec(
        select(
            AgreementVersion.id, AgreementVersion.effective_from, AgreementVersion.effective_to
        ).where(
            AgreementVersion.kind == AgreementKind.DEFINITION,
            col(AgreementVersion.effective_from).is_not(None),
        )
    ).all()
    found = pd.Series(pd.NA, index=times.index, dtype="Int64")
    for version_id, start, end in rows:
        begins = (
            pd.Timestamp(start).tz_convert("UTC")
            if pd.Timestamp(start).tzinfo
            else pd.Timestamp(start).tz_localize("UTC")
        )
        inside = times >= begins
        if end is not None:
            ends = pd.Timestamp(end)
            inside &= times < (ends.tz_convert("UTC") if ends.tzinfo else ends.tz_localize("UTC"))
        found = found.mask(inside.fillna(False).astype(bool), version_id)
    return found


def lead_values(session: Session, events: pd.DataFrame) -> pd.DataFrame:
    """Return per row what its new events leave on the lead: stage, stage_changed_at,
    mql_at, accepted_at, decided_at, first_at (its earliest dated event; NaT where the
    events do not say) and the definition version in force at the MQL time."""
    last = events.groupby("row").tail(1).set_index("row")
    values = pd.DataFrame({"stage": last["stage"], "stage_changed_at": last["at"]})
    dated = events[events["known"]]
    for column, stage in LEAD_TIMES.items():
        values[column] = dated[dated["stage"] == stage].groupby("row")["at"].min()
    values["decided_at"] = dated[dated["stage"].isin(DECISIONS)].groupby("row")["at"].max()
    values["first_at"] = dated.groupby("row")["at"].min()
    values["definition_version_id"] = versions_in_force(session, values["mql_at"])
    return values.astype(
        dict.fromkeys(("stage_changed_at", *LEAD_TIMES, "decided_at", "first_at"), UTC_TIMES)
    )


WRITTEN_COLUMNS = [
    "lead_id",
    "from_stage",
    "to_stage",
    "occurred_at",
    "actor_id",
    "reason_code",
    "note",
    "definition_version_id",
    "time_known",
]


def write_events(
    session: Session, events: pd.DataFrame, versions: pd.Series, actor_id: int | None, note: str
) -> pd.DataFrame:
    """Insert the chained `events` (with lead_id) as stage events; MQL events carry the
    definition version in force (`versions`, per row). Return the rows written, in the
    order written (the order of their ids)."""
    if events.empty:  # the same columns, so callers can select from it
        return pd.DataFrame(columns=WRITTEN_COLUMNS)
    mql = events["stage"] == Stage.MQL.value
    frame = pd.DataFrame(
        {
            "lead_id": events["lead_id"].astype("int64").to_numpy(),
            "from_stage": events["from_stage"].to_numpy(dtype=object),
            "to_stage": events["stage"].to_numpy(dtype=object),
            "occurred_at": events["at"].astype(UTC_TIMES).reset_index(drop=True),
            "actor_id": actor_id,
            "reason_code": events["reason"].to_numpy(dtype=object),
            "note": note[:500],
            "definition_version_id": events["row"]
            .map(versions)
            .where(mql)
            .astype("Int64")
            .to_numpy(),
            "time_known": events["known"].to_numpy(dtype=bool),
        }
    )
    insert_frame(session, StageEvent, frame)
    return frame


def update_leads(session: Session, values: pd.DataFrame, at: datetime) -> None:
    """Write what new events leave on stored leads (`values` indexed by lead id); a stored
    MQL or acceptance time and definition version are kept, never replaced."""
    if values.empty:
        return
    keep = {
        c: func.coalesce(LEADS[c], bindparam(f"b_{c}", type_=LEADS[c].type))
        for c in ("mql_at", "accepted_at", "definition_version_id")
    }
    statement = (
        update(table_of(Lead))
        .where(LEADS.id == bindparam("b_id"))
        .values(
            stage=bindparam("b_stage"),
            stage_changed_at=bindparam("b_changed"),
            decided_at=func.coalesce(
                bindparam("b_decided_at", type_=LEADS.decided_at.type), LEADS.decided_at
            ),
            updated_at=at,
            version=LEADS.version + 1,
            **keep,
        )
    )
    rows = [
        {
            "b_id": int(i),
            "b_stage": v["stage"],
            "b_changed": _plain(v["stage_changed_at"]),
            "b_mql_at": _plain(v["mql_at"]),
            "b_accepted_at": _plain(v["accepted_at"]),
            "b_decided_at": _plain(v["decided_at"]),
            "b_definition_version_id": _plain(v["definition_version_id"]),
        }
        for i, v in values.iterrows()
    ]
    session.connection().execute(statement, rows)
    for obj in [o for o in session.identity_map.values() if isinstance(o, Lead)]:
        session.expire(obj)


def _plain(value: object) -> object:
    if value is None or pd.isna(value):
        return None
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    return value.item() if hasattr(value, "item") else value


def with_reasons(
    check: Checker, events: pd.DataFrame, reasons: pd.Series, known: dict[str, str]
) -> pd.DataFrame:
    """Return the events with each row's reason on its exit event (an agreed reason's
    code when the text names one, by code or label; else the text as written), noting
    rows that give a reason but never left the funnel."""
    given = reasons.dropna()
    exits = events[events["stage"].isin(EXITS)]
    idle = given.index.difference(exits["row"])
    for row in idle:
        check.note(
            int(row),
            check.column("reason"),
            f"The reason {given[row]!r} is given, but the row has no disqualified, "
            "rejected, recycled or lost date.",
            "Give the date the lead left the funnel, or empty the reason.",
        )
    coded = given.map(lambda text: known.get(text.casefold(), text))
    reason = events["row"].map(coded).where(events["stage"].isin(EXITS))
    return events.assign(reason=reason.astype(object).where(reason.notna(), None))


def agreed_reasons(session: Session) -> dict[str, str]:
    """Return the agreed reasons' codes by their code and label, case-folded."""
    rows = session.exec(select(Reason.code, Reason.label)).all()
    return {name.casefold(): code for code, label in rows for name in (code, label)}
