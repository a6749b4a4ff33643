"""Drawing the speed-to-lead section of the SLA compliance page: the headline figures,
how fast MQLs were first touched (a bar per response band), the validation and win rate
by band, and the figures per rep. The numbers are leaddash.analytics.speed's (meanings in
docs/metrics.md "Speed-to-lead"), read through the cache."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from leaddash.analytics.filters import Filters
from leaddash.analytics.speed import speed_section
from leaddash.charts.sla import response_bands_chart
from leaddash.core.actor import Actor
from leaddash.ui.seam import read
from leaddash.ui.tables import cell

NO_SPEED = "No MQLs for these filters, so no speed to measure: widen the dates or clear a filter."
MEANS = (
    "Percentiles are nearest-rank over the touched MQLs; raw time is the clock's, business "
    "hours the SLA calendar's. A share within N minutes counts the MQLs at least N minutes "
    "old; never-touched MQLs count as not in time. Contact: a touch that reached the person."
)
BAND_HEADERS = {
    "band_label": "First touch",
    "mqls": "MQLs",
    "validation_rate": "Validation rate",
    "decided": "Decisions",
    "win_rate": "Win rate",
    "won": "Won",
    "lost": "Lost",
}
REP_HEADERS = {
    "label": "Rep",
    "mqls": "MQLs",
    "p50_minutes": "p50",
    "p90_minutes": "p90",
    "within_15_min": "Within 15 min",
    "within_sla": "Within the SLA",
    "rep_delay_p50_minutes": "Rep delay p50",
    "ever_contacted": "Ever contacted",
}


def duration(minutes: Any) -> str:
    """Return a number of minutes as people read it ("12 min", "3.5 h", "2.1 days")."""
    if minutes is None or pd.isna(minutes):
        return "—"
    value = float(minutes)
    if value < 60:
        return f"{value:.0f} min"
    if value < 48 * 60:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} days"


def percent(value: Any) -> str:
    """Return a share as a whole per cent ("—" for none)."""
    return "—" if value is None or pd.isna(value) else f"{float(value):.0%}"


def business(hours: Any) -> str:
    """Return business hours ("0.2 business h")."""
    return "—" if hours is None or pd.isna(hours) else f"{float(hours):.1f} business h"


def headline(row: pd.Series) -> list[tuple[str, str, str]]:
    """Return the section's figures as (label, value, help) in the order they are drawn."""
    return [
        ("Response p50", duration(row["p50_minutes"]), business(row["p50_business_hours"])),
        ("Response p90", duration(row["p90_minutes"]), business(row["p90_business_hours"])),
        ("Response p95", duration(row["p95_minutes"]), business(row["p95_business_hours"])),
        ("Never touched", f"{int(row['untouched']):,} of {int(row['mqls']):,}", "MQLs"),
        ("Within 5 min", percent(row["within_5_min"]), "first touch, raw time"),
        ("Within 15 min", percent(row["within_15_min"]), "first touch, raw time"),
        ("Within 60 min", percent(row["within_60_min"]), "first touch, raw time"),
        ("Within the SLA", percent(row["within_sla"]), "first-touch deadline"),
        ("Routing delay p50", duration(row["routing_delay_p50_minutes"]), "MQL → owner"),
        ("Rep delay p50", duration(row["rep_delay_p50_minutes"]), "owner → first touch"),
        ("First contact p50", duration(row["first_contact_p50_minutes"]), "MQL → connected"),
        ("Ever contacted", percent(row["ever_contacted"]), "reached the person"),
    ]


def band_table(bands: pd.DataFrame) -> pd.DataFrame:
    """Return the rates by response band as text: band, MQLs, rates with their counts."""
    shown = bands.assign(
        validation_rate=[
            f"{percent(r.validation_rate)} of {r.decided:,}" for r in bands.itertuples()
        ],
        win_rate=[f"{percent(r.win_rate)} of {r.won + r.lost:,}" for r in bands.itertuples()],
        mqls=bands["mqls"].map(cell),
    )
    columns = ["band_label", "mqls", "validation_rate", "win_rate"]
    return shown[columns].rename(columns=BAND_HEADERS)


def rep_table(reps: pd.DataFrame) -> pd.DataFrame:
    """Return the figures per rep as text a manager reads."""
    shown = reps[list(REP_HEADERS)].copy().astype(object)
    for column in ("p50_minutes", "p90_minutes", "rep_delay_p50_minutes"):
        shown[column] = reps[column].map(duration)
    for column in ("within_15_min", "within_sla", "ever_contacted"):
        shown[column] = reps[column].map(percent)
    shown["mqls"] = reps["mqls"].map(cell)
    return shown.rename(columns=REP_HEADERS)


def show_speed(actor: Actor, filters: Filters) -> None:
    """Draw the speed-to-lead figures, the response bands and the figures per rep."""
    section = read(speed_section, actor, filters)
    overall = section.overall
    if overall.empty:
        st.info(NO_SPEED, icon=":material/filter_alt_off:")
        return
    figures = headline(overall.iloc[0])
    for start in range(0, len(figures), 4):
        for column, (label, value, note) in zip(
            st.columns(4), figures[start : start + 4], strict=False
        ):
            column.metric(label, value)
            column.caption(note)
    st.caption(MEANS)
    bands = section.bands
    left, right = st.columns(2)
    left.altair_chart(response_bands_chart(bands), width="stretch")
    right.markdown("**Validation and win rate by first-touch time**")
    right.dataframe(band_table(bands), hide_index=True, width="stretch")
    st.subheader("Per rep")
    reps = rep_table(section.by_rep)
    st.dataframe(reps, hide_index=True, width="stretch")
