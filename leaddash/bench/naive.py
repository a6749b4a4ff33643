"""The naive funnel, for comparison: every lead and every stage event loaded into pandas and
grouped there, against the funnel services on LeadPass, on the same data in the same run.

Both give the waterfall (leads reaching each stage, conversion from the stage before) and
conversion by month of entering MQL to won, for the Funnel page's default filters (the last
six months) as a sales leader. The naive side follows the same meanings (DESIGN.md
"Metrics": passes, a stage reached when it or a later one was entered, month keys in the
SLA calendar's zone); the measurement fails when the two disagree on any number.
"""

from __future__ import annotations

import time
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import Engine, select
from sqlmodel import Session

from leaddash.analytics.filters import Filters, month_key
from leaddash.analytics.funnel import (
    PAIRS,
    STAGES,
    conversion_by_cohort,
    month_start,
    waterfall,
)
from leaddash.analytics.passes import month_keys, number_passes, sla_terms
from leaddash.bench.dashboard_measures import bench_leader
from leaddash.bench.dataset import BenchDataset
from leaddash.bench.registry import Measurement, measurement
from leaddash.core.actor import Actor
from leaddash.db import make_engine, read_session
from leaddash.models import Lead, StageEvent, utcnow
from leaddash.reports.model import months_before
from leaddash.scoring_io import read_frame, readable

COHORT = ("mql", "won")
LEAD_READ: list[Any] = [
    Lead.id,
    Lead.created_at,
    Lead.source,
    Lead.campaign,
    Lead.segment,
    Lead.team_id,
    Lead.owner_id,
]
EVENT_READ: list[Any] = [
    StageEvent.id,
    StageEvent.lead_id,
    StageEvent.from_stage,
    StageEvent.to_stage,
    StageEvent.occurred_at,
    StageEvent.reason_code,  # an undone recycle's way back to MQL starts no pass
]


def page_filters() -> Filters:
    """Return the Funnel page's default filters: the last six months up to today."""
    today = utcnow().date()
    return Filters(start=months_before(today, 5), end=today)


