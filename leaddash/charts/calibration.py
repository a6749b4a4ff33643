"""Charts of the rep calibration page: each rep's validation rate against the rest of their
team with Wilson 95% intervals, and a rep's reasons for saying no against the team's."""

from __future__ import annotations

import altair as alt
import pandas as pd

from leaddash.charts import STAGE_COLORS, no_data_chart

REP, REST = "This rep", "Rest of the team"
# The rep in the validated colour; the team they are measured against in a neutral grey.
SIDE_COLORS = (STAGE_COLORS["validated"], "#555555")
REASON_COLORS = (STAGE_COLORS["disqualified"], "#555555")


def _long(frame: pd.DataFrame) -> pd.DataFrame:
    """Return two rows per rep (the rep, the rest of the team): rate, low, high, decisions."""
    who = (
        frame["rep"]
        + " ("
        + frame["team"]
        + ")"
        + frame["flagged"].map({True: " — flagged", False: ""})
    )
    sides = []
    for side, prefix in ((REP, ""), (REST, "rest_")):
        sides.append(
            pd.DataFrame(
                {
                    "who": who,
                    "side": side,
                    "rate": frame[f"{prefix}rate"],
                    "low": frame[f"{prefix}low"],
                    "high": frame[f"{prefix}high"],
                    "decisions": frame[f"{prefix}decisions"],
                    "validated": frame[f"{prefix}validated"],
                }
            )
        )
    return pd.concat(sides, ignore_index=True).dropna(subset=["rate"])


def calibration_chart(
    frame: pd.DataFrame, title: str = "Validation rate: each rep against the rest of the team"
) -> alt.Chart | alt.LayerChart | alt.FacetChart:
    """Return per rep a point and 95% interval bar for the rep and for the rest of the team
    (columns as leaddash.analytics.calibration.rep_calibration returns them)."""
    if frame.empty or frame["decisions"].sum() == 0:
        return no_data_chart(title)
    long = _long(frame)
    order = list(dict.fromkeys(long["who"]))
    base = alt.Chart(long).encode(
        y=alt.Y("who:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
        yOffset=alt.YOffset("side:N", sort=[REP, REST]),
        color=alt.Color(
            "side:N",
            title=None,
            sort=[REP, REST],
            scale=alt.Scale(domain=[REP, REST], range=list(SIDE_COLORS)),
            legend=alt.Legend(orient="top"),
        ),
        tooltip=[
            alt.Tooltip("who:N", title="Rep"),
            alt.Tooltip("side:N", title="Who"),
            alt.Tooltip("rate:Q", title="Validation rate", format=".0%"),
            alt.Tooltip("low:Q", title="95% interval from", format=".0%"),
            alt.Tooltip("high:Q", title="95% interval to", format=".0%"),
            alt.Tooltip("validated:Q", title="Validated"),
            alt.Tooltip("decisions:Q", title="Decisions"),
        ],
    )
    x = alt.X(
        "low:Q",
        title="Validated ÷ decisions (95% interval)",
        scale=alt.Scale(domain=[0, 1]),
        axis=alt.Axis(format=".0%"),
    )
    bars = base.mark_rule(strokeWidth=3).encode(x=x, x2="high:Q")
    points = base.mark_point(filled=True, size=60).encode(x="rate:Q")
    return alt.layer(bars, points).properties(title=title, height=alt.Step(14))


def reason_mix_chart(
    frame: pd.DataFrame, rep: str, title: str = "Reasons for saying no: the rep against the team"
) -> alt.Chart:
    """Return per reason the share of the rep's no's beside the share of the team's (columns
    reason, share, team_share of one rep; reason already readable)."""
    if frame.empty:
        return no_data_chart(title)
    sides = [rep, "Whole team"]
    long = frame.melt(
        id_vars=["reason", "leads"],
        value_vars=["share", "team_share"],
        var_name="side",
        value_name="value",
    )
    long["side"] = long["side"].map({"share": sides[0], "team_share": sides[1]})
    order = list(frame.sort_values("team_share", ascending=False)["reason"])
    return (
        alt.Chart(long, title=title)
        .mark_bar()
        .encode(
            y=alt.Y("reason:N", sort=order, title=None, axis=alt.Axis(labelLimit=320)),
            yOffset=alt.YOffset("side:N", sort=sides),
            x=alt.X("value:Q", title="Share of the no's", axis=alt.Axis(format=".0%")),
            color=alt.Color(
                "side:N",
                title=None,
                sort=sides,
                scale=alt.Scale(domain=sides, range=list(REASON_COLORS)),
                legend=alt.Legend(orient="top"),
            ),
            tooltip=[
                alt.Tooltip("reason:N", title="Reason"),
                alt.Tooltip("side:N", title="Who"),
                alt.Tooltip("value:Q", title="Share of the no's", format=".0%"),
            ],
        )
        .properties(height=alt.Step(12))
    )
