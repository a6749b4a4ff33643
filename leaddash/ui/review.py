"""Drawing helpers for the monthly lead review page; the numbers come from
leaddash.reports.build_review, each metric read through the dashboards' cache."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from leaddash.analytics.filters import Filters
from leaddash.core.actor import Actor
from leaddash.models import Role
from leaddash.reports import Read, Report, build_review, shown_table
from leaddash.reports.export import table_title
from leaddash.reports.files import review_file
from leaddash.reports.model import last_full_month, months_before
from leaddash.reports.review_html import TABLES, footnotes, review_month
from leaddash.ui.downloads import deferred
from leaddash.ui.seam import read_cached
from leaddash.ui.text import plain

MONTHS_OFFERED = 24
NOTHING_YET = (
    "No MQLs in this month for your view yet — pick an earlier month, or come "
    "back once leads have been qualified."
)
# Lower is better for these, so a fall shows green.
LOWER_IS_BETTER = {"response"}
PAGE_TABLES = (
    "win_rate_by_team",
    "speed_to_lead",
    "speed_by_response_band",
    "top_leakage",
    "flagged_reps",
    "reasons_by_source",
)
TABLE_CAPTIONS = {
    "win_rate_by_team": (
        "Won and lost: deals closed in the month; open: deals that reached sql in the month and "
        "are still open. Win rate: won ÷ (won + lost); open deals are not in the rate."
    ),
    "speed_to_lead": (
        "The month's MQLs: response percentiles (nearest rank) in raw minutes and in business "
        "hours, shares touched within 5, 15 and 60 minutes and within the SLA, routing delay "
        "(MQL → owner) apart from rep delay (owner → first touch), and first contact (a touch "
        "that reached the person)."
    ),
    "speed_by_response_band": (
        "The month's MQLs by how fast they were first touched: validation rate of their "
        "decisions and win rate of those that closed, at any time."
    ),
}


def pick_month() -> date:
    """Draw the month picker (the last full month first) and return the first day chosen."""
    newest = months_before(last_full_month(), -1)
    months = [months_before(newest, n) for n in range(MONTHS_OFFERED)]
    return st.selectbox(
        "Month",
        months,
        index=1,
        key="review_month",
        format_func=lambda m: f"{m:%B %Y}" + (" (still running)" if m == newest else ""),
    )


def cached_reader(actor: Actor) -> Read:
    """Return a Read that goes through the dashboards' cache as `actor`."""

    def read(metric: Callable[..., pd.DataFrame], filters: Filters, **options: Any) -> pd.DataFrame:
        return read_cached(metric, actor=actor, filters=filters, **options)

    return read


def load_review(actor: Actor, month: date) -> Report:
    """Return the review of `month` as `actor` sees it."""
    return build_review(cached_reader(actor), month=month)


def scope_caption(actor: Actor) -> None:
    """Say whose leads the review counts."""
    if actor.role == Role.SALES_MANAGER:
        st.caption(
            "Counts your team's leads only. MQL targets are the company's, so they "
            "are not shown against one team."
        )


def show_key_numbers(key: pd.DataFrame) -> None:
    """Draw each key number with last month's beside it and the target under it."""
    shown = shown_table(key)
    columns = st.columns(3)
    for i, (row, text) in enumerate(
        zip(key.itertuples(), shown.itertuples(index=False), strict=True)
    ):
        with columns[i % 3]:
            st.metric(
                row.name,
                text[3],
                delta=_delta(row),
                border=True,
                delta_color="inverse" if row.metric in LOWER_IS_BETTER else "normal",
                help=f"Last month: {text[4]}.",
            )
            st.caption(_target_caption(row, text))


def _target_caption(row: Any, text: Any) -> str:
    if pd.isna(row.target):
        return "No target for this view"
    verdict = "still maturing, not judged yet" if row.maturing else text[6]
    return f"Target {text[5]}: {verdict}"


def _delta(row: Any) -> str | None:
    if pd.isna(row.this_month) or pd.isna(row.last_month):
        return None
    change = float(row.this_month) - float(row.last_month)
    if row.metric == "mql_volume":
        return f"{change:+,.0f} vs last month"
    if row.metric in LOWER_IS_BETTER:
        return f"{change:+.1f} h vs last month"
    return f"{change * 100:+.0f} points vs last month"


def show_review(report: Report) -> None:
    """Draw the review: notes, key numbers, charts and the tables behind them."""
    if report.tables["key_numbers"]["this_month"].isna().all():
        st.info(NOTHING_YET, icon=":material/info:")
    show_note = st.info if report.tables["flagged_reps"].empty else st.warning
    for note in report.notes:
        show_note(plain(note), icon=":material/flag:")
    show_key_numbers(report.tables["key_numbers"])
    for chart in report.charts:
        st.altair_chart(chart, width="stretch")
    month = review_month(report)
    for name in PAGE_TABLES:
        st.subheader(table_title(name))
        if name in TABLE_CAPTIONS:
            st.caption(TABLE_CAPTIONS[name])
        frame = report.tables[name]
        if frame.empty:
            st.caption("Nothing to show for this month.")
        else:
            st.dataframe(TABLES[name](frame, month), hide_index=True, width="stretch")
    for note in footnotes(report):
        st.caption(plain(note))


def show_downloads(actor: Actor, month: date) -> None:
    """Offer the review of `month` as one HTML file (charts included) and as a zip of CSVs,
    each built when clicked, for the actor as the database has them then."""
    stem = f"lead-review-{month:%Y-%m}"
    left, right = st.columns(2)
    left.download_button(
        "Download the review (HTML, works offline)",
        data=deferred(lambda s: review_file(s, actor=actor, month=month, kind="html")),
        file_name=f"{stem}.html",
        mime="text/html",
        icon=":material/download:",
        on_click="ignore",
    )
    right.download_button(
        "Download its tables (CSV files in a zip)",
        data=deferred(lambda s: review_file(s, actor=actor, month=month, kind="zip")),
        file_name=f"{stem}.zip",
        mime="application/zip",
        icon=":material/download:",
        on_click="ignore",
    )
