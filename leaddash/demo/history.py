"""Stage events from the planned timeline, cut at `now`, and each lead's state from them."""

from __future__ import annotations

import numpy as np
import pandas as pd

from leaddash.models import OPEN_STAGES, Stage

EVENT_COLUMNS = [
    "lead_key",
    "from_stage",
    "to_stage",
    "occurred_at",
    "actor",
    "reason_code",
    "note",
    "seq",
]


def _events(
    keys: pd.Index,
    from_stage: object,
    to_stage: object,
    when: pd.Series,
    actor: object = None,
    reason: object = None,
    note: object = None,
    seq: int = 0,
) -> pd.DataFrame:
    frame = pd.DataFrame({"lead_key": keys, "occurred_at": pd.Series(when).array})
    return frame.assign(
        from_stage=from_stage,
        to_stage=to_stage,
        actor=actor,
        reason_code=reason,
        note=note,
        seq=seq,
    )[EVENT_COLUMNS]


def _decisions(m: pd.DataFrame) -> list[pd.DataFrame]:
    rejected = m[m["outcome"] == "rejected"]
    contacted = m[m["outcome"] != "rejected"]
    return [
        _events(
            rejected.index,
            Stage.MQL,
            Stage.REJECTED,
            rejected["decided_at"],
            rejected["owner"].to_numpy(),
            rejected["reason_code"].to_numpy(),
            seq=2,
        ),
        _events(
            contacted.index,
            Stage.ACCEPTED,
            contacted["outcome"].to_numpy(),
            contacted["decided_at"],
            contacted["owner"].to_numpy(),
            contacted["reason_code"].to_numpy(),
            seq=3,
        ),
    ]


def _pipeline(m: pd.DataFrame) -> list[pd.DataFrame]:
    owner = m["owner"].to_numpy()
    closed = np.where(m["won"].astype(bool), Stage.WON, Stage.LOST)
    return [
        _events(m.index, Stage.VALIDATED, Stage.SQL, m["sql_at"], owner, seq=4),
        _events(m.index, Stage.SQL, Stage.OPPORTUNITY, m["opportunity_at"], owner, seq=5),
        _events(m.index, Stage.OPPORTUNITY, closed, m["closed_at"], owner, seq=6),
    ]


def build_events(leads: pd.DataFrame, m: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    """Return every stage event that happened by `now`, ordered by lead and time:
    inquiry for all leads, then mql, accepted, the decision and the pipeline for MQLs."""
    # numpy's stubs refuse None as a choice; at run time it makes an object array.
    sample_note = np.where(m["is_sample"], "Below-threshold sample for recall", None)  # type: ignore[call-overload]
    parts = [
        _events(leads.index, None, Stage.INQUIRY, leads["created_at"]),
        _events(m.index, Stage.INQUIRY, Stage.MQL, m["mql_at"], note=sample_note, seq=1),
        _events(m.index, Stage.MQL, Stage.ACCEPTED, m["accepted_at"], m["owner"].to_numpy(), seq=2),
        *_decisions(m),
        *_pipeline(m),
    ]
    events = pd.concat(parts, ignore_index=True)
    events["occurred_at"] = pd.to_datetime(events["occurred_at"], utc=True)
    events = events[events["occurred_at"].notna() & (events["occurred_at"] <= now)]
    return events.sort_values(["lead_key", "occurred_at", "seq"], ignore_index=True)


def _first(events: pd.DataFrame, stages: tuple[str, ...]) -> pd.Series:
    chosen = events[events["to_stage"].isin(stages)]
    return chosen.groupby("lead_key")["occurred_at"].min()


def lead_state(leads: pd.DataFrame, events: pd.DataFrame, touches: pd.DataFrame) -> pd.DataFrame:
    """Return per lead: stage and stage_changed_at (its last event), accepted_at,
    decided_at, first_touch_at, first_contact_at (connected touch), attempts (touches by
    now) and, for an open lead not reached yet, when the rep will call back."""
    contacts = touches[touches["outcome"] == "connected"]
    last = events.groupby("lead_key").tail(1).set_index("lead_key")
    decisions = (Stage.VALIDATED, Stage.DISQUALIFIED, Stage.REJECTED, Stage.RECYCLED)
    state = pd.DataFrame(
        {
            "stage": last["to_stage"],
            "stage_changed_at": last["occurred_at"],
            "accepted_at": _first(events, (Stage.ACCEPTED,)),
            "decided_at": _first(events, decisions),
            "first_touch_at": touches.groupby("lead_key")["occurred_at"].min(),
            "first_contact_at": contacts.groupby("lead_key")["occurred_at"].min(),
            "attempts": touches.groupby("lead_key").size(),
        }
    ).reindex(leads.index)
    state["attempts"] = state["attempts"].fillna(0).astype(int)
    # An open lead whose last attempt did not reach the person gets a callback a day later.
    latest = touches.groupby("lead_key")["occurred_at"].max().reindex(leads.index)
    waiting = state["stage"].isin(OPEN_STAGES) & state["first_contact_at"].isna()
    state["callback_at"] = (latest + pd.Timedelta(days=1)).where(waiting)
    return state
