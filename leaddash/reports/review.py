"""The monthly lead review: the month's key numbers against last month, the deals (win
rate and sales cycle, overall and by team), how fast sales reached the month's MQLs
(speed-to-lead, and the rates by response band), where leads leaked, which reps are
flagged and why sales turned leads down, with the charts that go with them.

Every number comes from the dashboards' metric services (leaddash.analytics), read through
a `Read` so the page can cache each read and the command line can run them on one session;
the actor's scope applies (a sales manager's review is their team's).
"""

from __future__ import annotations

import json
from datetime import date, datetime

import pandas as pd
from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.analytics.calibration import rep_calibration
from leaddash.analytics.feedback import reasons_by
from leaddash.analytics.filters import Filters, month_key
from leaddash.analytics.funnel import IN_PROGRESS, leakage, waterfall
from leaddash.analytics.sla import scorecard, sla_terms
from leaddash.analytics.speed import speed_by_band, speed_to_lead
from leaddash.analytics.wins import WIN_RATE_COLUMNS, win_rates
from leaddash.charts import stage_bar_chart
from leaddash.charts.maturing import scorecard_maturing
from leaddash.charts.review import (
    leakage_causes_chart,
    mql_volume_chart,
    rates_trend_chart,
    reasons_by_source_chart,
)
from leaddash.core.actor import Actor
from leaddash.reports.model import (
    Read,
    Report,
    markers_between,
    month_end,
    month_filters,
    month_start,
    months_before,
    reason_names,
)

NO_FLAGGED = (
    "No rep is flagged this month: every rep's validation rate is in line with the "
    "rest of their team (or they have fewer than 20 decisions)."
)
NO_DECISIONS = (
    "No rep recorded a decision on a lead this month (validated, disqualified "
    "or rejected), so no rep's reading of the definition can be compared."
)
TREND_MONTHS = 6
TOP_LEAKS = 6
TOP_REASONS_PER_SOURCE = 3
# (metric key in the scorecard, the name a manager reads), in the review's order.
KEY_METRICS = (
    ("mql_volume", "MQLs"),
    ("validation_rate", "Validation rate"),
    ("first_touch", "First-touch compliance"),
    ("decision", "Decision compliance"),
    ("feedback_rate", "Feedback rate"),
    ("response", "Median response (business h)"),
)
KEY_COLUMNS = [
    "metric",
    "name",
    "side",
    "this_month",
    "last_month",
    "target",
    "met",
    "numerator",
    "denominator",
    "maturing",
]
LEAK_COLUMNS = ["cause", "reason", "reason_label", "label", "leads", "last_month"]
FLAGGED_COLUMNS = ["team", "rep", "decisions", "rate", "rest_rate", "direction"]
REASON_COLUMNS = ["source", "stage", "reason", "label", "leads", "decisions", "share"]
ALL_TEAMS = "All teams"


def build_review(read: Read, *, month: date) -> Report:
    """Return the review of the month `month` falls in, with last month beside it."""
    this, before = month_filters(month), month_filters(months_before(month, 1))
    trend = Filters(start=months_before(month, TREND_MONTHS - 1), end=month_end(month))
    card = read(scorecard, trend, by="month")
    card = with_maturing(card, read(judging_terms, trend))
    names = dict(read(reason_names, this).itertuples(index=False))
    markers = read(markers_between, trend)
    tables = {
        "key_numbers": key_numbers(card, month),
        "win_rate_by_team": deals_by_team(read(win_rates, this), read(win_rates, this, by="team")),
        "top_leakage": top_leakage(read(leakage, this), read(leakage, before), names),
        "flagged_reps": flagged_reps(read(rep_calibration, this)),
        "reasons_by_source": top_reasons(read(reasons_by, this, by="source"), names),
        "speed_to_lead": read(speed_to_lead, this),
        "speed_by_response_band": read(speed_by_band, this),
        "funnel": read(waterfall, this),
        "scorecard_by_month": card,
    }
    label = f"{month_start(month):%B %Y}"
    charts = (
        stage_bar_chart(tables["funnel"], f"Funnel, {label}"),
        mql_volume_chart(card, markers),
        rates_trend_chart(card, markers),
        leakage_causes_chart(tables["top_leakage"]),
        reasons_by_source_chart(tables["reasons_by_source"]),
    )
    return Report(
        name="review",
        title=f"Monthly lead review: {label}",
        period=f"{month_start(month)} to {month_end(month)}",
        tables=tables,
        charts=charts,
        notes=review_notes(tables),
    )


def judging_terms(
    session: Session, *, actor: Actor, filters: Filters, now: datetime
) -> pd.DataFrame:
    """Return the time the review is judged at and the SLA's terms (as JSON), one row: what
    tells which months are still maturing."""
    verify_actor(session, actor)
    return pd.DataFrame({"now": [now], "terms": [json.dumps(sla_terms(session))]})


