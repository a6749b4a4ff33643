"""Drawing the Feedback to marketing page: why sales turns leads down — by source, by
campaign, by the definition clause the reason points at, and month by month. Numbers come
from leaddash.analytics.feedback.reasons_by through the cached reads."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaddash.analytics.feedback import reasons_by
from leaddash.analytics.filters import Filters
from leaddash.charts.feedback import (
    clause_chart,
    reasons_grid_chart,
    reasons_trend_chart,
)
from leaddash.charts.funnel import Chart
from leaddash.charts.maturing import month_label
from leaddash.core.actor import Actor
from leaddash.ui.filters import filter_bar
from leaddash.ui.funnel import read_markers, read_reason_names
from leaddash.ui.seam import read
from leaddash.ui.tables import show_table

VIEWS = {
    "source": "Source",
    "campaign": "Campaign",
    "clause": "Definition clause",
    "month": "Month",
}
CAPTIONS = {
    "source": "For each source, the share of its decided MQLs sales turned down for each reason.",
    "campaign": "For each campaign, the share of its decided MQLs sales turned down for each "
    "reason.",
    "clause": "The rule of the lead definition each reason points at: the rules that let "
    "through the leads sales turns down. Reasons tied to no rule show as "
    '"No clause".',
    "month": "Month by month (the month the leads became MQLs), the share of decisions that "
    "were a no for each reason.",
}


def _table(frame: pd.DataFrame, names: dict[str, str], view: str) -> None:
    table = frame.assign(
        reason=[
            names.get(r, r) if isinstance(r, str) else "No reason given" for r in frame["reason"]
        ],
        label=[month_label(k) for k in frame["key"]] if view == "month" else frame["label"],
    )
    show_table(
        table,
        {
            "label": VIEWS[view],
            "stage": "Sales",
            "reason": "Reason",
            "leads": "Leads",
            "decisions": "Decisions",
            "share": "Share",
        },
        {"share": "%"},
        wide=("Reason",),
    )


def _chart(view: str, frame: pd.DataFrame, names: dict[str, str], markers: pd.DataFrame) -> Chart:
    if view == "clause":
        return clause_chart(frame, names)
    if view == "month":
        return reasons_trend_chart(frame, names, markers)
    return reasons_grid_chart(frame, VIEWS[view], names)


def show_view(
    actor: Actor, filters: Filters, view: str, names: dict[str, str], markers: pd.DataFrame
) -> None:
    """Draw one breakdown of the reasons: caption, chart and table."""
    frame = read(reasons_by, actor, filters, by=view)
    st.caption(CAPTIONS[view])
    st.altair_chart(_chart(view, frame, names, markers), width="stretch")
    if not frame.empty:
        _table(frame, names, view)


def show_feedback_page(actor: Actor) -> None:
    """Draw the filters and the reasons by source, campaign, clause and month."""
    filters = filter_bar(actor, "feedback")
    names = read_reason_names(actor, filters)
    markers = read_markers(actor, filters)
    for view, tab in zip(VIEWS, st.tabs([f"By {v.lower()}" for v in VIEWS.values()]), strict=True):
        with tab:
            show_view(actor, filters, view, names, markers)
