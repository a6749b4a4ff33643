"""The dashboards' reports (funnel, SLA, calibration) and the one entry point every report
format and the command line share."""

from __future__ import annotations

from datetime import date

from leaddash.analytics.calibration import (
    high_score_disqualified,
    reason_mix,
    rep_calibration,
)
from leaddash.analytics.filters import Filters
from leaddash.analytics.funnel import (
    BY,
    breakdown,
    leakage,
    monthly_trend,
    velocity,
    waterfall,
)
from leaddash.analytics.sla import scorecard, volume_vs_target
from leaddash.analytics.speed import speed_by_band, speed_to_lead
from leaddash.analytics.wins import WIN_RATE_COLUMNS, win_rates
from leaddash.charts import stage_bar_chart
from leaddash.errors import InvalidInput
from leaddash.reports.model import Read, Report, last_full_month
from leaddash.reports.review import build_review

REPORTS = ("funnel", "sla", "calibration", "review")
SLA_BY = ("month", "team", "rep")
HIGH_SCORE = 80


def _period(filters: Filters) -> str:
    start = "the first lead" if filters.start is None else str(filters.start)
    end = "today" if filters.end is None else str(filters.end)
    return f"{start} to {end}"


def funnel_report(read: Read, filters: Filters, by: str | None) -> Report:
    """Return the funnel: waterfall, leakage, velocity, trend, a breakdown when asked, and
    the win rate and sales cycle (per group of the breakdown, else one row "all")."""
    tables = {
        "waterfall": read(waterfall, filters),
        "leakage": read(leakage, filters),
        "velocity": read(velocity, filters),
        "monthly_trend": read(monthly_trend, filters),
    }
    if by is not None:
        tables[f"by_{by}"] = read(breakdown, filters, by=by)
    tables["win_rate"] = read(win_rates, filters, by=by)[WIN_RATE_COLUMNS]
    return Report(
        name="funnel",
        title="Funnel",
        period=_period(filters),
        tables=tables,
        charts=(stage_bar_chart(tables["waterfall"], "Funnel"),),
    )


def sla_report(read: Read, filters: Filters, by: str | None) -> Report:
    """Return the two-sided SLA scorecard (by month unless asked), MQLs against target,
    speed-to-lead per group of the same breakdown, and the rates by response band."""
    tables = {
        f"scorecard_by_{by or 'month'}": read(scorecard, filters, by=by or "month"),
        "mql_volume": read(volume_vs_target, filters),
        "speed_to_lead": read(speed_to_lead, filters, by=by or "month"),
        "speed_by_response_band": read(speed_by_band, filters),
    }
    return Report(name="sla", title="SLA compliance", period=_period(filters), tables=tables)


def calibration_report(read: Read, filters: Filters, by: str | None) -> Report:
    """Return each rep's validation rate against their team, their reason mix, and the
    high-score leads that were disqualified."""
    tables = {
        "calibration": read(rep_calibration, filters),
        "reason_mix": read(reason_mix, filters),
        "high_score_disqualified": read(high_score_disqualified, filters, min_score=HIGH_SCORE),
    }
    return Report(
        name="calibration", title="Rep calibration", period=_period(filters), tables=tables
    )


def _check(name: str, start: date | None, end: date | None, by: str | None) -> None:
    if name not in REPORTS:
        raise InvalidInput(
            f"There is no report {name!r}: pick one of {', '.join(REPORTS)}.", field="report"
        )
    if start is not None and end is not None and start > end:
        raise InvalidInput(
            f"The dates are the wrong way round: {start} is after {end}.", field="from"
        )
    allowed = {"funnel": tuple(BY), "sla": SLA_BY}.get(name, ())
    if by is not None and by not in allowed:
        hint = f"one of {', '.join(allowed)}" if allowed else "nothing: leave --by out"
        raise InvalidInput(
            f"The {name} report cannot be broken down by {by!r}; use {hint}.", field="by"
        )


def _review_month(start: date | None, end: date | None) -> date:
    month = start or end or last_full_month()
    if start is not None and end is not None and (start.year, start.month) != (end.year, end.month):
        raise InvalidInput(
            "The review covers one month: give --from with any day of it "
            "(or leave the dates out for the last full month).",
            field="from",
        )
    return month


def build_report(
    read: Read,
    *,
    name: str,
    start: date | None = None,
    end: date | None = None,
    by: str | None = None,
) -> Report:
    """Return the named report (funnel, sla, calibration or review) over the dates; the
    review covers the month of `start` (default: the last full month)."""
    _check(name, start, end, by)
    if name == "review":
        return build_review(read, month=_review_month(start, end))
    builders = {"funnel": funnel_report, "sla": sla_report, "calibration": calibration_report}
    return builders[name](read, Filters(start=start, end=end), by)
