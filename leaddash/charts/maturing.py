"""Which months are still maturing: their figures can still change, so a chart draws them
faded and a note says so instead of showing them as misses (docs/metrics.md, "Still
maturing"). Pure: the time and the SLA's terms come in as arguments."""

from __future__ import annotations

import numbers
from collections.abc import Iterable
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd

from leaddash.sla import business_days_deadline

MATURING_NOTE = (
    "Faded: still maturing — the month's leads are still inside their decision window (or, "
    "for deals, the median sales cycle), so these figures will still change; not a miss."
)
# Stages a lead reaches only on the way to a deal: a cohort's conversion to them matures
# with the sales cycle, not with the decision window.
DEAL_STAGES = ("sql", "opportunity", "won", "lost")


def _next_month(month: date) -> date:
    return date(month.year + month.month // 12, month.month % 12 + 1, 1)


def decision_window_end(month: date, terms: dict[str, Any]) -> datetime:
    """Return when the last decision deadline of `month`'s MQLs passes: the decision
    deadline (the SLA's business days) of an MQL at the month's last moment (aware UTC)."""
    calendar = terms.get("calendar", {})
    zone = ZoneInfo(calendar.get("timezone") or "UTC")
    # An MQL at the month's last moment counts from the next business day, as the first
    # moment of the next month does.
    start = datetime.combine(_next_month(month), datetime.min.time(), tzinfo=zone)
    days = int(terms.get("sales", {}).get("decision_days", 0))
    return business_days_deadline(start, days, calendar)


def sla_month_maturing(month: date, *, now: datetime, terms: dict[str, Any]) -> bool:
    """Return whether `month` (any day of it) is still maturing for the SLA's figures: not
    every decision deadline of its MQLs has passed at `now`."""
    return now < decision_window_end(month.replace(day=1), terms)


def month_running(month: date, *, now: datetime, terms: dict[str, Any]) -> bool:
    """Return whether `month` has not ended at `now` in the SLA calendar's time zone (the MQL
    volume of a month is complete once the month is over)."""
    zone = ZoneInfo(terms.get("calendar", {}).get("timezone") or "UTC")
    end = datetime.combine(_next_month(month.replace(day=1)), datetime.min.time(), tzinfo=zone)
    return now < end


def scorecard_maturing(
    keys: Iterable[Any], metrics: Iterable[str], *, now: datetime, terms: dict[str, Any]
) -> list[bool]:
    """Return per scorecard row (month key, metric) whether it is still maturing: MQL volume
    while its month runs, every other figure until the month's decision window has closed."""
    return [
        month_running(as_month(key), now=now, terms=terms)
        if metric == "mql_volume"
        else sla_month_maturing(as_month(key), now=now, terms=terms)
        for key, metric in zip(keys, metrics, strict=True)
    ]


def cohort_maturing(month: date, *, now: datetime, cycle_days: float) -> bool:
    """Return whether a cohort `month` is still maturing for conversion to a deal stage:
    fewer than `cycle_days` (the median days MQL → close) have gone since the month ended."""
    end = datetime.combine(_next_month(month.replace(day=1)), datetime.min.time())
    return now.replace(tzinfo=None) < end + timedelta(days=float(cycle_days))


def maturing_flags(
    months: Iterable[Any],
    *,
    now: datetime,
    terms: dict[str, Any],
    cycle_days: float | None = None,
) -> list[bool]:
    """Return per month (a date, timestamp or yyyymm key) whether it is still maturing:
    by the sales cycle when `cycle_days` is given, else by the decision window."""
    flags = []
    for month in months:
        day = as_month(month)
        if cycle_days is None or pd.isna(cycle_days):
            flags.append(sla_month_maturing(day, now=now, terms=terms))
        else:
            flags.append(cohort_maturing(day, now=now, cycle_days=cycle_days))
    return flags


def as_month(month: Any) -> date:
    """Return the first day of the month a date, timestamp or yyyymm key (202606) names."""
    if isinstance(month, numbers.Integral) or (isinstance(month, str) and month.isdigit()):
        key = int(month)
        return date(key // 100, key % 100, 1)
    return pd.Timestamp(month).date().replace(day=1)


def month_label(month: Any) -> str:
    """Return the month as people write it: "June 2026"."""
    return f"{as_month(month):%B %Y}"
