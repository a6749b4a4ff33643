"""Turning one chunk of leads, their stage events and touches into LeadPass rows (pandas,
vectorized; no database access).

Rules (DESIGN.md "Lead lifecycle"; the tests pin them):
- Events are read in (time, id) order. A lead's first event opens pass 1; a later event
  into `inquiry` (back to marketing), or into `mql` straight from recycled or lost, opens
  the next pass (unless it undoes the recycle: reason `undone`). A dispute overturned
  (rejected → mql, disqualified → accepted) reopens the same pass.
- A stage's time (`<stage>_at`) is the pass's first dated event into it: only what was
  seen. A stage counts as reached when the pass entered it or any later funnel stage; a
  stage it went straight past (a won deal never seen as an MQL) has no time, and its month
  key is the month of the next stage it was seen in (DESIGN "observed vs implied stages").
  An event whose time is not known (an open deal's current stage from a CRM export) reaches
  its stage in the month it was placed in, without a time. Lost is an exit.
- The decision is the pass's last validated / disqualified / rejected / recycled event not
  undone by a later overturn; its actor is who decided. The exit is the pass's last event
  when that is rejected, disqualified, recycled or lost.
- Score and failed fit clause are the lead's, kept on qualified passes only: an
  inquiry's score moves with every rescoring, its facts would go stale.
- Touches belong to the pass open when they happened; a pass's first contact is its first
  connected touch. The lead row keeps only its current deadlines, first touch, first
  contact, attempts and assignment: the last pass takes them from it (an assignment no
  earlier than its MQL time); earlier passes get the deadlines the active SLA gives their
  MQL time, and no assignment.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from sqlmodel import Session

from leaddash.agreements import active_version
from leaddash.models import FUNNEL_STAGES, UNDONE_REASON, AgreementKind, Stage, TouchOutcome
from leaddash.sla import (
    business_days_deadline,
    business_deadline,
    business_hours_between,
)

KEYS = ["lead_id", "pass_no"]
MILESTONES = {str(s): f"{s}_at" for s in FUNNEL_STAGES}
EXITS = (Stage.REJECTED, Stage.DISQUALIFIED, Stage.RECYCLED, Stage.LOST)
DECISIONS = (Stage.VALIDATED, Stage.DISQUALIFIED, Stage.REJECTED, Stage.RECYCLED)
REOPENED = (Stage.MQL, Stage.ACCEPTED)
REACHED = {str(s): f"{s}_reached" for s in FUNNEL_STAGES}
MONTHS = {
    **{reached: f"{stage}_month" for stage, reached in REACHED.items()},
    "exit_at": "exit_month",
}
TIMES = [
    *MILESTONES.values(),
    "lost_at",
    "exit_at",
    "touch_due_at",
    "first_touch_at",
    "first_contact_at",
    "assigned_at",
    "decision_due_at",
    "decided_at",
]
# Speed-to-lead's wall-clock durations in minutes, kept on each MQL pass so a million
# passes are read as numbers (docs/metrics.md "Speed-to-lead"): response (MQL → first
# touch), first contact (MQL → first connected touch), and, when the owner got the lead by
# its first touch, routing delay (MQL → owner) and rep delay (owner → first touch).
DURATIONS = ["response_minutes", "contact_minutes", "routing_minutes", "rep_minutes"]
COLUMNS = [
    "lead_id",
    "pass_no",
    "source",
    "campaign",
    "segment",
    "team_id",
    "owner_id",
    "definition_version_id",
    "is_sample",
    *MILESTONES.values(),
    "lost_at",
    "exit_stage",
    "exit_reason",
    "exit_at",
    "touch_due_at",
    "first_touch_at",
    "first_contact_at",
    "assigned_at",
    "decision_due_at",
    "decided_at",
    "attempts",
    "response_hours",
    *DURATIONS,
    "is_history",
    "score",
    "fit_clause",
    "amount",
    "went_past",
    *MONTHS.values(),
]
LEAD_FIELDS = [
    "source",
    "campaign",
    "segment",
    "team_id",
    "is_sample",
    "score",
    "fit_failed_clause",
    "created_at",
    "owner_id",
    "definition_version_id",
    "first_touch_at",
    "first_contact_at",
    "assigned_at",
    "attempts",
    "touch_due_at",
    "decision_due_at",
    "amount",
    "is_history",
]
UTC_TIMES = "datetime64[us, UTC]"


@dataclass(frozen=True)
class SlaTerms:
    """What passes need of the active SLA: its calendar and its two deadlines (None when
    no SLA is active: no deadlines; response hours on a Mon–Fri 9–17 UTC calendar)."""

    calendar: dict[str, Any]
    first_touch_hours: float | None = None
    decision_days: int | None = None

    @property
    def timezone(self) -> str:
        """Return the zone month keys are taken in."""
        return self.calendar.get("timezone") or "UTC"


def number_passes(events: pd.DataFrame) -> pd.Series:
    """Return the pass number of each event (`events` sorted by lead, time and id). An
    undone recycle's way back to MQL (reason UNDONE_REASON) starts no pass."""
    first = events["lead_id"].ne(events["lead_id"].shift())
    requalified = (
        events["to_stage"].eq(Stage.MQL)
        & events["from_stage"].isin([Stage.RECYCLED, Stage.LOST])
        & events["reason_code"].ne(UNDONE_REASON)
    )
    opens = ~first & (events["to_stage"].eq(Stage.INQUIRY) | requalified)
    return opens.groupby(events["lead_id"]).cumsum().astype(int) + 1


