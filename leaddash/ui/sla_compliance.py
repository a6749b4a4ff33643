"""Drawing the SLA compliance page: the two-sided scorecard by month, team and rep, and the
leads behind each missed sales number. Every read is cached (leaddash.ui.seam.read); the
numbers are leaddash.analytics.sla's and breaches', drawn here as a manager reads them."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pandas as pd
import streamlit as st

from leaddash.analytics.breaches import DEFAULT_LIMIT, breaches
from leaddash.analytics.filters import Filters
from leaddash.analytics.sla import MARKETING, SALES, scorecard, sla_terms, volume_vs_target
from leaddash.charts.maturing import (
    MATURING_NOTE,
    as_month,
    month_label,
    month_running,
    scorecard_maturing,
)
from leaddash.charts.sla import (
    METRIC_LABELS,
    breach_kinds_chart,
    compliance_trend_chart,
    volume_chart,
)
from leaddash.core.actor import Actor
from leaddash.models import utcnow
from leaddash.ui.funnel import read_markers
from leaddash.ui.lead_links import lead_links, link_column
from leaddash.ui.seam import read, read_now
from leaddash.ui.text import plain

# A missed sales number → the kinds of breach whose leads make up the miss.
BEHIND = {
    "first_touch": ("late_touch", "untouched"),
    "decision": ("late_decision", "no_decision"),
    "feedback_rate": ("no_decision",),
    "attempts": ("too_few_attempts",),
}
KIND_LABELS = {
    "late_touch": "Touched after the first-touch deadline",
    "untouched": "Never touched, first-touch deadline passed",
    "late_decision": "Decided after the decision deadline",
    "no_decision": "No decision, decision deadline passed",
    "too_few_attempts": "Closed as unreachable with too few attempts",
}
SIDE_NAMES = {MARKETING: "Marketing", SALES: "Sales"}
GROUP_NAMES = {"month": "Month", "team": "Team", "rep": "Rep"}
EVERYONE = ("all", 0)
NO_DATA = "No MQLs for these filters: widen the dates or clear a filter."


def _result(metric: str, value: Any) -> str:
    if pd.isna(value):
        return "—"
    if metric == "mql_volume":
        return f"{int(value):,} MQLs"
    if metric == "response":
        return f"{float(value):.1f} h"
    return f"{float(value):.0%}"


def _counted(metric: str, numerator: Any, denominator: Any) -> str:
    if metric == "mql_volume":
        return ""
    if metric == "response":
        return f"{int(denominator):,} touched"
    return f"{int(numerator):,} of {int(denominator):,}"


def _target(metric: str, target: Any) -> str:
    if pd.isna(target):
        return "no target for this view"
    if metric == "mql_volume":
        return f"{float(target):,.0f} MQLs"
    if metric == "response":
        return f"at most {float(target):g} h"
    return f"{float(target):.0%}"


def _status(met: Any, side: str, maturing: bool = False) -> str:
    if maturing:
        return "still maturing"
    if pd.isna(met):
        return "not judged yet"
    return "met" if met else f"missed by {SIDE_NAMES[side].lower()}"


def scorecard_table(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Return scorecard rows as text a manager reads: who, side, measure, result, the leads
    counted, target and whether it was met (and by which side it was missed)."""
    flags = frame["maturing"] if "maturing" in frame else pd.Series(False, index=frame.index)
    rows = [
        {
            GROUP_NAMES[by]: month_label(r.key) if by == "month" else r.label,
            "Side": SIDE_NAMES[r.side],
            "Measure": METRIC_LABELS[r.metric],
            "Result": _result(r.metric, r.value),
            "Leads counted": _counted(r.metric, r.numerator, r.denominator),
            "Target": _target(r.metric, r.target),
            "Status": _status(r.met, r.side, bool(maturing)),
        }
        for r, maturing in zip(frame.itertuples(), flags, strict=True)
    ]
    columns = [GROUP_NAMES[by], "Side", "Measure", "Result", "Leads counted", "Target", "Status"]
    return pd.DataFrame(rows, columns=columns)


