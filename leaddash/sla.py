"""SLA terms and the business calendar its deadlines are measured in.

The calendar (time zone, working days and hours, holidays) lives in the SLA's content.
Deadlines are computed in the calendar's local wall-clock time, then converted to UTC, so a
daylight-saving change never shifts the working day. Business days come from pandas'
CustomBusinessDay (weekmask plus holidays); its numpy calendar lets a whole column of
timestamps be moved in one vectorized step.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from functools import lru_cache
from typing import Any, TypeAlias, overload

import holidays as holiday_lib
import numpy as np
import pandas as pd

from leaddash.documents.base import read_document
from leaddash.documents.sla import (
    DEFAULT_WARNING_SHARE,
    WEEKDAYS,
    SlaTerms,
    calendar_years,
    clock_ns,
)
from leaddash.errors import InvalidInput

_ORIGIN = np.datetime64("1970-01-01", "D")
_NS_PER_HOUR = 3_600_000_000_000

_DEFAULT_SLA: dict[str, Any] = {
    "marketing": {
        "mql_target_per_month": 900,
        "mql_target_by_segment": {"SMB": 400, "Mid-Market": 350, "Enterprise": 150},
        "validation_rate_target": 0.6,
        "owner": "marketing_leader",
    },
    "sales": {
        "first_touch_hours": 4,
        "reassigned_touch_hours": 4,
        "decision_days": 5,
        "min_attempts": 3,
        "reason_required": True,
        "owner": "sales_leader",
        "warning_share": 0.75,
        "escalation": {"after_breach_hours": [4, 24], "return_to_team_queue": False},
    },
    "calendar": {
        "timezone": "America/New_York",
        "workdays": ["Mon", "Tue", "Wed", "Thu", "Fri"],
        "day_start": "09:00",
        "day_end": "17:00",
        "holidays": ["2025-12-24", "2025-12-31", "2026-12-24", "2026-12-31"],
        "holiday_country": "US",
    },
    "review_cadence": "monthly",
}


def default_sla_content() -> dict[str, Any]:
    """Return a fresh copy of the starting SLA (the first draft teams edit)."""
    return copy.deepcopy(_DEFAULT_SLA)


def summarize_sla(content: dict[str, Any]) -> str:
    """Return the SLA's commitments in one plain-language paragraph."""
    mkt, sales, cal = content["marketing"], content["sales"], content["calendar"]
    country = f", {cal['holiday_country']} public holidays" if cal.get("holiday_country") else ""
    return (
        f"Marketing delivers {mkt['mql_target_per_month']:,} MQLs a month with a validation "
        f"rate of at least {mkt['validation_rate_target']:.0%}. Sales touches every MQL "
        f"within {sales['first_touch_hours']} business hours, decides within "
        f"{sales['decision_days']} business days and makes {sales['min_attempts']} attempts "
        f"before recycling. {_alerts_sentence(sales)} Business hours: "
        f"{', '.join(cal['workdays'])} "
        f"{cal['day_start']}–{cal['day_end']} {cal['timezone']}{country}. "
        f"Reviewed {content.get('review_cadence', 'monthly')}."
    )


def _hours(steps: list[Any]) -> str:
    words = [f"{float(h):g}" for h in steps]
    return words[0] if len(words) == 1 else f"{', '.join(words[:-1])} and {words[-1]}"


def _alerts_sentence(sales: dict[str, Any]) -> str:
    """Return when deadlines warn and how an untouched lead escalates, in words."""
    share = sales.get("warning_share") or DEFAULT_WARNING_SHARE
    text = f"A deadline warns when {float(share):.0%} of its window has gone"
    escalation = sales.get("escalation") or {}
    steps = escalation.get("after_breach_hours") or []
    if not steps:
        return text + "."
    back = ", then goes back to the team queue" if escalation.get("return_to_team_queue") else ""
    return (
        f"{text}; a lead still untouched is escalated to its manager {_hours(steps)} "
        f"business hours after the breach{back}."
    )


def validate_sla(content: dict[str, Any]) -> dict[str, Any]:
    """Return `content` when its targets, response times and calendar are usable;
    otherwise raise InvalidInput naming the first problem and (in `field`) the term.
    The checks are the SlaTerms model's, then a business calendar is built from it; the
    dict returned is `content` itself, as stored."""
    read_sla(content)
    calendar = content.get("calendar") or {}
    first, last = calendar_years(calendar)
    business_calendar(calendar, range(first, last + 1))
    return content


def read_sla(content: dict[str, Any]) -> SlaTerms:
    """Return the SLA terms `content` as typed SlaTerms, or raise InvalidInput naming the
    first problem and (in `field`) the term."""
    return read_document(SlaTerms, content)


