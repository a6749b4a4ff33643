"""The terms of an SLA version: marketing's and sales' commitments and the business
calendar they are measured in."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from itertools import pairwise
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_lib
import pandas as pd
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PlainValidator,
    ValidationInfo,
    field_validator,
    model_validator,
)

from leaddash.documents.base import is_number, refuse
from leaddash.errors import InvalidInput

WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _at_least(label: str, minimum: float = 0) -> Callable[[Any, ValidationInfo], Any]:
    """Return a check refusing anything but a number of at least `minimum`."""

    def check(value: Any, info: ValidationInfo) -> Any:
        if not isinstance(value, (int, float)) or isinstance(value, bool) or value < minimum:
            raise refuse(f"{label} must be a number of at least {minimum}.", info.field_name)
        return value

    return check


MonthlyTarget = Annotated[float, PlainValidator(_at_least("The monthly MQL target"))]
RateTarget = Annotated[float, PlainValidator(_at_least("The validation-rate target"))]
TouchHours = Annotated[float, PlainValidator(_at_least("The first-touch time", 0.25))]
_reassigned = _at_least("The first-touch time after a reassignment", 0.25)
ReassignedHours = Annotated[
    float | None,
    PlainValidator(lambda value, info: None if value is None else _reassigned(value, info)),
]
DecisionDays = Annotated[float, PlainValidator(_at_least("The decision time"))]
Attempts = Annotated[float, PlainValidator(_at_least("The minimum number of attempts", 1))]


def _required() -> Any:
    """Return a field default that is still checked, so a missing term gets its message."""
    return Field(default=None, validate_default=True)


class MarketingTerms(BaseModel):
    """What marketing commits to: MQL volume (overall, per segment) and quality."""

    model_config = ConfigDict(extra="allow")
    mql_target_per_month: MonthlyTarget = _required()
    validation_rate_target: RateTarget = _required()
    mql_target_by_segment: dict[Any, Any] | None = None

    @field_validator("validation_rate_target")
    @classmethod
    def _share(cls, value: float) -> float:
        if value > 1:
            raise refuse(
                "The validation-rate target is a share between 0 and 1 (0% to 100%).",
                "validation_rate_target",
            )
        return value

    @field_validator("mql_target_by_segment", mode="before")
    @classmethod
    def _none(cls, targets: Any) -> Any:
        return targets or None

    @field_validator("mql_target_by_segment")
    @classmethod
    def _segments(cls, targets: dict[Any, Any] | None) -> dict[Any, Any] | None:
        for segment, target in (targets or {}).items():
            if not str(segment).strip():
                raise refuse(
                    "Every segment target needs the segment's name.", "mql_target_by_segment"
                )
            if not isinstance(target, (int, float)) or isinstance(target, bool) or target < 0:
                raise refuse(
                    f"The MQL target of segment {segment} must be a number of at least 0.",
                    "mql_target_by_segment",
                )
        return targets


DEFAULT_WARNING_SHARE = 0.75


class Escalation(BaseModel):
    """When the manager hears again of a lead still untouched after its breach: business
    hours after the breach, one step each; at the last step the lead may go back to its
    team's queue. An SLA without it has no ladder."""

    model_config = ConfigDict(extra="allow")
    after_breach_hours: list[float] = Field(default_factory=list)
    return_to_team_queue: bool = False

    @field_validator("after_breach_hours", mode="before")
    @classmethod
    def _steps(cls, value: Any) -> Any:
        steps = [] if value is None else value
        problem = (
            not isinstance(steps, (list, tuple))
            or any(not is_number(h) or h <= 0 for h in steps)
            or any(b <= a for a, b in pairwise(steps))
        )
        if problem:
            raise refuse(
                "The escalation steps are business hours after the breach, each more than "
                f"0 and later than the one before, like [4, 24]; not {value!r}.",
                "escalation",
            )
        return list(steps)

    @field_validator("return_to_team_queue", mode="before")
    @classmethod
    def _flag(cls, value: Any) -> Any:
        if not isinstance(value, bool):
            raise refuse(
                "Moving an untouched lead back to the team queue is yes or no "
                f"(true or false), not {value!r}.",
                "escalation",
            )
        return value


