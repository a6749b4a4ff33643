"""Feedback to marketing charts: why sales turns leads down, by source or campaign (a grid of
shares), by definition clause (bars) and by month (lines with version markers). Frames come
as leaddash.analytics.feedback.reasons_by returns them."""

from __future__ import annotations

import altair as alt
import pandas as pd

from leaddash.charts import STAGE_COLORS, no_data_chart, with_markers
from leaddash.charts.funnel import LEGEND_AND_TITLE, Chart, reason_bars

# Reasons are not stages: Tol's muted hues without the two that stand for won and recycled.
REASON_PALETTE = ["#332288", "#88CCEE", "#44AA99", "#999933", "#DDCC77", "#CC6677", "#AA4499"]
NO_STAGES = ["rejected", "disqualified"]
TOP_GROUPS = 15


def _named(frame: pd.DataFrame, reason_names: dict[str, str] | None) -> pd.DataFrame:
    """Return the frame with `reason` as people read it and `share` never missing."""
    names = reason_names or {}
    return frame.assign(
        reason=[
            names.get(r, r) if isinstance(r, str) else "No reason given" for r in frame["reason"]
        ],
        share=frame["share"].fillna(0.0),
    )


def _tooltip(group_title: str) -> list[alt.Tooltip]:
    return [
        alt.Tooltip("label:N", title=group_title),
        alt.Tooltip("reason:N", title="Reason"),
        alt.Tooltip("stage:N", title="Sales"),
        alt.Tooltip("leads:Q", title="Leads", format=","),
        alt.Tooltip("decisions:Q", title="Decisions", format=","),
        alt.Tooltip("share:Q", title="Share of decisions", format=".1%"),
    ]


def reasons_grid_chart(
    frame: pd.DataFrame, group_title: str, reason_names: dict[str, str] | None = None
) -> Chart:
    """Return a grid, reason by `group_title` value, shaded and labelled with the share of
    the value's decisions turned down for that reason; the largest values only."""
    title = f"Why sales said no, by {group_title.lower()} (share of decisions)"
    if frame.empty or frame["leads"].sum() == 0:
        return no_data_chart(title)
    totals = frame.groupby("label")["leads"].sum().sort_values(ascending=False, kind="stable")
    groups = list(totals.index[:TOP_GROUPS])
    if len(groups) < len(totals):
        title = f"{title}, the {len(groups)} with most no's"
    data = _named(frame[frame["label"].isin(groups)], reason_names)
    base = alt.Chart(data, title=title).encode(
        x=alt.X(
            "label:N",
            sort=groups,
            title=group_title,
            axis=alt.Axis(labelAngle=-30, labelOverlap=False, labelLimit=200),
        ),
        y=alt.Y("reason:N", title=None, axis=alt.Axis(labelLimit=240)),
        tooltip=_tooltip(group_title),
    )
    cells = base.mark_rect().encode(
        color=alt.Color(
            "share:Q",
            title="Share of decisions",
            scale=alt.Scale(scheme="blues", domainMin=0),
            legend=alt.Legend(format=".0%"),
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("share:Q", format=".0%"),
        color=alt.condition("datum.share > 0.3", alt.value("white"), alt.value("black")),
    )
    # Streamlit fits title and the slanted x labels inside `height` (autosize "fit").
    return (cells + text).properties(height=28 * data["reason"].nunique() + LEGEND_AND_TITLE)


def clause_chart(frame: pd.DataFrame, reason_names: dict[str, str] | None = None) -> Chart:
    """Return a bar per definition clause with the leads sales turned down for a reason
    pointing at it, split into rejected and disqualified, one segment per reason."""
    title = "Leads turned down, by the definition clause their reason points at"
    if frame.empty or frame["leads"].sum() == 0:
        return no_data_chart(title)
    data = _named(frame, reason_names)
    order = list(data.groupby("label")["leads"].sum().sort_values(ascending=False).index)
    stages = [s for s in NO_STAGES if s in set(data["stage"])]
    return reason_bars(
        data,
        title=title,
        y=alt.Y("label:N", sort=order, title="Definition clause"),
        x_title="Leads turned down",
        color=("stage", "Sales"),
        colors={s: STAGE_COLORS[s] for s in stages},
        tooltip=_tooltip("Clause"),
    )


def reasons_trend_chart(
    frame: pd.DataFrame,
    reason_names: dict[str, str] | None = None,
    markers: pd.DataFrame | None = None,
) -> Chart:
    """Return a line per reason of its share of each MQL month's decisions (solid for
    rejected, dashed for disqualified), with the dates new versions took effect."""
    title = "Why sales said no, month by month (share of the month's decisions)"
    if frame.empty or frame["leads"].sum() == 0:
        return no_data_chart(title)
    data = _named(frame, reason_names).assign(
        month=[pd.Timestamp(int(k) // 100, int(k) % 100, 1) for k in frame["key"]]
    )
    stages = [s for s in NO_STAGES if s in set(data["stage"])]
    lines = (
        alt.Chart(data, title=title)
        .mark_line(point=True)
        .encode(
            x=alt.X("yearmonth(month):T", title="Month the leads became MQLs"),
            y=alt.Y("share:Q", title="Share of decisions", axis=alt.Axis(format=".0%")),
            color=alt.Color(
                "reason:N",
                title="Reason",
                scale=alt.Scale(range=REASON_PALETTE),
                legend=alt.Legend(orient="right"),
            ),
            strokeDash=alt.StrokeDash("stage:N", title="Sales", sort=stages),
            tooltip=_tooltip("Month"),
        )
        .properties(height=320)
    )
    return with_markers(lines, data["month"], markers)