@dataclass(frozen=True)
class BusinessCalendar:
    """A calendar ready for arithmetic: zone, opening times (ns after midnight), days."""

    timezone: str
    opens_ns: int
    closes_ns: int
    days: pd.offsets.CustomBusinessDay

    @property
    def day_ns(self) -> int:
        """Return the length of one working day in nanoseconds."""
        return self.closes_ns - self.opens_ns

    @property
    def busdays(self) -> np.busdaycalendar:
        """Return the numpy calendar behind the CustomBusinessDay (weekmask + holidays)."""
        return self.days.calendar


def _holiday_dates(explicit: tuple[str, ...], country: str | None, years: range) -> list[date]:
    days = {pd.Timestamp(d).date() for d in explicit}
    if country:
        try:
            days |= set(holiday_lib.country_holidays(country, years=list(years)).keys())
        except NotImplementedError:
            raise InvalidInput(f"No public holidays are known for country {country!r}.") from None
    return sorted(days)


@lru_cache(maxsize=64)
def _build(
    timezone: str,
    workdays: tuple[str, ...],
    start: str,
    end: str,
    explicit: tuple[str, ...],
    country: str | None,
    years: range,
) -> BusinessCalendar:
    opens, closes = clock_ns(start, "day_start"), clock_ns(end, "day_end")
    if closes <= opens:
        raise InvalidInput("The working day must end after it starts.")
    unknown = set(workdays) - set(WEEKDAYS)
    if unknown or not workdays:
        raise InvalidInput(f"Working days must be among {', '.join(WEEKDAYS)}.")
    days = pd.offsets.CustomBusinessDay(
        weekmask=" ".join(workdays), holidays=_holiday_dates(explicit, country, years)
    )
    return BusinessCalendar(timezone, opens, closes, days)


def business_calendar(calendar: dict[str, Any], years: range) -> BusinessCalendar:
    """Return the BusinessCalendar for an SLA `calendar` dict, with holidays for `years`."""
    return _build(
        calendar.get("timezone") or "UTC",
        tuple(calendar.get("workdays") or WEEKDAYS[:5]),
        calendar.get("day_start") or "09:00",
        calendar.get("day_end") or "17:00",
        tuple(calendar.get("holidays") or ()),
        calendar.get("holiday_country") or None,
        years,
    )


# --- positions on the business-time line -----------------------------------------------


def _as_index(start: datetime | pd.Series) -> pd.DatetimeIndex:
    values = start if isinstance(start, pd.Series) else [start]
    return pd.DatetimeIndex(pd.to_datetime(values, utc=True))


