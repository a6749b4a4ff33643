"""The whole demo, planned in memory before anything is written: a pure function of
(leads, seed, months, today), so the same arguments always give the same data."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

import numpy as np
import pandas as pd

from leaddash.demo.agreements import (
    AgreementPlan,
    definition_plans,
    definition_v1,
    definition_v2,
    definition_v3,
    sla_content,
    sla_plan,
)
from leaddash.demo.funnel import (
    assign_owners,
    decide,
    definition_version,
    route,
    score_by_version,
)
from leaddash.demo.history import build_events, lead_state
from leaddash.demo.leads import creation_times, make_activities, make_leads
from leaddash.demo.timeline import hold_rep_queue, plan_pipeline, plan_touches
from leaddash.models import Stage

LEAD_COLUMNS = [
    "external_id",
    "email",
    "email_key",
    "phone",
    "first_name",
    "last_name",
    "company",
    "title",
    "country",
    "industry",
    "employees",
    "source",
    "campaign",
    "segment",
    "created_at",
    "custom",
    "stage",
    "stage_changed_at",
    "score",
    "fit_ok",
    "fit_failed_clause",
    "definition_version",
    "is_sample",
    "owner",
    "team",
    "mql_at",
    "accepted_at",
    "first_touch_at",
    "first_contact_at",
    "callback_at",
    "decided_at",
    "touch_due_at",
    "decision_due_at",
    "touch_warn_at",
    "decision_warn_at",
    "attempts",
    "amount",
]


@dataclass
class DemoPlan:
    """Everything the demo writes, keyed by position (lead_key) and by name, not by id."""

    start: pd.Timestamp
    now: pd.Timestamp
    leads: pd.DataFrame
    activities: pd.DataFrame
    touches: pd.DataFrame
    events: pd.DataFrame
    agreements: list[AgreementPlan]
    monthly_mqls: pd.Series


def demo_window(today: date, months: int) -> tuple[pd.Timestamp, pd.Timestamp]:
    """Return (start, now): the first day of the month `months - 1` months before
    `today`'s, and noon of `today` in New York — the demo's "current moment"."""
    now = pd.Timestamp(datetime.combine(today, time(12, 0)), tz="America/New_York")
    first = pd.Timestamp(today.year, today.month, 1, tz="UTC")
    return first - pd.DateOffset(months=max(months, 1) - 1), now.tz_convert("UTC")


def version_boundaries(start: pd.Timestamp, now: pd.Timestamp) -> list[pd.Timestamp]:
    """Return the days the three definition versions took effect (thirds of the window)."""
    third = (now - start) / 3
    return [start, (start + third).normalize(), (start + 2 * third).normalize()]


def _mqls(frame: pd.DataFrame, scored: pd.DataFrame, now: pd.Timestamp) -> pd.DataFrame:
    chosen = scored["is_mql"] | scored["is_sample"]
    m = frame[chosen].join(scored.loc[chosen, ["score", "threshold", "is_sample", "version"]])
    floor = m["created_at"] + pd.Timedelta(minutes=5)
    mql_at = scored.loc[chosen, "scored_at"].where(lambda s: s > floor, floor)
    return m.assign(mql_at=mql_at.where(mql_at < now, now))


def _monthly(m: pd.DataFrame, now: pd.Timestamp) -> pd.Series:
    month = m["mql_at"].dt.tz_localize(None).dt.to_period("M")
    counts = month[month < now.tz_localize(None).to_period("M")].value_counts().sort_index()
    return counts.rename("mqls")


def _agreements(
    m: pd.DataFrame, monthly: pd.Series, start: pd.Timestamp, now: pd.Timestamp
) -> list[AgreementPlan]:
    share = m["segment"].value_counts(normalize=True).sort_index()
    years = range(start.year, now.year + 2)
    sla = sla_content(monthly if len(monthly) else pd.Series([len(m)]), share, years)
    bounds = [b.to_pydatetime() for b in version_boundaries(start, now)]
    return [*definition_plans(bounds), sla_plan(sla, start.to_pydatetime())]


def _lead_rows(
    frame: pd.DataFrame, scored: pd.DataFrame, m: pd.DataFrame, state: pd.DataFrame
) -> pd.DataFrame:
    rows = frame.join(state).assign(
        score=scored["score"],
        fit_ok=scored["fit_ok"],
        is_sample=scored["is_sample"],
        fit_failed_clause=scored["failed_clause"],
        definition_version=scored["version"],
    )
    timeline = ["owner", "team", "mql_at", "touch_due_at", "decision_due_at"]
    timeline += ["touch_warn_at", "decision_warn_at"]
    rows = rows.join(m[timeline])
    rows["amount"] = m["amount"].where(rows["stage"] == Stage.WON)
    return rows[LEAD_COLUMNS]


def build_plan(*, leads: int, seed: int, months: int, today: date) -> DemoPlan:
    """Return the full demo plan for these arguments (deterministic)."""
    rng = np.random.default_rng(seed)
    start, now = demo_window(today, months)
    frame = make_leads(rng, creation_times(rng, leads, start, now))
    activities = make_activities(rng, frame, now)
    contents = [definition_v1(), definition_v2(), definition_v3()]
    version = definition_version(frame["created_at"], version_boundaries(start, now))
    scored = score_by_version(rng, frame, activities, contents, version)
    m = _mqls(frame, scored, now)
    monthly = _monthly(m, now)
    agreements = _agreements(m, monthly, start, now)
    m = m.assign(team=route(m))
    m = decide(rng, m.assign(owner=assign_owners(rng, m["team"])), contents[-1])
    m, touches = plan_touches(rng, m, agreements[-1].content)
    m, touches = hold_rep_queue(plan_pipeline(rng, m), touches, now)
    touches = touches[touches["occurred_at"] <= now].reset_index(drop=True)
    events = build_events(frame, m, now)
    rows = _lead_rows(frame, scored, m, lead_state(frame, events, touches))
    return DemoPlan(start, now, rows, activities, touches, events, agreements, monthly)