def _first_entries(events: pd.DataFrame) -> pd.DataFrame:
    """Return per pass the first time of its events into each funnel stage and lost."""
    hit = events[events["to_stage"].isin([*MILESTONES, Stage.LOST])]
    first = hit.groupby([*KEYS, "to_stage"])["occurred_at"].min().unstack("to_stage")
    return first.reindex(columns=[*MILESTONES, Stage.LOST.value]).astype(UTC_TIMES)


def _milestones(events: pd.DataFrame) -> pd.DataFrame:
    """Return per pass when it was seen entering each funnel stage (`<stage>_at`, dated
    events only), when it reached each (`<stage>_reached`: back-filled from the next stage
    reached, for the month keys), the stages it went past without any event for them
    (`went_past`, bit i for the i-th funnel stage) and when it was lost."""
    seen = _first_entries(events[events["time_known"]])
    entered = _first_entries(events)
    stages = list(MILESTONES)
    reached = entered.copy()
    for earlier, later in zip(stages[-2::-1], stages[:0:-1], strict=True):
        reached[earlier] = reached[earlier].fillna(reached[later])
    bits = sum(
        (reached[s].notna() & entered[s].isna()).astype(int) * (1 << i)
        for i, s in enumerate(stages)
        if i
    )
    return (
        seen.rename(columns={**MILESTONES, "lost": "lost_at"})
        .join(reached[stages].rename(columns=REACHED))
        .assign(went_past=bits)
    )


def _standing_decision(events: pd.DataFrame) -> pd.DataFrame:
    """Return per decided pass decided_at and decider (the actor of the decision)."""
    order = events.assign(seq=np.arange(len(events)))
    decided = order[order["to_stage"].isin(DECISIONS)].groupby(KEYS).tail(1).set_index(KEYS)
    reopened = order[order["to_stage"].isin(REOPENED)].groupby(KEYS)["seq"].max()
    undone = reopened.reindex(decided.index).gt(decided["seq"])
    standing = decided[~undone]
    return pd.DataFrame({"decided_at": standing["occurred_at"], "decider": standing["actor_id"]})


def _exits(events: pd.DataFrame) -> pd.DataFrame:
    """Return per pass its exit (stage, reason, time, actor) when its last event is one."""
    last = events.groupby(KEYS).tail(1).set_index(KEYS)
    left = last[last["to_stage"].isin(EXITS)]
    return pd.DataFrame(
        {
            "exit_stage": left["to_stage"],
            "exit_reason": left["reason_code"],
            "exit_at": left["occurred_at"],
            "exit_actor": left["actor_id"],
        }
    )