def with_maturing(card: pd.DataFrame, judging: pd.DataFrame) -> pd.DataFrame:
    """Return the scorecard by month with a `maturing` column: whether each row's figure can
    still change (docs/metrics.md, "Still maturing")."""
    now, terms = judging["now"].iloc[0].to_pydatetime(), json.loads(judging["terms"].iloc[0])
    flags = scorecard_maturing(card["key"], card["metric"], now=now, terms=terms)
    return card.assign(maturing=pd.Series(flags, index=card.index, dtype=bool))


def key_numbers(card: pd.DataFrame, month: date) -> pd.DataFrame:
    """Return per key metric this month's value, last month's, the target and whether this
    month met it (NA while nothing is due), from a scorecard by month."""
    this, last = month_key(month), month_key(months_before(month, 1))
    rows = []
    for metric, name in KEY_METRICS:
        mine = card[card["metric"] == metric].set_index("key")
        now = mine.loc[this] if this in mine.index else None
        rows.append(
            {
                "metric": metric,
                "name": name,
                "side": "sales" if metric not in ("mql_volume", "validation_rate") else "marketing",
                "this_month": _pick(now, "value"),
                "last_month": _pick(mine.loc[last] if last in mine.index else None, "value"),
                "target": _pick(now, "target"),
                "met": _pick(now, "met"),
                "numerator": _pick(now, "numerator"),
                "denominator": _pick(now, "denominator"),
                "maturing": _maturing(now),
            }
        )
    frame = pd.DataFrame(rows, columns=KEY_COLUMNS)
    return frame.astype(
        {
            "this_month": "Float64",
            "last_month": "Float64",
            "target": "Float64",
            "met": "boolean",
            "numerator": "Int64",
            "denominator": "Int64",
        }
    )


def deals_by_team(overall: pd.DataFrame, by_team: pd.DataFrame) -> pd.DataFrame:
    """Return the month's deals (win rate, counts, won amount, cycles) of every team in
    view ("All teams") and then of each team, under a `team` column."""
    parts = [overall.assign(label=ALL_TEAMS), by_team[WIN_RATE_COLUMNS]]
    rows = pd.concat([p for p in parts if not p.empty], ignore_index=True)
    return rows.rename(columns={"label": "team"})


def _maturing(row: pd.Series | None) -> bool:
    flag = None if row is None else row.get("maturing")
    return bool(flag) if flag is not None and not pd.isna(flag) else False


def _pick(row: pd.Series | None, column: str) -> object:
    return pd.NA if row is None or pd.isna(row[column]) else row[column]


def _leaks(frame: pd.DataFrame) -> pd.Series:
    left = frame[frame["cause"] != IN_PROGRESS]
    return left.groupby(["cause", left["reason"].fillna("")])["leads"].sum()


def top_leakage(this: pd.DataFrame, before: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Return the causes that lost the most leads this month (not "in progress"), with
    last month's count for the same cause."""
    now, then = _leaks(this), _leaks(before)
    if now.empty:
        return pd.DataFrame(columns=LEAK_COLUMNS)
    frame = now.rename("leads").reset_index()
    frame["last_month"] = [
        int(then.get((c, r), 0)) for c, r in zip(frame["cause"], frame["reason"], strict=True)
    ]
    frame["reason_label"] = [names.get(r, r) if r else "" for r in frame["reason"]]
    frame["label"] = [
        f"{c}: {names.get(r, r)}" if r else c
        for c, r in zip(frame["cause"], frame["reason"], strict=True)
    ]
    top = frame.sort_values(["leads", "label"], ascending=[False, True]).head(TOP_LEAKS)
    return top[LEAK_COLUMNS].reset_index(drop=True)


def flagged_reps(calibration: pd.DataFrame) -> pd.DataFrame:
    """Return the reps flagged by the calibration rule this month, lowest rate first."""
    flagged = calibration[calibration["flagged"].astype(bool)]
    return flagged.sort_values("rate")[FLAGGED_COLUMNS].reset_index(drop=True)


def top_reasons(feedback: pd.DataFrame, names: dict[str, str]) -> pd.DataFrame:
    """Return each source's most frequent rejection and disqualification reasons."""
    frame = feedback.rename(columns={"label": "source"})
    frame = frame.sort_values(["source", "leads", "reason"], ascending=[True, False, True])
    top = frame.groupby("source", sort=False).head(TOP_REASONS_PER_SOURCE).copy()
    top["label"] = top["reason"].map(lambda code: names.get(code, code))
    return top[REASON_COLUMNS].reset_index(drop=True)


def review_notes(tables: dict[str, pd.DataFrame]) -> tuple[str, ...]:
    """Return the sentences a reader should not miss: flagged reps, or that there are none."""
    flagged = tables["flagged_reps"]
    rates = tables["key_numbers"].set_index("metric")["this_month"]
    if flagged.empty and pd.isna(rates.get("validation_rate")):
        return (NO_DECISIONS,)
    if flagged.empty:
        return (NO_FLAGGED,)
    return tuple(
        f"{r.rep} ({r.team}) validated {r.rate:.0%} of {r.decisions} leads against "
        f"{r.rest_rate:.0%} for the rest of the team: the intervals do not overlap. "
        "Review their calls."
        for r in flagged.itertuples()
    )