def service_numbers(
    session: Session, actor: Actor, filters: Filters
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the services' waterfall and MQL → won conversion by cohort."""
    return (
        waterfall(session, actor=actor, filters=filters),
        conversion_by_cohort(
            session, actor=actor, filters=filters, from_stage=COHORT[0], to_stage=COHORT[1]
        ),
    )


def reached_months(leads: pd.DataFrame, events: pd.DataFrame, timezone: str) -> pd.DataFrame:
    """Return per pass the month key (in `timezone`) it reached each funnel stage, or NA,
    and per stage whether an event shows it entering it (`seen_<stage>`)."""
    events = events.sort_values(["lead_id", "occurred_at", "id"], kind="stable")
    events = events.assign(pass_no=number_passes(events))
    entered = events[events["to_stage"].isin(STAGES)]
    first = entered.groupby(["lead_id", "pass_no", "to_stage"])["occurred_at"].min()
    first = first.unstack("to_stage").reindex(columns=STAGES)
    for earlier, later in zip(STAGES[-2::-1], STAGES[:0:-1], strict=True):
        first[earlier] = first[earlier].fillna(first[later])
    created = leads.set_index("id")["created_at"]
    every = pd.MultiIndex.from_arrays(
        [created.index, np.ones(len(created), dtype=int)], names=["lead_id", "pass_no"]
    )
    first = first.reindex(first.index.union(every))
    first["inquiry"] = first["inquiry"].fillna(
        created.reindex(first.index.get_level_values("lead_id")).set_axis(first.index)
    )
    seen = entered.groupby(["lead_id", "pass_no", "to_stage"]).size().unstack("to_stage")
    seen = seen.reindex(index=first.index, columns=STAGES).notna()
    return pd.DataFrame(
        {
            **{s: month_keys(first[s], timezone) for s in STAGES},
            **{f"seen_{s}": seen[s] | (s == STAGES[0]) for s in STAGES},
        }
    )


def naive_numbers(months: pd.DataFrame, filters: Filters) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return the waterfall and MQL → won cohorts computed from every pass's month keys."""
    if filters.start is None or filters.end is None:
        raise ValueError("The naive numbers need the filters' start and end dates.")
    low, high = month_key(filters.start), month_key(filters.end)
    inside = {s: months[s].between(low, high).fillna(False).astype(bool) for s in STAGES}
    leads = [int(inside[s].sum()) for s in STAGES]
    conversion = [float("nan")] + [
        int((inside[a] & months[b].notna()).sum()) / int(inside[a].sum())
        if inside[a].sum()
        else float("nan")
        for a, b in PAIRS
    ]
    went_past = [int((inside[s] & ~months[f"seen_{s}"]).sum()) for s in STAGES]
    flow = pd.DataFrame(
        {"stage": STAGES, "leads": leads, "conversion": conversion, "went_past": went_past}
    )
    if not sum(leads):
        flow = flow.iloc[:0]
    start, end = COHORT
    entered = months[inside[start]]
    grouped = entered.assign(hit=entered[end].notna()).groupby(start)["hit"]
    cohorts = pd.DataFrame(
        {
            "cohort": [month_start(k) for k in grouped.size().index],
            "entered": grouped.size().to_numpy().astype(int),
            "reached": grouped.sum().to_numpy().astype(int),
        }
    )
    return flow, cohorts.assign(rate=cohorts["reached"] / cohorts["entered"])


def differences(service: tuple[pd.DataFrame, ...], naive: tuple[pd.DataFrame, ...]) -> list[str]:
    """Return, in words, every table where the two ways disagree (empty when they agree)."""
    found = []
    for name, ours, theirs in zip(("waterfall", "cohorts"), service, naive, strict=True):
        try:
            pd.testing.assert_frame_equal(
                ours.reset_index(drop=True), theirs.reset_index(drop=True), check_dtype=False
            )
        except AssertionError as exc:
            found.append(f"{name}: {str(exc).splitlines()[0]}")
    return found


def load_everything(engine: Engine) -> tuple[pd.DataFrame, pd.DataFrame, str]:
    """Return every lead, every stage event and the SLA calendar's zone."""
    with read_session(engine) as session:
        leads = read_frame(session, select(*readable(LEAD_READ)))
        events = read_frame(session, select(*readable(EVENT_READ)))
        return leads, events, sla_terms(session).timezone


@measurement(
    "naive_funnel",
    "the funnel's waterfall and MQL→won cohorts computed the naive "
    "way (every lead and stage event into pandas) vs the services, same data and "
    "filters",
    memory_limit_mb=None,
)
def naive_funnel(dataset: BenchDataset) -> Measurement:
    """Return the naive way's time; the services' time, the ratio and whether both agree
    in the details (a disagreement fails the measurement)."""
    actor, filters, engine = bench_leader(dataset), page_filters(), make_engine(dataset.url)
    began = time.perf_counter()
    with read_session(engine) as session:
        service = service_numbers(session, actor, filters)
    service_s = time.perf_counter() - began
    began = time.perf_counter()
    leads, events, timezone = load_everything(engine)
    naive = naive_numbers(reached_months(leads, events, timezone), filters)
    naive_s = time.perf_counter() - began
    engine.dispose()
    disagree = differences(service, naive)
    if disagree:
        raise AssertionError("the naive and service funnels differ — " + "; ".join(disagree))
    return Measurement(
        naive_s,
        {
            "service_s": round(service_s, 3),
            "ratio": round(naive_s / service_s, 1),
            "same_numbers": True,
            "leads_loaded": len(leads),
            "events_loaded": len(events),
            "mqls_in_range": int(service[0]["leads"].iloc[1]) if len(service[0]) else 0,
        },
    )
