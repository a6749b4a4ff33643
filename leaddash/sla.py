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
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_lib
import numpy as np
import pandas as pd

from leaddash.errors import InvalidInput

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
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
        "decision_days": 5,
        "min_attempts": 3,
        "reason_required": True,
        "owner": "sales_leader",
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
        f"before recycling. Business hours: {', '.join(cal['workdays'])} "
        f"{cal['day_start']}–{cal['day_end']} {cal['timezone']}{country}. "
        f"Reviewed {content.get('review_cadence', 'monthly')}."
    )


def _positive(section: dict[str, Any], key: str, label: str, minimum: float = 0) -> None:
    value = section.get(key)
    if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum:
        raise InvalidInput(f"{label} must be a number of at least {minimum}.", field=key)


def validate_sla(content: dict[str, Any]) -> dict[str, Any]:
    """Return `content` when its targets, response times and calendar are usable;
    otherwise raise InvalidInput naming the first problem and (in `field`) the term."""
    mkt, sales = content.get("marketing") or {}, content.get("sales") or {}
    _positive(mkt, "mql_target_per_month", "The monthly MQL target")
    _positive(mkt, "validation_rate_target", "The validation-rate target")
    if mkt["validation_rate_target"] > 1:
        raise InvalidInput("The validation-rate target is a share between 0 and 1 "
                           "(0% to 100%).", field="validation_rate_target")
    _check_segments(mkt.get("mql_target_by_segment") or {})
    _positive(sales, "first_touch_hours", "The first-touch time", minimum=0.25)
    _positive(sales, "decision_days", "The decision time")
    _positive(sales, "min_attempts", "The minimum number of attempts", minimum=1)
    _check_calendar(content.get("calendar") or {})
    return content


def _check_segments(targets: dict[str, Any]) -> None:
    for segment, target in targets.items():
        if not str(segment).strip():
            raise InvalidInput("Every segment target needs the segment's name.",
                               field="mql_target_by_segment")
        if not isinstance(target, (int, float)) or isinstance(target, bool) or target < 0:
            raise InvalidInput(f"The MQL target of segment {segment} must be a number of at "
                               "least 0.", field="mql_target_by_segment")


def calendar_years(calendar: dict[str, Any], today: date | None = None) -> tuple[int, int]:
    """Return the first and last year the calendar covers: its `years`, else the span of
    its holidays, else this year."""
    years = calendar.get("years")
    if isinstance(years, (list, tuple)) and len(years) == 2:
        return int(years[0]), int(years[1])
    dated = [d.year for d in (_as_date(h) for h in calendar.get("holidays") or []) if d]
    if dated:
        return min(dated), max(dated)
    this_year = (today or datetime.now().astimezone().date()).year  # the local year
    return this_year, this_year


def _as_date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


def _check_calendar(calendar: dict[str, Any]) -> None:
    try:
        ZoneInfo(calendar.get("timezone") or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        raise InvalidInput(f"Unknown time zone {calendar.get('timezone')!r}.",
                           field="timezone") from None
    workdays = calendar.get("workdays")
    if workdays is not None and not workdays:
        raise InvalidInput("Pick at least one working day.", field="workdays")
    if set(workdays or ()) - set(WEEKDAYS):
        raise InvalidInput(f"Working days must be among {', '.join(WEEKDAYS)}.",
                           field="workdays")
    for key in ("day_start", "day_end"):
        _clock_ns(calendar.get(key) or "09:00", key)
    if str(calendar.get("day_end") or "17:00") <= str(calendar.get("day_start") or "09:00"):
        raise InvalidInput("The working day must end after it starts.", field="day_end")
    first, last = _check_holidays(calendar)
    country = calendar.get("holiday_country")
    if country and country not in holiday_lib.list_supported_countries():
        raise InvalidInput(f"No public holidays are known for country {country!r}.",
                           field="holiday_country")
    business_calendar(calendar, range(first, last + 1))


def _check_holidays(calendar: dict[str, Any]) -> tuple[int, int]:
    first, last = calendar_years(calendar)
    if first > last:
        raise InvalidInput(f"The calendar's first year ({first}) comes after its last "
                           f"({last}).", field="years")
    span = f"year {first}" if first == last else f"years {first}–{last}"
    for text in calendar.get("holidays") or []:
        day = _as_date(text)
        if day is None:
            raise InvalidInput(f"Holiday {text!r} is not a date like {first}-12-24.",
                               field="holidays")
        if not first <= day.year <= last:
            raise InvalidInput(f"Holiday {day.isoformat()} is outside the calendar's {span}: "
                               "change the date or the calendar's years.", field="holidays")
    return first, last


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


def _clock_ns(text: str, what: str) -> int:
    try:
        return int(pd.Timedelta(f"{text}:00").value)
    except ValueError:
        raise InvalidInput(f"{what} must look like 09:00, not {text!r}.", field=what) from None


def _holiday_dates(explicit: tuple[str, ...], country: str | None, years: range) -> list[date]:
    days = {pd.Timestamp(d).date() for d in explicit}
    if country:
        try:
            days |= set(holiday_lib.country_holidays(country, years=list(years)).keys())
        except NotImplementedError:
            raise InvalidInput(f"No public holidays are known for country {country!r}.") from None
    return sorted(days)


@lru_cache(maxsize=64)
def _build(timezone: str, workdays: tuple[str, ...], start: str, end: str,
           explicit: tuple[str, ...], country: str | None, years: range) -> BusinessCalendar:
    opens, closes = _clock_ns(start, "day_start"), _clock_ns(end, "day_end")
    if closes <= opens:
        raise InvalidInput("The working day must end after it starts.")
    unknown = set(workdays) - set(WEEKDAYS)
    if unknown or not workdays:
        raise InvalidInput(f"Working days must be among {', '.join(WEEKDAYS)}.")
    days = pd.offsets.CustomBusinessDay(
        weekmask=" ".join(workdays), holidays=_holiday_dates(explicit, country, years))
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
    pos: np.ndarray, cal: BusinessCalendar, at_close: np.ndarray | bool,
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
    start: datetime | pd.Series, hours: Hours, calendar: dict[str, Any],
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
    start: datetime | pd.Series, days: int, calendar: dict[str, Any],
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
    start: pd.Series, end: pd.Series, calendar: dict[str, Any],
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