class SalesTerms(BaseModel):
    """What sales commits to: first touch, decision time and attempts before recycling;
    when a deadline warns (`warning_share` of its window gone) and how a breach escalates."""

    model_config = ConfigDict(extra="allow")
    first_touch_hours: TouchHours = _required()
    # The new owner's first-touch window after an untouched lead is reassigned (None:
    # first_touch_hours), counted from the reassignment.
    reassigned_touch_hours: ReassignedHours = None
    decision_days: DecisionDays = _required()
    min_attempts: Attempts = _required()
    warning_share: float = DEFAULT_WARNING_SHARE
    escalation: Escalation = Field(default_factory=Escalation)

    @field_validator("warning_share", mode="before")
    @classmethod
    def _warning_share(cls, value: Any) -> Any:
        if value is None:
            return DEFAULT_WARNING_SHARE
        if not is_number(value) or not 0 < value < 1:
            raise refuse(
                "The warning share is the part of a deadline's window after which the lead "
                f"is in warning: a number between 0 and 1 (0.75 for 75%), not {value!r}.",
                "warning_share",
            )
        return value

    @field_validator("escalation", mode="before")
    @classmethod
    def _escalation(cls, value: Any) -> Any:
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise refuse(
                "The escalation is a ladder of business hours after the breach, like "
                '{"after_breach_hours": [4, 24], "return_to_team_queue": false}.',
                "escalation",
            )
        return value


def clock_ns(text: Any, what: str) -> int:
    """Return a clock time like 09:00 as nanoseconds after midnight, or raise InvalidInput
    naming `what` (day_start or day_end)."""
    try:
        return int(pd.Timedelta(f"{text}:00").value)
    except ValueError:
        raise InvalidInput(f"{what} must look like 09:00, not {text!r}.", field=what) from None


def _as_date(text: Any) -> date | None:
    try:
        return date.fromisoformat(str(text))
    except ValueError:
        return None


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


class Calendar(BaseModel):
    """The business calendar SLA times are measured in; empty terms take their defaults
    (UTC, Monday to Friday, 09:00–17:00)."""

    model_config = ConfigDict(extra="allow")
    timezone: Any = None
    workdays: list[str] | None = None
    day_start: Any = Field(default=None, validate_default=True)
    day_end: Any = Field(default=None, validate_default=True)
    holidays: Any = None
    years: Any = None
    holiday_country: Any = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: Any) -> Any:
        try:
            ZoneInfo(value or "UTC")
        except (ZoneInfoNotFoundError, ValueError, TypeError):
            raise refuse(f"Unknown time zone {value!r}.", "timezone") from None
        return value

    @field_validator("workdays", mode="before")
    @classmethod
    def _weekdays(cls, value: Any) -> Any:
        if value is not None and not value:
            raise refuse("Pick at least one working day.", "workdays")
        if not isinstance(value or (), (list, tuple)) or any(
            day not in WEEKDAYS for day in value or ()
        ):
            raise refuse(f"Working days must be among {', '.join(WEEKDAYS)}.", "workdays")
        return value

    @field_validator("day_start", "day_end")
    @classmethod
    def _clock(cls, value: Any, info: ValidationInfo) -> Any:
        try:
            clock_ns(value or "09:00", str(info.field_name))
        except InvalidInput as exc:
            raise refuse(exc.message, exc.field) from None
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Calendar:
        if str(self.day_end or "17:00") <= str(self.day_start or "09:00"):
            raise refuse("The working day must end after it starts.", "day_end")
        _check_holidays(self.model_dump())
        country = self.holiday_country
        if country and (
            not isinstance(country, str) or country not in holiday_lib.list_supported_countries()
        ):
            raise refuse(
                f"No public holidays are known for country {country!r}.", "holiday_country"
            )
        return self


def _check_holidays(calendar: dict[str, Any]) -> None:
    try:
        first, last = calendar_years(calendar)
    except (TypeError, ValueError):
        raise refuse(
            "The calendar's years must be two years, like [2026, 2027].", "years"
        ) from None
    if first > last:
        raise refuse(f"The calendar's first year ({first}) comes after its last ({last}).", "years")
    span = f"year {first}" if first == last else f"years {first}–{last}"
    for text in calendar.get("holidays") or []:
        day = _as_date(text)
        if day is None:
            raise refuse(f"Holiday {text!r} is not a date like {first}-12-24.", "holidays")
        if not first <= day.year <= last:
            raise refuse(
                f"Holiday {day.isoformat()} is outside the calendar's {span}: "
                "change the date or the calendar's years.",
                "holidays",
            )


class SlaTerms(BaseModel):
    """The terms of an SLA version (the `content` it stores)."""

    model_config = ConfigDict(extra="allow")
    marketing: MarketingTerms
    sales: SalesTerms
    calendar: Calendar

    @model_validator(mode="before")
    @classmethod
    def _sections(cls, content: Any) -> Any:
        if not isinstance(content, dict):
            return content
        return {**content, **{k: content.get(k) or {} for k in ("marketing", "sales", "calendar")}}
