"""Business-calendar deadlines: weekends, holidays, off-hours starts, DST, other zones."""

from __future__ import annotations

from datetime import UTC, datetime

import numpy as np
import pandas as pd
import pytest

from leaddash.errors import InvalidInput
from leaddash.sla import (
    business_calendar,
    business_days_deadline,
    business_deadline,
    business_hours_between,
    default_sla_content,
    summarize_sla,
    validate_sla,
)

NEW_YORK = default_sla_content()["calendar"]
BERLIN = {
    "timezone": "Europe/Berlin",
    "workdays": ["Mon", "Tue", "Wed", "Thu", "Fri"],
    "day_start": "08:00",
    "day_end": "16:00",
    "holidays": [],
    "holiday_country": "DE",
}


def local(text: str, zone: str = "America/New_York") -> datetime:
    """Return the aware UTC datetime of a wall-clock time in `zone`."""
    return pd.Timestamp(text, tz=zone).tz_convert("UTC").to_pydatetime()


def utc(text: str) -> datetime:
    return pd.Timestamp(text, tz="UTC").to_pydatetime()


@pytest.mark.parametrize(
    ("start", "hours", "due"),
    [
        ("2026-03-03 10:00", 4, "2026-03-03 14:00"),  # Tuesday, inside the day
        ("2026-03-03 13:00", 4, "2026-03-03 17:00"),  # ends exactly at closing: same day
        ("2026-03-03 15:00", 4, "2026-03-04 11:00"),  # runs over into Wednesday
        ("2026-03-03 10:30", 1.5, "2026-03-03 12:00"),  # fractional hours
        ("2026-03-03 10:00", 16, "2026-03-05 10:00"),  # two whole working days
    ],
)
def test_business_deadline_counts_working_hours_only(start, hours, due):
    assert business_deadline(local(start), hours, NEW_YORK) == local(due)


@pytest.mark.parametrize(
    ("start", "due"),
    [
        ("2026-03-03 06:00", "2026-03-03 13:00"),  # before opening: counts from 09:00
        ("2026-03-03 20:00", "2026-03-04 13:00"),  # after closing: counts from next morning
        ("2026-03-07 11:00", "2026-03-09 13:00"),  # Saturday: counts from Monday
    ],
)
def test_start_outside_working_hours_counts_from_next_opening(start, due):
    assert business_deadline(local(start), 4, NEW_YORK) == local(due)


def test_weekend_is_skipped():
    friday_3pm = local("2026-02-20 15:00")
    assert business_deadline(friday_3pm, 4, NEW_YORK) == local("2026-02-23 11:00")


def test_explicit_and_country_holidays_are_skipped():
    # 2025-12-31 is listed in the SLA, 2026-01-01 is a US public holiday.
    assert business_deadline(local("2025-12-30 15:00"), 4, NEW_YORK) == local("2026-01-02 11:00")
    # 2025-07-04 (Independence Day) is a Friday.
    assert business_deadline(local("2025-07-03 16:00"), 4, NEW_YORK) == local("2025-07-07 12:00")


def test_spring_forward_keeps_the_working_day_in_local_time():
    # DST starts Sunday 2026-03-08: Friday is UTC-5, Monday UTC-4.
    due = business_deadline(utc("2026-03-06 20:00"), 4, NEW_YORK)  # Fri 15:00 EST
    assert due == utc("2026-03-09 15:00")  # Mon 11:00 EDT


def test_fall_back_keeps_the_working_day_in_local_time():
    # DST ends Sunday 2025-11-02: Friday is UTC-4, Monday UTC-5.
    due = business_deadline(utc("2025-10-31 20:00"), 4, NEW_YORK)  # Fri 16:00 EDT
    assert due == utc("2025-11-03 17:00")  # Mon 12:00 EST


def test_berlin_calendar_uses_its_zone_dst_and_german_holidays():
    # DST starts Sunday 2026-03-29 in Europe: Fri 15:00 CET → Mon 09:00 CEST.
    assert business_deadline(utc("2026-03-27 14:00"), 2, BERLIN) == utc("2026-03-30 07:00")
    # 2025-10-03 (German Unity Day) is a Friday.
    due = business_deadline(local("2025-10-02 15:00", "Europe/Berlin"), 2, BERLIN)
    assert due == local("2025-10-06 09:00", "Europe/Berlin")


def test_deadline_is_aware_utc():
    due = business_deadline(local("2026-03-03 10:00"), 4, NEW_YORK)
    assert due.utcoffset() is not None and due.utcoffset().total_seconds() == 0


