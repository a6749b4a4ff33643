"""Drawing the Funnel page: where leads go from inquiry to won, where and why they leave,
how long each step takes, how many deals are won. Every number is read through
leaddash.ui.seam (cached) from the services in leaddash.analytics.funnel and .wins (which
keep a manager to their own team)."""

from __future__ import annotations

import pandas as pd
import streamlit as st
from sqlmodel import Session

from leaddash.analytics import funnel
from leaddash.analytics.filters import Filters
from leaddash.analytics.sla import sla_terms
from leaddash.analytics.wins import WIN_RATE_COLUMNS, WIN_RATE_MEANS, win_rates
from leaddash.charts.funnel import (
    breakdown_chart,
    cohort_chart,
    leakage_chart,
    trend_chart,
    velocity_chart,
    waterfall_chart,
)
from leaddash.charts.maturing import DEAL_STAGES, MATURING_NOTE, maturing_flags
from leaddash.core.actor import Actor
from leaddash.models import utcnow
from leaddash.reasons import reason_labels
from leaddash.reports import shown_table
from leaddash.ui.filters import filter_bar
from leaddash.ui.seam import read, read_now
from leaddash.ui.tables import show_table

BREAKDOWNS: dict[str, str] = {
    "source": "Source",
    "campaign": "Campaign",
    "segment": "Segment",
    "team": "Team",
    "rep": "Rep",
    "definition_version": "Definition version",
}
WIN_RATE_BY: dict[str | None, str] = {
    None: "None (all deals together)",
    **{
        by: BREAKDOWNS[by]
        for by in ("rep", "team", "source", "campaign", "segment", "definition_version")
    },
}
WENT_PAST = "Went straight past"
NO_DATA = "No data for these filters — widen the dates or clear a filter."


def _markers(session: Session, *, actor: Actor, filters: Filters) -> pd.DataFrame:
    return funnel.version_markers(session)


def _reasons(session: Session, *, actor: Actor, filters: Filters) -> pd.DataFrame:
    return pd.DataFrame(list(reason_labels(session).items()), columns=["code", "label"])


def read_markers(actor: Actor, filters: Filters) -> pd.DataFrame:
    """Return when each definition or SLA version took effect (date, label, kind)."""
    return read(_markers, actor, filters)


def read_reason_names(actor: Actor, filters: Filters) -> dict[str, str]:
    """Return each reason code with the words people know it by."""
    frame = read(_reasons, actor, filters)
    return dict(zip(frame["code"], frame["label"], strict=True))


def show_waterfall(actor: Actor, filters: Filters) -> bool:
    """Draw the leads at each stage and the conversion from the stage before; return
    whether any lead is in view."""
    st.subheader("Leads at each stage")
    frame = read(funnel.waterfall, actor, filters)
    if frame.empty:
        st.info(NO_DATA, icon=":material/filter_alt_off:")
        return False
    st.caption(
        "Leads that reached each stage in the chosen months; conversion is the share "
        "of the leads entering the stage before (in those months) that got this far."
    )
    st.altair_chart(waterfall_chart(frame), width="stretch")
    show_table(
        frame,
        {"stage": "Stage", "leads": "Leads", "conversion": "Conversion", "went_past": WENT_PAST},
        {"conversion": "%"},
    )
    if frame["went_past"].any():
        st.caption(
            f"{WENT_PAST}: leads that reached a later stage with no record of this "
            "one (a won deal from a CRM export never recorded as an MQL). They count "
            "as reaching it, but with no time: no velocity or cycle is computed from "
            "a stage they went past."
        )
    return True


def show_cohorts(actor: Actor, filters: Filters, markers: pd.DataFrame) -> None:
    """Draw, per month leads entered one stage, the share that reached a later one."""
    st.subheader("Conversion by month of entry")
    left, right = st.columns(2)
    from_stage = left.selectbox("From stage", funnel.STAGES[:-1], index=1, key="funnel_from")
    later = funnel.STAGES[funnel.STAGES.index(from_stage) + 1 :]
    to_stage = right.selectbox("To stage", later, index=len(later) - 1, key="funnel_to")
    frame = read(
        funnel.conversion_by_cohort, actor, filters, from_stage=from_stage, to_stage=to_stage
    )
    frame = frame.assign(maturing=cohort_maturing(actor, filters, frame["cohort"], to_stage))
    st.altair_chart(cohort_chart(frame, from_stage, to_stage, markers), width="stretch")
    if frame["maturing"].any():
        st.caption(MATURING_NOTE)
    if not frame.empty:
        show_table(
            frame.assign(state=frame["maturing"].map({True: "still maturing", False: "complete"})),
            {
                "cohort": "Month",
                "entered": f"Entered {from_stage}",
                "reached": f"Reached {to_stage}",
                "rate": "Conversion",
                "state": "Figures",
            },
            {"cohort": "month", "rate": "%"},
        )