def _local(index: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    return index.tz_convert(timezone).tz_localize(None)


def _years(local: pd.DatetimeIndex) -> range:
    valid = local[~local.isna()]
    first, last = (valid.min().year, valid.max().year) if len(valid) else (1970, 1970)
    return range(first - 1, last + 3)


def _positions(local: pd.DatetimeIndex, cal: BusinessCalendar) -> np.ndarray:
    """Return business nanoseconds elapsed since the origin, per (NaT-free) local time."""
    day = local.normalize()
    day_d = day.to_numpy().astype("datetime64[D]")
    clock = (local - day).to_numpy().astype("timedelta64[ns]").astype(np.int64)
    worked = np.clip(clock - cal.opens_ns, 0, cal.day_ns)
    worked = np.where(np.is_busday(day_d, busdaycal=cal.busdays), worked, 0)
    before = np.busday_count(_ORIGIN, day_d, busdaycal=cal.busdays).astype(np.int64)
    return before * cal.day_ns + worked


def _from_positions(
    pos: np.ndarray,
    cal: BusinessCalendar,
    at_close: np.ndarray | bool,
) -> pd.DatetimeIndex:
    """Return local times for positions; where `at_close`, a day boundary is the closing
    time of the earlier day rather than the opening of the next."""
    index = np.where(at_close, -(-pos // cal.day_ns) - 1, pos // cal.day_ns)
    index = np.maximum(index, 0)
    day = np.busday_offset(_ORIGIN, index, roll="forward", busdaycal=cal.busdays)
    clock = pos - index * cal.day_ns + cal.opens_ns
    return pd.DatetimeIndex(day.astype("datetime64[ns]") + clock.astype("timedelta64[ns]"))


def _to_utc(local: pd.DatetimeIndex, timezone: str) -> pd.DatetimeIndex:
    standard_time = np.zeros(len(local), dtype=bool)
    aware = local.tz_localize(timezone, ambiguous=standard_time, nonexistent="shift_forward")
    return aware.tz_convert("UTC")


Move = Callable[[pd.DatetimeIndex, BusinessCalendar], pd.DatetimeIndex]


def _shift(start: datetime | pd.Series, calendar: dict[str, Any], move: Move) -> Any:
    index = _as_index(start)
    missing = index.isna()
    local = _local(index, calendar.get("timezone") or "UTC")
    cal = business_calendar(calendar, _years(local))
    filled = local.where(~missing, pd.Timestamp("2000-01-03"))
    result = _to_utc(move(filled, cal), cal.timezone).where(~missing, pd.NaT)
    if isinstance(start, pd.Series):
        return pd.Series(result, index=start.index, name=start.name)
    return result[0].to_pydatetime()


Hours: TypeAlias = float | np.ndarray | pd.Series


@overload
def business_deadline(start: datetime, hours: float, calendar: dict[str, Any]) -> datetime: ...
@overload
def business_deadline(start: pd.Series, hours: Hours, calendar: dict[str, Any]) -> pd.Series: ...
def business_deadline(
    start: datetime | pd.Series,
    hours: Hours,
    calendar: dict[str, Any],
) -> datetime | pd.Series:
    """Return `start` plus `hours` business hours (aware UTC; a Series for a Series).

    `hours` is one number, or one per row of a Series `start`. A start outside working
    hours counts from the next opening; a deadline that falls exactly at closing time
    stays on that day (pandas' CustomBusinessHour moves it to the next opening)."""
    step = np.rint(np.asarray(hours, dtype=float) * _NS_PER_HOUR).astype(np.int64)
    if (step < 0).any():
        raise InvalidInput("Business hours to add must not be negative.")

    def move(local: pd.DatetimeIndex, cal: BusinessCalendar) -> pd.DatetimeIndex:
        return _from_positions(_positions(local, cal) + step, cal, at_close=step > 0)

    return _shift(start, calendar, move)


@overload
def business_days_deadline(start: datetime, days: int, calendar: dict[str, Any]) -> datetime: ...
@overload
def business_days_deadline(start: pd.Series, days: int, calendar: dict[str, Any]) -> pd.Series: ...
def business_days_deadline(
    start: datetime | pd.Series,
    days: int,
    calendar: dict[str, Any],
) -> datetime | pd.Series:
    """Return closing time of the `days`-th business day after the start's business day
    (aware UTC; a Series for a Series). A start after hours or on a day off counts from
    the next business day."""
    if int(days) < 0:
        raise InvalidInput("Business days to add must not be negative.")

    def move(local: pd.DatetimeIndex, cal: BusinessCalendar) -> pd.DatetimeIndex:
        start_day = _positions(local, cal) // cal.day_ns
        return _from_positions((start_day + int(days) + 1) * cal.day_ns, cal, at_close=True)

    return _shift(start, calendar, move)


def business_hours_between(
    start: pd.Series,
    end: pd.Series,
    calendar: dict[str, Any],
) -> pd.Series:
    """Return the business hours from each `start` to its `end` (NaN where either is
    missing; negative when `end` comes first) — e.g. the response time of MQLs."""
    both = _as_index(start).append(_as_index(end))
    missing = both.isna()
    local = _local(both, calendar.get("timezone") or "UTC")
    cal = business_calendar(calendar, _years(local))
    pos = _positions(local.where(~missing, pd.Timestamp("2000-01-03")), cal).astype(float)
    pos[missing] = np.nan
    half = len(start)
    return pd.Series((pos[half:] - pos[:half]) / _NS_PER_HOUR, index=start.index)


@overload
def warning_point(
    start: datetime, due: datetime | None, share: float, calendar: dict[str, Any]
) -> datetime | None: ...
@overload
def warning_point(
    start: pd.Series, due: pd.Series, share: float, calendar: dict[str, Any]
) -> pd.Series: ...
def warning_point(
    start: datetime | pd.Series,
    due: datetime | pd.Series | None,
    share: float,
    calendar: dict[str, Any],
) -> datetime | pd.Series | None:
    """Return the moment `share` of the window from `start` to `due` has gone, counted in
    the calendar's business time (aware UTC; a Series for Series; None or NaT without a
    due point). The window of a first touch is its business hours; that of a decision runs
    to the close of its last business day, so both warn at the same share of their time."""
    if not isinstance(start, pd.Series):
        if due is None:
            return None
        found = warning_point(pd.Series([start]), pd.Series([due]), share, calendar)
        return found.iloc[0].to_pydatetime()
    window = business_hours_between(start, pd.Series(due, index=start.index), calendar)
    hours = (window.clip(lower=0) * float(share)).fillna(0)
    points = business_deadline(start, hours.to_numpy(), calendar).dt.floor("us")
    return points.where(window.notna())