@pytest.mark.parametrize(
    ("start", "days", "due"),
    [
        ("2026-03-02 10:00", 5, "2026-03-09 17:00"),  # Monday → closing of next Monday
        ("2026-03-02 20:00", 1, "2026-03-04 17:00"),  # after hours: counts from Tuesday
        ("2026-03-07 10:00", 0, "2026-03-09 17:00"),  # Saturday, 0 days: end of Monday
        ("2025-12-30 10:00", 2, "2026-01-05 17:00"),  # skips 31 Dec, 1 Jan and the weekend
    ],
)
def test_business_days_deadline_is_closing_time_of_the_nth_business_day(start, days, due):
    assert business_days_deadline(local(start), days, NEW_YORK) == local(due)


def test_series_keeps_index_and_missing_values():
    starts = pd.Series(
        [local("2026-03-03 10:00"), pd.NaT, local("2026-03-06 15:00")], index=[11, 12, 13]
    )
    due = business_deadline(starts, 4, NEW_YORK)
    assert list(due.index) == [11, 12, 13]
    assert due[11] == pd.Timestamp(local("2026-03-03 14:00"))
    assert pd.isna(due[12])
    assert due[13] == pd.Timestamp(local("2026-03-09 11:00"))
    assert str(due.dt.tz) == "UTC"


def test_series_may_take_different_hours_per_row():
    starts = pd.Series([local("2026-03-03 10:00")] * 3)
    due = business_deadline(starts, [0.5, 7, 9], NEW_YORK)
    assert due.tolist() == [
        pd.Timestamp(local(t)) for t in ("2026-03-03 10:30", "2026-03-03 17:00", "2026-03-04 11:00")
    ]


def _random_starts(count: int, seed: int = 5) -> pd.Series:
    rng = np.random.default_rng(seed)
    seconds = rng.integers(0, 2 * 365 * 86_400, count)
    return pd.Series(pd.Timestamp("2025-01-01", tz="UTC") + pd.to_timedelta(seconds, unit="s"))


@pytest.mark.parametrize("hours", [1, 4, 8, 13])
def test_series_agrees_with_pandas_custom_business_hour(hours):
    starts = _random_starts(400)
    days = business_calendar(NEW_YORK, range(2024, 2028)).days
    offset = pd.offsets.CustomBusinessHour(
        n=hours, start="09:00", end="17:00", weekmask="Mon Tue Wed Thu Fri", holidays=days.holidays
    )
    wall = starts.dt.tz_convert("America/New_York").dt.tz_localize(None)
    expected = wall.map(lambda t: t + offset).dt.tz_localize("America/New_York")
    got = business_deadline(starts, hours, NEW_YORK)
    # pandas puts a deadline at closing time on the next opening; both are the same moment
    # of business time, so compare business hours between them.
    assert (business_hours_between(got, expected.dt.tz_convert("UTC"), NEW_YORK) == 0).all()


def test_series_of_twenty_thousand_matches_scalars():
    # How fast a long series goes is the benchmark's to judge (`deadline_series` in
    # leaddash.bench), not a unit test's: a busy machine would fail a wall-clock limit here.
    starts = _random_starts(20_000)
    due = business_deadline(starts, 4, NEW_YORK)
    for i in (0, 777, 19_999):
        assert due.iloc[i] == business_deadline(starts.iloc[i].to_pydatetime(), 4, NEW_YORK)


def test_business_hours_between_counts_only_working_time():
    start = pd.Series([local("2026-02-20 15:00"), local("2026-03-03 10:00")])
    end = pd.Series([local("2026-02-23 11:00"), pd.NaT])
    hours = business_hours_between(start, end, NEW_YORK)
    assert hours.iloc[0] == 4.0
    assert np.isnan(hours.iloc[1])


def test_invalid_calendar_is_refused_with_a_message():
    with pytest.raises(InvalidInput, match="end after it starts"):
        business_deadline(
            datetime(2026, 3, 3, tzinfo=UTC),
            4,
            {**NEW_YORK, "day_start": "17:00", "day_end": "09:00"},
        )


def test_default_sla_is_valid_and_summarised():
    content = default_sla_content()
    assert validate_sla(content) is content
    assert summarize_sla(content).startswith(
        "Marketing delivers 900 MQLs a month with a validation rate of at least 60%. "
        "Sales touches every MQL within 4 business hours"
    )


@pytest.mark.parametrize(
    ("section", "key", "value", "message"),
    [
        ("marketing", "validation_rate_target", 60, "share between 0 and 1"),
        ("sales", "first_touch_hours", 0, "first-touch time"),
        ("sales", "min_attempts", 0, "minimum number of attempts"),
        ("calendar", "timezone", "Mars/Olympus", "Unknown time zone"),
        ("calendar", "workdays", ["Mon", "Funday"], "Working days must be among"),
        ("calendar", "holiday_country", "XX", "No public holidays are known"),
    ],
)
def test_invalid_sla_is_refused_naming_the_problem(section, key, value, message):
    content = default_sla_content()
    content[section][key] = value
    with pytest.raises(InvalidInput, match=message):
        validate_sla(content)