def cohort_maturing(
    actor: Actor, filters: Filters, cohorts: pd.Series, to_stage: str
) -> list[bool]:
    """Return per cohort month whether it is still maturing for `to_stage`: by the median
    days MQL → close for a deal stage, else by the SLA's decision window."""
    if cohorts.empty:
        return []
    cycle = None
    if to_stage in DEAL_STAGES:
        deals = read(win_rates, actor, filters, by=None)
        cycle = deals["median_mql_to_close_days"].iloc[0] if not deals.empty else None
    terms = read_now(sla_terms)
    return maturing_flags(cohorts, now=utcnow(), terms=terms, cycle_days=cycle)


def show_leakage(actor: Actor, filters: Filters, names: dict[str, str]) -> None:
    """Draw where leads stopped and why; open leads shown apart as "in progress"."""
    st.subheader("Where leads leave the funnel")
    st.caption(
        "Each lead not won is counted once, between the last stage it reached and the "
        "next: rejected or disqualified (with the reason), recycled, lost, or untouched "
        'past its first-touch deadline. "In progress" leads are still open, not lost.'
    )
    frame = read(funnel.leakage, actor, filters)
    open_too = st.toggle("Show leads still in progress", key="funnel_open_too")
    shown = frame if open_too else frame[frame["cause"] != funnel.IN_PROGRESS]
    st.altair_chart(leakage_chart(shown, names), width="stretch")
    if not frame.empty:
        table = frame.assign(
            reason=[names.get(r, r) if isinstance(r, str) else None for r in frame["reason"]]
        )
        show_table(
            table,
            {"pair": "Between stages", "cause": "Cause", "reason": "Reason", "leads": "Leads"},
            wide=("Reason",),
        )


def show_velocity(actor: Actor, filters: Filters) -> None:
    """Draw the median days between each pair of stages."""
    st.subheader("How long each step takes")
    frame = read(funnel.velocity, actor, filters)
    st.altair_chart(velocity_chart(frame), width="stretch")
    if not frame.empty:
        show_table(
            frame,
            {"pair": "Between stages", "median_days": "Median days", "leads": "Leads that made it"},
            {"median_days": "1"},
        )


def show_win_rates(actor: Actor, filters: Filters) -> None:
    """Draw won, lost and open deals, the win rate, won amount and sales cycle, overall or
    per group chosen."""
    st.subheader("Win rate and sales cycle")
    st.caption(WIN_RATE_MEANS)
    by = st.selectbox(
        "Win rate by", list(WIN_RATE_BY), format_func=WIN_RATE_BY.__getitem__, key="funnel_win_by"
    )
    frame = read(win_rates, actor, filters, by=by)[WIN_RATE_COLUMNS]
    if by is None:
        frame = frame.assign(label="All deals")
    header = "Deals" if by is None else WIN_RATE_BY[by]
    st.dataframe(shown_table(frame.rename(columns={"label": header})), hide_index=True)


def show_breakdown(actor: Actor, filters: Filters) -> None:
    """Draw the waterfall for each value of a chosen dimension."""
    st.subheader("Breakdown")
    by = (
        st.selectbox(
            "Break the funnel down by",
            list(BREAKDOWNS),
            format_func=BREAKDOWNS.__getitem__,
            key="funnel_by",
        )
        or "source"
    )
    frame = read(funnel.breakdown, actor, filters, by=by)
    st.altair_chart(breakdown_chart(frame, BREAKDOWNS[by]), width="stretch")
    if frame.empty:
        return
    wide = frame.pivot_table(
        index="label", columns="stage", values="leads", aggfunc="sum", sort=False
    )
    stages = [s for s in funnel.STAGES if s in wide.columns]
    show_table(
        wide[stages].reset_index(),
        {"label": BREAKDOWNS[by], **{s: s.capitalize() for s in stages}},
        wide=(BREAKDOWNS[by],),
    )


def show_trend(actor: Actor, filters: Filters, markers: pd.DataFrame) -> None:
    """Draw the leads reaching each stage month by month, with version changes marked."""
    st.subheader("Month by month")
    st.caption("Dashed lines mark the day a new lead definition or SLA version took effect.")
    frame = read(funnel.monthly_trend, actor, filters)
    st.altair_chart(trend_chart(frame, markers), width="stretch")


def show_funnel_page(actor: Actor) -> None:
    """Draw the filters and every section of the Funnel page."""
    filters = filter_bar(actor, "funnel")
    if not show_waterfall(actor, filters):
        return
    markers = read_markers(actor, filters)
    show_cohorts(actor, filters, markers)
    show_leakage(actor, filters, read_reason_names(actor, filters))
    show_velocity(actor, filters)
    show_win_rates(actor, filters)
    show_breakdown(actor, filters)
    show_trend(actor, filters, markers)
