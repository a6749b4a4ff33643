"""Checks on agreement terms that name the field at fault, so the editor can show each
message next to that field. They wrap the domain validators and add what an editor needs:
every rule compares with something, the reason list is not empty, holidays fall inside the
calendar's years. Nothing here draws; the editors pass these as `validate` to the service.
"""

from __future__ import annotations

from datetime import date
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays as holiday_lib

from leaddash.definitions import CUSTOM_PREFIX, validate_definition
from leaddash.errors import InvalidInput
from leaddash.sla import WEEKDAYS, validate_sla

DEFINITION_SECTIONS = ("threshold", "fit_rules", "disqualifiers", "scoring", "reasons")
VALUE_FREE_OPERATORS = ("empty", "not_empty")
COMPARISONS = {"gte": "≥", "lte": "≤"}


def check_definition(content: dict[str, Any]) -> dict[str, Any]:
    """Return `content` when valid; else raise InvalidInput whose `field` names the section."""
    for section in ("fit_rules", "disqualifiers"):
        for rule in content.get(section) or []:
            _check_rule_shape(rule, section)
    try:
        validate_definition(content)
    except InvalidInput as exc:
        raise InvalidInput(exc.message, field=exc.field or _failing_section(content)) from None
    if not content.get("reasons"):
        raise InvalidInput("Keep at least one rejection or disqualification reason: reps give "
                           "one for every lead they turn down.", field="reasons")
    return content


def _check_rule_shape(rule: dict[str, Any], section: str) -> None:
    rule_id = rule.get("id") or "?"
    if str(rule.get("field") or "") == CUSTOM_PREFIX:
        raise InvalidInput(f"Rule {rule_id}: name the custom attribute it checks, "
                           "e.g. customer.", field=section)
    op, value = rule.get("op"), rule.get("value")
    if op not in VALUE_FREE_OPERATORS and value in (None, "", []):
        raise InvalidInput(f"Rule {rule_id}: give the value to compare with.", field=section)
    if op in COMPARISONS and not _is_number(value):
        raise InvalidInput(f"Rule {rule_id}: {COMPARISONS[op]} needs a number, not {value!r}.",
                           field=section)
    if op == "between" and not (isinstance(value, list) and len(value) == 2
                                and all(_is_number(v) for v in value)):
        raise InvalidInput(f"Rule {rule_id}: between needs two numbers, low and high, "
                           "e.g. 50, 200.", field=section)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _failing_section(content: dict[str, Any]) -> str | None:
    """Return the first section whose addition makes the definition invalid."""
    partial: dict[str, Any] = {}
    for section in DEFINITION_SECTIONS:
        if section in content:
            partial[section] = content[section]
        try:
            validate_definition(partial)
        except InvalidInput:
            return section
    return None


def check_sla(content: dict[str, Any]) -> dict[str, Any]:
    """Return `content` when valid; else raise InvalidInput whose `field` names the term."""
    marketing = content.get("marketing") or {}
    rate = marketing.get("validation_rate_target")
    if isinstance(rate, (int, float)) and not 0 <= rate <= 1:
        raise InvalidInput("The validation-rate target is a share between 0% and 100%.",
                           field="validation_rate_target")
    _check_segments(marketing.get("mql_target_by_segment") or {})
    _check_calendar(content.get("calendar") or {})
    return validate_sla(content)


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
    this_year = (today or date.today()).year
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
    workdays = calendar.get("workdays") or []
    if not workdays or set(workdays) - set(WEEKDAYS):
        raise InvalidInput("Pick at least one working day.", field="workdays")
    if str(calendar.get("day_end") or "") <= str(calendar.get("day_start") or ""):
        raise InvalidInput("The working day must end after it starts.", field="day_end")
    _check_holidays(calendar)
    country = calendar.get("holiday_country")
    if country and country not in holiday_lib.list_supported_countries():
        raise InvalidInput(f"No public holidays are known for country {country!r}.",
                           field="holiday_country")


def _check_holidays(calendar: dict[str, Any]) -> None:
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
