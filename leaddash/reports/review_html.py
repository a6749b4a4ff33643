"""The monthly review as an HTML page for executives: every table under words people read
(no column or metric keys, reason labels from leaddash.reasons, months as "June 2026"), one
MQL count for the month, and footnotes that say what each figure counts.

Built on the same tables as the CSV zip (which keeps the raw columns for analysis), drawn
as one self-contained page like every report file (leaddash.reports.export)."""

from __future__ import annotations

import html
from datetime import date
from typing import Any

import pandas as pd

from leaddash.analytics.wins import WIN_RATE_HEADERS
from leaddash.charts.maturing import month_label
from leaddash.charts.sla import METRIC_LABELS
from leaddash.reports.export import STYLE, chart_svg, render_html, table_title
from leaddash.reports.model import Report, month_end, months_before

NOTHING = "—"
STAGE_NAMES = {
    "inquiry": "Inquiry",
    "mql": "MQL",
    "accepted": "Accepted",
    "validated": "Validated",
    "sql": "SQL",
    "opportunity": "Opportunity",
    "won": "Won",
    "lost": "Lost",
    "rejected": "Rejected",
    "disqualified": "Disqualified",
    "recycled": "Recycled",
    "untouched": "Untouched",
}
SIDES = {"marketing": "Marketing", "sales": "Sales"}
RATE_KEYS = {"validation_rate", "first_touch", "decision", "attempts", "feedback_rate"}
FOOTNOTE_STYLE = ".footnotes { font-size: .85rem; color: #444; } sup { font-size: .7rem; }"