def misses_sentence(frame: pd.DataFrame, side: str) -> str:
    """Return one sentence saying which of `side`'s targets were missed, and when."""
    owned = frame[frame["side"] == side]
    if "maturing" in owned:
        owned = owned[~owned["maturing"].astype(bool)]
    judged = owned[owned["met"].notna()]
    missed = judged[~judged["met"].astype(bool)]
    name = SIDE_NAMES[side]
    if judged.empty:
        return f"{name}: nothing to judge yet for these filters."
    if missed.empty:
        return f"{name} met all {len(judged)} of its targets."
    where = "; ".join(
        f"{METRIC_LABELS[m]} in {', '.join(plain(month_label(x)) for x in g)}"
        for m, g in missed.groupby("metric", sort=False)["key"]
    )
    return f"{name} missed {len(missed)} of {len(judged)} targets: {where}."


def per_group_table(frame: pd.DataFrame, by: str) -> pd.DataFrame:
    """Return one row per team or rep, one column per measure ("87% · 153 of 175"), and how
    many of the group's judged targets were missed."""
    cells = frame.assign(
        cell=[
            " · ".join(
                p
                for p in (
                    _result(r.metric, r.value),
                    _counted(r.metric, r.numerator, r.denominator),
                )
                if p
            )
            for r in frame.itertuples()
        ]
    )
    wide = cells.pivot_table(
        index="label", columns="metric", values="cell", aggfunc="first", sort=False
    )
    wide = wide[[m for m in METRIC_LABELS if m in wide.columns]]
    judged = frame[frame["met"].notna()].groupby("label", sort=False)["met"]
    wide["Targets missed"] = judged.apply(lambda m: f"{int((~m.astype(bool)).sum())} of {len(m)}")
    wide = wide.rename(columns=METRIC_LABELS).fillna("—")
    return wide.reset_index().rename(columns={"label": GROUP_NAMES[by]})


def misses_by_kind(frame: pd.DataFrame) -> pd.DataFrame:
    """Return per missed sales number (label, breaches) the leads that missed it, summed over
    the groups of a team or rep scorecard."""
    totals = frame.groupby("metric")[["numerator", "denominator"]].sum()
    rows = [
        (METRIC_LABELS[m], int(totals.loc[m, "denominator"] - totals.loc[m, "numerator"]))
        for m in BEHIND
        if m in totals.index
    ]
    return pd.DataFrame(rows, columns=["label", "breaches"])


def _read(actor: Actor, filters: Filters, by: str) -> pd.DataFrame:
    return read(scorecard, actor, filters, by=by)


def with_maturing(frame: pd.DataFrame, month_column: str) -> pd.DataFrame:
    """Return the frame with a `maturing` column (leaddash.charts.maturing): per scorecard
    row by its metric; for a volume frame (no metric), while the month runs."""
    terms, now = read_now(sla_terms), utcnow()
    if "metric" in frame:
        flags = scorecard_maturing(frame[month_column], frame["metric"], now=now, terms=terms)
    else:
        flags = [month_running(as_month(m), now=now, terms=terms) for m in frame[month_column]]
    return frame.assign(maturing=pd.Series(flags, index=frame.index, dtype=bool))