def _pass_frame(leads: pd.DataFrame, events: pd.DataFrame) -> pd.DataFrame:
    """Return one row per pass (index lead_id, pass_no) with its start, milestones, exit,
    decision and qualifying definition version; leads without events get pass 1."""
    grouped = events.groupby(KEYS)
    passes = pd.DataFrame({"start": grouped["occurred_at"].min()})
    mqls = events[events["to_stage"].eq(Stage.MQL)].groupby(KEYS)["definition_version_id"]
    passes = (
        passes.join(_milestones(events))
        .join(_exits(events))
        .join(_standing_decision(events))
        .join(mqls.first().rename("event_version"))
    )
    silent = leads.index.difference(passes.index.get_level_values("lead_id").unique())
    missing = pd.MultiIndex.from_arrays([silent, np.ones(len(silent), dtype=int)], names=KEYS)
    return pd.concat([passes, pd.DataFrame(index=missing)]).sort_index()


def _touches_by_pass(touches: pd.DataFrame, passes: pd.DataFrame) -> pd.DataFrame:
    """Return per pass its first touch time, first contact (connected touch) time and
    number of touches."""
    if touches.empty:
        return pd.DataFrame(
            {
                "first_touch_at": pd.Series(dtype=UTC_TIMES),
                "first_contact_at": pd.Series(dtype=UTC_TIMES),
                "attempts": pd.Series(dtype=int),
            },
            index=pd.MultiIndex.from_arrays([[], []], names=KEYS),
        )
    starts = passes.reset_index()[["lead_id", "pass_no", "start"]].dropna()
    starts = starts.assign(start=starts["start"].astype(UTC_TIMES)).sort_values("start")
    logged = touches.assign(occurred_at=touches["occurred_at"].astype(UTC_TIMES))
    matched = pd.merge_asof(
        logged.sort_values("occurred_at"),
        starts,
        left_on="occurred_at",
        right_on="start",
        by="lead_id",
        direction="backward",
    )
    matched["pass_no"] = matched["pass_no"].fillna(1).astype(int)
    matched["contact_at"] = matched["occurred_at"].where(
        matched["outcome"].eq(TouchOutcome.CONNECTED.value)
    )
    grouped = matched.groupby(KEYS)
    return pd.DataFrame(
        {
            "first_touch_at": grouped["occurred_at"].min(),
            "first_contact_at": grouped["contact_at"].min(),
            "attempts": grouped.size(),
        }
    )


def _with_lead_row(passes: pd.DataFrame, leads: pd.DataFrame) -> pd.DataFrame:
    """Return the passes with the lead's dimensions, and for each lead's last pass its
    current owner, deadlines, and first touch / attempts when no touch rows say more."""
    lead = leads.reindex(passes.index.get_level_values("lead_id"))
    lead.index = passes.index
    last = ~passes.index.get_level_values("lead_id").duplicated(keep="last")
    dimensions = ["source", "campaign", "segment", "team_id", "is_sample", "is_history"]
    out = passes.join(lead[dimensions])
    out["is_history"] = out["is_history"].eq(True)  # missing (a bulk write's rows): not
    qualified = out["mql_at"].notna()
    out["score"] = lead["score"].where(qualified)
    out["fit_clause"] = lead["fit_failed_clause"].where(qualified)
    # Every pass starts as an inquiry: without an event into it, at the pass's first
    # event, or (a lead without events) when the lead was created.
    created = lead["created_at"].astype(UTC_TIMES)
    out["inquiry_at"] = out["inquiry_at"].fillna(out["inquiry_reached"]).fillna(created)
    out["inquiry_reached"] = out["inquiry_at"]
    out["amount"] = lead["amount"].where(last)
    out["went_past"] = out["went_past"].fillna(0).astype(int)
    ids = {
        name: pd.to_numeric(frame[name]).astype(float)
        for frame, name in (
            (lead, "owner_id"),
            (out, "decider"),
            (out, "exit_actor"),
            (out, "event_version"),
            (lead, "definition_version_id"),
        )
    }
    out["owner_id"] = ids["owner_id"].where(last).fillna(ids["decider"]).fillna(ids["exit_actor"])
    out["definition_version_id"] = ids["event_version"].fillna(ids["definition_version_id"])
    recorded = lead["first_touch_at"].astype(UTC_TIMES)
    own_touch = last & out["first_touch_at"].isna() & recorded.notna() & ~(recorded < out["start"])
    out["first_touch_at"] = out["first_touch_at"].where(~own_touch, recorded)
    out["attempts"] = out["attempts"].where(~own_touch, lead["attempts"]).fillna(0)
    contact = lead["first_contact_at"].astype(UTC_TIMES)
    own_contact = last & out["first_contact_at"].isna() & ~(contact < out["start"])
    out["first_contact_at"] = out["first_contact_at"].where(~own_contact, contact)
    assigned = lead["assigned_at"].astype(UTC_TIMES)
    out["assigned_at"] = assigned.where(~(assigned < out["mql_at"]), out["mql_at"]).where(
        last & qualified & assigned.notna()
    )
    for due in ("touch_due_at", "decision_due_at"):
        out[due] = lead[due].astype(UTC_TIMES).where(last & qualified)
    return out


