"""A report as a file: one self-contained HTML page, a zip of CSVs, or JSON.

The HTML page must open anywhere, offline, years later, and may be mailed around: each
chart is drawn to SVG here (vl-convert) and written into the page, tables are plain HTML
(every cell escaped), and the page loads nothing — no script, no font, no stylesheet
from the web. Interactive charts inline (Altair's `inline=True`) would add 900 kB of
JavaScript per page and go blank where scripts are blocked, as they often are in mail.
"""

from __future__ import annotations

import html
import io
import json
import zipfile
from typing import Any

import pandas as pd
import vl_convert

from leaddash.analytics.wins import WIN_RATE_HEADERS
from leaddash.csv_safe import ENCODING, frame_to_csv
from leaddash.reports.model import Chart, Report

TABLE_TITLES = {
    "key_numbers": "Key numbers, against last month",
    "top_leakage": "Where leads left the funnel",
    "flagged_reps": "Reps flagged by calibration",
    "reasons_by_source": "Top reasons sales turned leads down, by source",
    "funnel": "Funnel",
    "scorecard_by_month": "SLA scorecard by month",
    "win_rate": "Win rate and sales cycle",
    "win_rate_by_team": "Win rate and sales cycle, by team",
    "speed_to_lead": "Speed-to-lead (raw minutes unless said; business hours of the SLA)",
    "speed_by_response_band": "Validation and win rate by response time",
}
PERCENT_COLUMNS = {
    "rate",
    "rest_rate",
    "low",
    "high",
    "rest_low",
    "rest_high",
    "share",
    "conversion",
    "win_rate",
    "within_5_min",
    "within_15_min",
    "within_60_min",
    "within_sla",
    "ever_contacted",
    "validation_rate",
}
# Counts and amounts with thousands separators, days to a tenth.
NUMBER_COLUMNS = {"won", "lost", "open", "won_amount"}
DAY_COLUMNS = {"median_cycle_days", "median_mql_to_close_days"}
SVG_WIDTH = 640
RATE_METRICS = {"validation_rate", "first_touch", "decision", "attempts", "feedback_rate"}
STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif;
       margin: 2rem auto; max-width: 1100px; color: #222; padding: 0 1rem; }
h1 { margin-bottom: .2rem; } .period { color: #555; margin-top: 0; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: .9rem; }
th, td { border-bottom: 1px solid #ddd; padding: .3rem .6rem; text-align: left; }
th { background: #f4f4f4; } figure { margin: 1rem 0 2rem; } .note { font-weight: 600; }
"""


def table_title(name: str) -> str:
    """Return the heading of a report table."""
    return TABLE_TITLES.get(name, name.replace("_", " ").capitalize())


def _number(value: Any, unit: str) -> str:
    if value is None or pd.isna(value):
        return "—"
    if unit == "%":
        return f"{float(value):.0%}"
    if unit == "h":
        return f"{float(value):.1f} h"
    if unit == "d":
        return f"{float(value):,.1f}"
    return f"{float(value):,.0f}" if float(value).is_integer() else f"{float(value):,.2f}"


def _unit(metric: str) -> str:
    return "%" if metric in RATE_METRICS else "h" if metric == "response" else ""


def shown_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return the table as people read it: rates in per cent, hours, thousands separators,
    "—" for nothing, the deals' columns under the words docs/metrics.md gives them."""
    shown = frame.copy().astype(object)
    units = {
        **dict.fromkeys(PERCENT_COLUMNS, "%"),
        **dict.fromkeys(NUMBER_COLUMNS, ""),
        **dict.fromkeys(DAY_COLUMNS, "d"),
    }
    # Speed-to-lead's durations (minutes, business hours) to a tenth, as days are.
    units |= {c: "d" for c in frame.columns if str(c).endswith(("_minutes", "_business_hours"))}
    for column in frame.columns:
        if column in units:
            shown[column] = [_number(v, units[column]) for v in frame[column]]
    if "metric" in frame.columns:
        for column in [c for c in ("value", "this_month", "last_month", "target") if c in frame]:
            shown[column] = [
                _number(v, _unit(m)) for v, m in zip(frame[column], frame["metric"], strict=True)
            ]
    if "met" in frame.columns:
        shown["met"] = [_verdict(v) for v in frame["met"]]
    shown = shown.where(frame.notna(), "—")
    return shown.rename(
        columns=lambda c: WIN_RATE_HEADERS.get(c, str(c).replace("_", " ").capitalize())
    )


def _verdict(met: Any) -> str:
    return "—" if met is None or pd.isna(met) else "met" if met else "missed"


def chart_svg(chart: Chart) -> str:
    """Return the chart drawn as an SVG document (no script needed to see it)."""
    return vl_convert.vegalite_to_svg(chart.properties(width=SVG_WIDTH).to_dict())


def render_html(report: Report) -> str:
    """Return the report as one self-contained HTML page (charts as inline SVG)."""
    parts = [
        f"<h1>{html.escape(report.title)}</h1>",
        f'<p class="period">{html.escape(report.period)}</p>',
    ]
    parts += [f'<p class="note">{html.escape(note)}</p>' for note in report.notes]
    parts += [f"<figure>{chart_svg(chart)}</figure>" for chart in report.charts]
    for name, frame in report.tables.items():
        parts.append(f"<h2>{html.escape(table_title(name))}</h2>")
        parts.append(shown_table(frame).to_html(index=False, escape=True, border=0))
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>{html.escape(report.title)}</title><style>{STYLE}</style></head>"
        f"<body>{''.join(parts)}</body></html>\n"
    )


def csv_zip(report: Report) -> bytes:
    """Return a zip holding one CSV file per table (UTF-8 with BOM, formulas defused)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, frame in report.tables.items():
            archive.writestr(f"{report.name}_{name}.csv", frame_to_csv(frame))
    return buffer.getvalue()


def csv_text(report: Report) -> str:
    """Return every table as CSV, one after the other, each under a "# name" line."""
    return "\n".join(
        f"# {name}\n" + frame_to_csv(frame).decode(ENCODING).replace("\r\n", "\n")
        for name, frame in report.tables.items()
    )


def report_json(report: Report) -> str:
    """Return the report as JSON: title, period, notes and each table as a list of rows."""
    tables = {
        name: json.loads(frame.to_json(orient="records", date_format="iso"))
        for name, frame in report.tables.items()
    }
    return json.dumps(
        {
            "report": report.name,
            "title": report.title,
            "period": report.period,
            "notes": list(report.notes),
            "tables": tables,
        },
        indent=2,
        ensure_ascii=False,
    )
