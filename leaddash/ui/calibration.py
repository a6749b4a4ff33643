"""Drawing the rep calibration page: each rep's validation rate against the rest of their team,
the flagged reps said in words, each rep's reasons for saying no against the team's, and the
high-score leads that were disqualified. The numbers are leaddash.analytics.calibration's."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from leaddash.agreements import active_version
from leaddash.analytics.calibration import (
    DEFAULT_LIMIT,
    MIN_DECISIONS,
    high_score_disqualified,
    reason_mix,
    rep_calibration,
)
from leaddash.analytics.filters import Filters
from leaddash.charts.calibration import calibration_chart, reason_mix_chart
from leaddash.core.actor import Actor
from leaddash.definitions import default_definition_content
from leaddash.models import AgreementKind
from leaddash.reasons import reason_labels
from leaddash.ui.resources import reading
from leaddash.ui.seam import read
from leaddash.ui.tables import show_table
from leaddash.ui.text import plain

HIGH_SCORE_MARGIN = 20
NO_DECISIONS = "No decided MQLs for these filters: widen the dates or clear a filter."


def flag_sentence(row: Any) -> str:
    """Return what a flagged rep's numbers say, in one sentence a manager can act on."""
    return (
        f"{row.rep} validates {row.rate:.0%} of their leads against {row.rest_rate:.0%} "
        f"for the rest of {row.team}: the intervals do not overlap on {row.decisions:,} "
        f"decisions — review their calls."
    )


def calibration_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the calibration rows as a manager reads them."""

    def interval(low: float, high: float) -> str:
        return "—" if pd.isna(low) else f"{low:.0%}–{high:.0%}"

    return pd.DataFrame(
        {
            "Team": frame["team"],
            "Rep": frame["rep"],
            "Decisions": frame["decisions"],
            "Validated": frame["validated"],
            "Validation rate": frame["rate"],
            "95% interval": [
                interval(lo, hi) for lo, hi in zip(frame["low"], frame["high"], strict=True)
            ],
            "Rest of the team": frame["rest_rate"],
            "Team's 95% interval": [
                interval(lo, hi)
                for lo, hi in zip(frame["rest_low"], frame["rest_high"], strict=True)
            ],
            "Verdict": frame["direction"].where(
                frame["flagged"],
                frame["decisions"].map(
                    lambda n: (
                        "in line" if n >= MIN_DECISIONS else f"fewer than {MIN_DECISIONS} decisions"
                    )
                ),
            ),
        }
    )


def rep_against_team(mix: pd.DataFrame, rep_id: int, labels: dict[str, str]) -> pd.DataFrame:
    """Return per reason the team's share of no's and the rep's (0 where the rep never used
    it), reasons named as people read them."""
    rep = mix[mix["rep_id"] == rep_id]
    if rep.empty:
        return pd.DataFrame(columns=["reason", "leads", "share", "team_share"])
    team = mix[mix["team_id"] == rep["team_id"].iloc[0]]
    reasons = team.drop_duplicates("reason")[["reason", "team_share"]]
    merged = reasons.merge(rep[["reason", "leads", "share"]], on="reason", how="left")
    merged = merged.fillna({"leads": 0, "share": 0.0})
    merged["reason"] = merged["reason"].map(lambda code: labels.get(code, code or "No reason"))
    return merged[["reason", "leads", "share", "team_share"]]


def mql_threshold() -> float:
    """Return the active lead definition's MQL threshold (the starting one before any)."""
    with reading() as session:
        version = active_version(session, AgreementKind.DEFINITION)
    content = version.content if version is not None else default_definition_content()
    return float(content["threshold"])


def show_calibration(actor: Actor, filters: Filters) -> None:
    """Draw the flagged reps in words, the interval chart and the table."""
    frame = read(rep_calibration, actor, filters)
    if frame.empty:
        st.info(NO_DECISIONS, icon=":material/filter_alt_off:")
        return
    flagged = frame[frame["flagged"]]
    for row in flagged.itertuples():
        st.warning(plain(flag_sentence(row)), icon=":material/flag:")
    if flagged.empty:
        st.success(
            f"No rep is flagged: where a rep has {MIN_DECISIONS} or more decisions, "
            "their interval overlaps the rest of their team's.",
            icon=":material/check_circle:",
        )
    st.altair_chart(calibration_chart(frame), width="stretch")
    table = calibration_table(frame)
    show_table(
        table,
        {c: c for c in table.columns},
        {"Validation rate": "%", "Rest of the team": "%"},
    )


def show_reason_mix(actor: Actor, filters: Filters) -> None:
    """Draw one rep's reasons for saying no beside their team's (the rep chosen here)."""
    mix = read(reason_mix, actor, filters)
    if mix.empty:
        st.info(
            "No rejections or disqualifications for these filters.",
            icon=":material/filter_alt_off:",
        )
        return
    reps = mix.drop_duplicates("rep_id").set_index("rep_id")
    rep_id = st.selectbox(
        "Rep",
        list(reps.index),
        key="calibration_mix_rep",
        format_func=lambda r: f"{reps.loc[r, 'rep']} ({reps.loc[r, 'team']})",
    )
    with reading() as session:
        labels = reason_labels(session)
    shares = rep_against_team(mix, rep_id, labels)
    st.altair_chart(reason_mix_chart(shares, str(reps.loc[rep_id, "rep"])), width="stretch")


def show_high_score_disqualified(actor: Actor, filters: Filters) -> None:
    """Draw the disqualified leads that scored at least the chosen minimum."""
    threshold = mql_threshold()
    default = threshold + HIGH_SCORE_MARGIN
    min_score = st.slider(
        "Minimum score at qualification",
        min_value=0.0,
        max_value=max(100.0, default),
        value=default,
        step=1.0,
        key="calibration_min_score",
        help=f"The MQL threshold is {threshold:g}; the default looks "
        f"{HIGH_SCORE_MARGIN} points above it.",
    )
    leads = read(high_score_disqualified, actor, filters, min_score=float(min_score))
    if leads.empty:
        st.info(
            f"No disqualified lead scored {min_score:g} or more for these filters.",
            icon=":material/task_alt:",
        )
        return
    with reading() as session:
        labels = reason_labels(session)
    shown = leads.assign(reason=leads["reason"].map(lambda c: labels.get(c, c)))
    st.caption(
        f"{len(shown):,} lead(s), highest score first"
        + (f" (the first {DEFAULT_LIMIT} shown)" if len(shown) >= DEFAULT_LIMIT else "")
        + "."
    )
    st.dataframe(
        shown.drop(columns=["pass_no"]),
        hide_index=True,
        column_config={
            "lead_id": "Lead #",
            "name": "Lead",
            "company": "Company",
            "score": st.column_config.NumberColumn("Score", format="%.1f"),
            "reason": "Reason",
            "rep": "Rep",
            "team": "Team",
            "decided_at": st.column_config.DatetimeColumn("Disqualified", format="YYYY-MM-DD"),
        },
    )