def _deadlines(out: pd.DataFrame, terms: SlaTerms) -> pd.DataFrame:
    """Return `out` with earlier passes' deadlines computed from their MQL time."""
    earlier = out["mql_at"].notna() & out.index.get_level_values("lead_id").duplicated(keep="last")
    if not earlier.any():
        return out
    mql = out.loc[earlier, "mql_at"]
    if terms.first_touch_hours is not None:
        out.loc[earlier, "touch_due_at"] = business_deadline(
            mql, terms.first_touch_hours, terms.calendar
        ).astype(UTC_TIMES)
    if terms.decision_days is not None:
        out.loc[earlier, "decision_due_at"] = business_days_deadline(
            mql, terms.decision_days, terms.calendar
        ).astype(UTC_TIMES)
    return out


def month_keys(times: pd.Series, timezone: str) -> pd.Series:
    """Return yyyymm integers (nullable) of aware times, in `timezone`'s calendar."""
    local = times.astype(UTC_TIMES).dt.tz_convert(timezone)
    return (local.dt.year * 100 + local.dt.month).astype("Int64")


def build_passes(
    leads: pd.DataFrame, events: pd.DataFrame, touches: pd.DataFrame, terms: SlaTerms
) -> pd.DataFrame:
    """Return the LeadPass rows (COLUMNS) of `leads` (indexed by id) from their stage
    events (lead_id, from_stage, to_stage, occurred_at, actor_id, reason_code,
    definition_version_id, time_known; any order) and touches (lead_id, occurred_at,
    outcome)."""
    events = events.sort_values(["lead_id", "occurred_at", "id"], kind="stable")
    events = events.assign(time_known=events["time_known"].astype(bool))
    events = events.assign(pass_no=number_passes(events))
    passes = _pass_frame(leads, events)
    passes = passes.join(_touches_by_pass(touches, passes))
    out = _deadlines(_with_lead_row(passes, leads), terms)
    out["response_hours"] = business_hours_between(
        out["mql_at"], out["first_touch_at"], terms.calendar
    ).where(out["mql_at"].notna() & out["first_touch_at"].notna())
    out = out.assign(**durations(out))
    for time, month in MONTHS.items():
        out[month] = month_keys(out[time], terms.timezone)
    return out.reset_index()[COLUMNS]


def _minutes(earlier: pd.Series, later: pd.Series) -> pd.Series:
    return (later.astype(UTC_TIMES) - earlier.astype(UTC_TIMES)).dt.total_seconds() / 60.0


def durations(out: pd.DataFrame) -> dict[str, pd.Series]:
    """Return the passes' DURATIONS (NaN where a time is missing; routing and rep delay
    only when the owner got the pass at or before its first touch)."""
    mql, touch, owner = out["mql_at"], out["first_touch_at"], out["assigned_at"]
    split = owner.notna() & touch.notna() & (owner <= touch)
    return {
        "response_minutes": _minutes(mql, touch),
        "contact_minutes": _minutes(mql, out["first_contact_at"]),
        "routing_minutes": _minutes(mql, owner).where(split),
        "rep_minutes": _minutes(owner, touch).where(split),
    }


def sla_terms(session: Session) -> SlaTerms:
    """Return the calendar and deadlines of the active SLA (empty terms when none is)."""
    sla = active_version(session, AgreementKind.SLA)
    content = sla.content if sla is not None else {}
    sales = content.get("sales") or {}
    return SlaTerms(
        calendar=content.get("calendar") or {},
        first_touch_hours=sales.get("first_touch_hours"),
        decision_days=sales.get("decision_days"),
    )