def number(value: Any, kind: str = "") -> str:
    """Return a value as text: "%" a rate, "h" business hours, "1" one decimal, else a
    count with thousands separators; "—" when there is none."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return NOTHING
    if isinstance(value, str):
        return value
    if kind == "%":
        return f"{float(value):.0%}"
    if kind == "h":
        return f"{float(value):.1f} h"
    if kind == "1":
        return f"{float(value):,.1f}"
    return f"{float(value):,.0f}"


def _kind(metric: str) -> str:
    return "%" if metric in RATE_KEYS else "h" if metric == "response" else ""


def _verdict(met: Any, maturing: bool) -> str:
    if maturing:
        return "still maturing"
    return NOTHING if met is None or pd.isna(met) else "met" if met else "missed"


def review_month(report: Report) -> date:
    """Return the first day of the reviewed month (the report's period starts with it)."""
    return date.fromisoformat(report.period[:10])


def key_numbers_table(key: pd.DataFrame, month: date) -> pd.DataFrame:
    """Return the key numbers: measure, owner, this month, last month, target, result and
    the leads counted ("306 of 443"); the MQL count marked for its footnote."""
    rows = []
    for r in key.itertuples():
        kind = _kind(r.metric)
        counted = (
            ""
            if r.metric in ("mql_volume", "response")
            else (f"{number(r.numerator)} of {number(r.denominator)}")
        )
        rows.append(
            {
                "Measure": f"{r.name} ¹" if r.metric == "mql_volume" else r.name,
                "Owner": SIDES.get(r.side, r.side),
                month_label(month): number(r.this_month, kind),
                month_label(months_before(month, 1)): number(r.last_month, kind),
                "Target": number(r.target, kind),
                "Result": _verdict(r.met, bool(r.maturing)),
                "Leads counted": counted or NOTHING,
            }
        )
    return pd.DataFrame(rows)


def funnel_table(funnel: pd.DataFrame) -> pd.DataFrame:
    """Return the month's funnel: each stage, the leads that reached it, the share of the
    stage before (see footnote ²) and how many went straight past it."""
    return pd.DataFrame(
        {
            "Stage": [
                "MQL (every lead routed to sales) ³" if s == "mql" else STAGE_NAMES.get(s, s)
                for s in funnel["stage"]
            ],
            "Leads reaching it this month": [number(v) for v in funnel["leads"]],
            "Share of the stage before ²": [number(v, "%") for v in funnel["conversion"]],
            "Went straight past it": [number(v) for v in funnel["went_past"]],
        }
    )


def deals_table(deals: pd.DataFrame) -> pd.DataFrame:
    """Return the deals by team under the words docs/metrics.md gives them."""
    kinds = {"win_rate": "%", "median_cycle_days": "1", "median_mql_to_close_days": "1"}
    return pd.DataFrame(
        {
            ("Team" if column == "team" else WIN_RATE_HEADERS.get(column, column)): [
                number(v, kinds.get(column, "")) for v in deals[column]
            ]
            for column in deals.columns
        }
    )


def leakage_table(leaks: pd.DataFrame) -> pd.DataFrame:
    """Return where leads left the funnel: cause, reason (its label), leads, last month."""
    return pd.DataFrame(
        {
            "Cause": [STAGE_NAMES.get(c, c) for c in leaks["cause"]],
            "Reason": [r or NOTHING for r in leaks["reason_label"]],
            "Leads this month": [number(v) for v in leaks["leads"]],
            "Last month": [number(v) for v in leaks["last_month"]],
        }
    )


def flagged_table(flagged: pd.DataFrame) -> pd.DataFrame:
    """Return the flagged reps: team, rep, decisions and the two validation rates."""
    return pd.DataFrame(
        {
            "Team": flagged["team"],
            "Rep": flagged["rep"],
            "Decisions": [number(v) for v in flagged["decisions"]],
            "Validation rate": [number(v, "%") for v in flagged["rate"]],
            "Rest of the team": [number(v, "%") for v in flagged["rest_rate"]],
            "Reading": flagged["direction"],
        }
    )


def reasons_table(reasons: pd.DataFrame) -> pd.DataFrame:
    """Return each source's top reasons for a no, by the reason's label."""
    return pd.DataFrame(
        {
            "Source": reasons["source"],
            "Turned down as": [STAGE_NAMES.get(s, s) for s in reasons["stage"]],
            "Reason": reasons["label"],
            "Leads": [number(v) for v in reasons["leads"]],
            "Share of the source's decisions": [number(v, "%") for v in reasons["share"]],
        }
    )


SPEED_ROWS = (
    ("mqls", "Leads routed to sales ³", ""),
    ("touched", "Touched", ""),
    ("untouched", "Not touched yet", ""),
    ("p50_minutes", "Median response (minutes)", "1"),
    ("p90_minutes", "90th percentile response (minutes)", "1"),
    ("p50_business_hours", "Median response (business hours)", "1"),
    ("p90_business_hours", "90th percentile response (business hours)", "1"),
    ("within_5_min", "Touched within 5 minutes", "%"),
    ("within_15_min", "Touched within 15 minutes", "%"),
    ("within_60_min", "Touched within 60 minutes", "%"),
    ("within_sla", "Touched within the SLA", "%"),
    ("routing_delay_p50_minutes", "Median routing delay, MQL → owner (minutes)", "1"),
    ("rep_delay_p50_minutes", "Median rep delay, owner → first touch (minutes)", "1"),
    ("ever_contacted", "Reached the person at some point", "%"),
    ("first_contact_p50_minutes", "Median time to first contact (minutes)", "1"),
)


def speed_table(speed: pd.DataFrame) -> pd.DataFrame:
    """Return speed-to-lead as two columns, measure and value (the month's one row)."""
    row = speed.iloc[0] if not speed.empty else pd.Series(dtype=object)
    return pd.DataFrame(
        {
            "Measure": [label for _, label, _ in SPEED_ROWS],
            "This month": [number(row.get(key), kind) for key, _, kind in SPEED_ROWS],
        }
    )


def bands_table(bands: pd.DataFrame) -> pd.DataFrame:
    """Return the validation and win rates by how fast the leads were first touched."""
    return pd.DataFrame(
        {
            "First touch after": bands["band_label"],
            "Leads routed ³": [number(v) for v in bands["mqls"]],
            "Decided": [number(v) for v in bands["decided"]],
            "Validation rate": [number(v, "%") for v in bands["validation_rate"]],
            "Won": [number(v) for v in bands["won"]],
            "Lost": [number(v) for v in bands["lost"]],
            "Win rate": [number(v, "%") for v in bands["win_rate"]],
        }
    )


def scorecard_table(card: pd.DataFrame) -> pd.DataFrame:
    """Return the SLA scorecard by month: month, owner, measure, result, leads counted,
    target and verdict ("still maturing" while the month's decisions can still come)."""
    flags = card["maturing"] if "maturing" in card else pd.Series(False, index=card.index)
    rows = []
    for r, maturing in zip(card.itertuples(), flags, strict=True):
        kind = _kind(r.metric)
        rows.append(
            {
                "Month": month_label(r.key),
                "Owner": SIDES.get(r.side, r.side),
                "Measure": METRIC_LABELS.get(r.metric, r.metric),
                "Result": number(r.value, kind),
                "Leads counted": (
                    NOTHING
                    if r.metric in ("mql_volume", "response")
                    else f"{number(r.numerator)} of {number(r.denominator)}"
                ),
                "Target": number(r.target, kind),
                "Result against target": _verdict(r.met, bool(maturing)),
            }
        )
    return pd.DataFrame(rows)


TABLES = {
    "key_numbers": lambda t, m: key_numbers_table(t, m),
    "win_rate_by_team": lambda t, m: deals_table(t),
    "top_leakage": lambda t, m: leakage_table(t),
    "flagged_reps": lambda t, m: flagged_table(t),
    "reasons_by_source": lambda t, m: reasons_table(t),
    "speed_to_lead": lambda t, m: speed_table(t),
    "speed_by_response_band": lambda t, m: bands_table(t),
    "funnel": lambda t, m: funnel_table(t),
    "scorecard_by_month": lambda t, m: scorecard_table(t),
}


def footnotes(report: Report) -> list[str]:
    """Return the footnotes: what the MQL count counts (and why sales' figures count more
    leads), what the funnel's shares are of, and what is still maturing."""
    month = review_month(report)
    label = month_label(month)
    key = report.tables["key_numbers"].set_index("metric")
    mqls = number(key["this_month"].get("mql_volume"))
    funnel = report.tables["funnel"].set_index("stage")
    routed, won = number(funnel["leads"].get("mql")), number(funnel["leads"].get("won"))
    share = number(funnel["conversion"].get("won"), "%")
    return [
        (
            f"¹ MQLs: the leads that met the agreed lead definition and became MQLs in {label} "
            f"({mqls}). This is the one MQL count of the review, and the figure marketing's "
            "volume target is judged on."
        ),
        (
            f"² Share of the stage before: of the leads that reached the stage before in {label}, "
            "the share that has reached this stage so far. Won: "
            f"{won} deals won in {label}; the {share} beside it is of the opportunities opened "
            f"in {label}, already won — it keeps growing while their sales cycle runs (the "
            "median days MQL → close are in the deals table). The MQL stage counts every lead "
            "routed to sales, as ³ says."
        ),
        (
            f"³ Leads routed to sales ({routed} reached the MQL stage in {label}): the MQLs above "
            "plus the below-threshold sample leads routed to reps to measure what the definition "
            "misses. Sales owes every one a call, so speed-to-lead, first-touch and decision "
            "figures count them all."
        ),
        (
            "Still maturing: a month whose MQLs' decision deadlines have not all passed; its "
            "figures can still change and are not judged as misses (faded on the charts)."
        ),
    ]


def render_review_html(report: Report) -> str:
    """Return the monthly review as one self-contained HTML page with human labels."""
    month = review_month(report)
    parts = [
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="period">{month.day} {month:%B %Y} to {month_end(month).day} {month:%B %Y}</p>',
    ]
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in report.notes]
    parts += [f"<figure>{chart_svg(chart)}</figure>" for chart in report.charts]
    for name, frame in report.tables.items():
        parts.append(f"<h2>{html.escape(table_title(name))}</h2>")
        shown = TABLES[name](frame, month) if name in TABLES else frame
        if shown.empty:
            parts.append("<p>Nothing to show for this month.</p>")
        else:
            parts.append(shown.fillna(NOTHING).to_html(index=False, escape=True, border=0))
    parts.append('<div class="footnotes">')
    parts += [f"<p>{html.escape(note)}</p>" for note in footnotes(report)]
    parts.append("</div>")
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(report.title)}</title><style>{STYLE}{FOOTNOTE_STYLE}</style>"
        f"</head><body>{''.join(parts)}</body></html>\n"
    )


def report_html(report: Report) -> str:
    """Return any report as its HTML page: the review in its own words, the others as tables."""
    return render_review_html(report) if report.name == "review" else render_html(report)