def show_month_scorecard(actor: Actor, filters: Filters) -> None:
    """Draw each side's misses in words, the volume and rate charts, and the month table."""
    frame = _read(actor, filters, "month")
    if frame.empty:
        st.info(NO_DATA, icon=":material/filter_alt_off:")
        return
    frame = with_maturing(frame, "key")
    for side in (MARKETING, SALES):
        st.markdown(misses_sentence(frame, side))
    markers = read_markers(actor, filters)
    volume = read(volume_vs_target, actor, filters)
    segment = filters.segment or "All segments"
    mine = volume[volume["segment"] == segment]
    st.altair_chart(volume_chart(with_maturing(mine, "month"), markers), width="stretch")
    st.altair_chart(compliance_trend_chart(frame, markers), width="stretch")
    if frame["maturing"].any():
        st.caption(MATURING_NOTE)
    for side in (MARKETING, SALES):
        st.subheader(f"What {SIDE_NAMES[side].lower()} committed to")
        st.dataframe(scorecard_table(frame[frame["side"] == side], "month"), hide_index=True)


def show_group_scorecards(actor: Actor, filters: Filters) -> dict[str, pd.DataFrame]:
    """Draw the per-team and per-rep tables; return their scorecards for the drill-down."""
    frames = {by: _read(actor, filters, by) for by in ("team", "rep")}
    for tab, by in zip(st.tabs(["Per team", "Per rep"]), frames, strict=True):
        with tab:
            if frames[by].empty:
                st.info(NO_DATA, icon=":material/filter_alt_off:")
            else:
                st.dataframe(per_group_table(frames[by], by), hide_index=True)
    return frames


def _who_options(frames: dict[str, pd.DataFrame]) -> dict[tuple[str, int], str]:
    options = {EVERYONE: "Everyone in these filters"}
    for by in ("team", "rep"):
        keys = frames[by][["key", "label"]].dropna().drop_duplicates()
        options |= {
            (by, int(k)): f"{GROUP_NAMES[by]}: {label}" for k, label in keys.itertuples(index=False)
        }
    return options


def _narrowed(filters: Filters, who: tuple[str, int]) -> Filters:
    if who == EVERYONE:
        return filters
    if who[0] == "team":
        return replace(filters, team_id=who[1])
    return replace(filters, owner_id=who[1])


def show_breaches(actor: Actor, filters: Filters, frames: dict[str, pd.DataFrame]) -> None:
    """Draw the misses by kind, then the leads behind the chosen number for the chosen team
    or rep, longest late first."""
    st.altair_chart(breach_kinds_chart(misses_by_kind(frames["team"])), width="stretch")
    metric_col, who_col = st.columns(2)
    # Nothing is listed until a number is chosen: the lists are the page's slowest reads.
    metric = metric_col.selectbox(
        "Show the leads behind",
        list(BEHIND),
        index=None,
        format_func=METRIC_LABELS.__getitem__,
        placeholder="Choose a number",
        key="sla_drill_metric",
    )
    options = _who_options(frames)
    who = who_col.selectbox(
        "For", list(options), format_func=options.__getitem__, key="sla_drill_who"
    )
    if metric is None:
        st.caption("Choose a number above to list the leads behind it, longest late first.")
        return
    narrowed = _narrowed(filters, who)
    for kind in BEHIND[metric]:
        leads = read(breaches, actor, narrowed, kind=kind)
        st.markdown(
            f"**{KIND_LABELS[kind]}** — {len(leads):,} lead(s)"
            + (f" (the {DEFAULT_LIMIT} longest late shown)" if len(leads) >= DEFAULT_LIMIT else "")
        )
        if leads.empty:
            st.caption("None: every lead here kept this commitment.")
            continue
        st.dataframe(
            leads.drop(columns=["pass_no", "kind"]).assign(
                name=lead_links(leads["lead_id"], leads["name"])
            ),
            hide_index=True,
            column_config={
                "lead_id": "Lead #",
                "name": link_column(),
                "company": "Company",
                "rep": "Rep",
                "team": "Team",
                "deadline": st.column_config.DatetimeColumn("Deadline", format="YYYY-MM-DD HH:mm"),
                "done_at": st.column_config.DatetimeColumn("Done", format="YYYY-MM-DD HH:mm"),
                "late_hours": st.column_config.NumberColumn("Business hours late", format="%.1f"),
                "attempts": "Attempts",
            },
        )
