"""The SLA's own editor and read-only view, plugged into the agreement component."""

from __future__ import annotations

import copy
import math
from datetime import date, datetime, time
from typing import Any
from zoneinfo import available_timezones

import holidays as holiday_lib
import pandas as pd
import streamlit as st

from leaddash.documents.sla import DEFAULT_WARNING_SHARE, WEEKDAYS, calendar_years
from leaddash.models import AgreementKind, Role
from leaddash.sla import (
    default_sla_content,
    summarize_sla,
    validate_sla,
)
from leaddash.ui.agreements.base import Content, Document, Edited, number_field
from leaddash.ui.text import person_role, plain

NO_COUNTRY = ""
CADENCES = ("weekly", "every two weeks", "monthly", "quarterly")
TIMEZONES = sorted(available_timezones())
COUNTRIES = [NO_COUNTRY, *sorted(c for c in holiday_lib.list_supported_countries() if len(c) == 2)]


def _options(choices: list[str] | tuple[str, ...], current: Any) -> list[str]:
    return list(choices) if current in choices or current is None else [*choices, current]


def _owner(label: str, current: str | None, key: str) -> str:
    options = _options([r.value for r in Role], current)
    return st.selectbox(
        label,
        options,
        index=options.index(current) if current else 0,
        format_func=person_role,
        key=key,
    )


def _whole(value: float | None) -> float | int | None:
    return int(value) if isinstance(value, float) and value.is_integer() else value


def _segment_targets(targets: dict[str, Any], key: str, edited: Edited) -> dict[str, Any]:
    frame = pd.DataFrame(
        {"segment": list(targets), "target": list(targets.values())}, columns=["segment", "target"]
    ).astype({"segment": object, "target": float})
    rows = st.data_editor(
        frame,
        key=key,
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "segment": st.column_config.TextColumn("Segment"),
            "target": st.column_config.NumberColumn("MQLs a month", min_value=0, step=1),
        },
    )
    edited.slot("mql_target_by_segment")
    result: dict[str, Any] = {}
    for row in rows.to_dict("records"):
        name = "" if row["segment"] is None else str(row["segment"]).strip()
        target = row["target"]
        if not name and (target is None or math.isnan(target)):
            continue
        if name in result:
            edited.problems["mql_target_by_segment"] = f"Segment {name} is listed twice."
        result[name] = None if target is None or math.isnan(target) else _whole(target)
    return result


def _heading(title: str, note: str) -> None:
    st.markdown(f"**{title}** · {note}")


def _edit_marketing(mkt: dict[str, Any], key: str, edited: Edited) -> dict[str, Any]:
    _heading("Marketing commits", "the volume and quality marketing delivers")
    mkt = copy.deepcopy(mkt)
    target, rate_column, owner = st.columns(3)
    with target:
        mkt["mql_target_per_month"] = number_field(
            "MQLs a month", mkt.get("mql_target_per_month"), key + "mql_target", min_value=0
        )
        edited.slot("mql_target_per_month")
    with rate_column:
        rate = number_field(
            "Validation-rate target (%)",
            float(mkt.get("validation_rate_target") or 0) * 100,
            key + "validation_rate",
            step=1.0,
            min_value=0.0,
            max_value=100.0,
            help="Share of MQLs that sales validates on the first call.",
        )
        mkt["validation_rate_target"] = round((rate or 0) / 100, 4)
        edited.slot("validation_rate_target")
    with owner:
        mkt["owner"] = _owner("Owner", mkt.get("owner"), key + "mkt_owner")
    st.caption("MQLs a month per segment (optional; leave the table empty for one target):")
    segments = _segment_targets(mkt.get("mql_target_by_segment") or {}, key + "segments", edited)
    if segments or "mql_target_by_segment" in mkt:
        mkt["mql_target_by_segment"] = segments
    return mkt


def _edit_sales(sales: dict[str, Any], key: str, edited: Edited) -> dict[str, Any]:
    _heading("Sales commits", "how fast and how thoroughly sales acts on every MQL")
    sales = copy.deepcopy(sales)
    left, mid, right = st.columns(3)
    with left:
        sales["first_touch_hours"] = _whole(
            number_field(
                "First touch within (business hours)",
                sales.get("first_touch_hours"),
                key + "first_touch",
                step=0.25,
                min_value=0.25,
            )
        )
        edited.slot("first_touch_hours")
        sales["reassigned_touch_hours"] = _whole(
            number_field(
                "After a reassignment, first touch within (business hours)",
                sales.get("reassigned_touch_hours") or sales.get("first_touch_hours"),
                key + "reassigned_touch",
                step=0.25,
                min_value=0.25,
                help="The new owner's window for an untouched lead, from the reassignment. "
                "The missed deadline stays the previous owner's.",
            )
        )
        edited.slot("reassigned_touch_hours")
    with mid:
        sales["decision_days"] = number_field(
            "Decision within (business days)",
            sales.get("decision_days"),
            key + "decision",
            min_value=0,
        )
        edited.slot("decision_days")
    with right:
        sales["min_attempts"] = number_field(
            "Attempts before “unable to reach”",
            sales.get("min_attempts"),
            key + "attempts",
            min_value=1,
        )
        edited.slot("min_attempts")
    reason, owner = st.columns([2, 1], vertical_alignment="bottom")
    sales["reason_required"] = reason.checkbox(
        "A reason on every rejection or disqualification",
        value=bool(sales.get("reason_required", True)),
        key=key + "reason_required",
    )
    with owner:
        sales["owner"] = _owner("Owner", sales.get("owner"), key + "sales_owner")
    _edit_alerts(sales, key, edited)
    return sales


def _edit_alerts(sales: dict[str, Any], key: str, edited: Edited) -> None:
    share, steps = st.columns([1, 2])
    with share:
        percent = number_field(
            "Warn when this much of a deadline is gone (%)",
            float(sales.get("warning_share") or DEFAULT_WARNING_SHARE) * 100,
            key + "warning_share",
            step=5.0,
            min_value=0.0,
            max_value=100.0,
            help="The owner is warned, and the lead shows as in warning, once this share "
            "of the time to its first-touch or decision deadline has gone.",
        )
        sales["warning_share"] = round((percent or 0) / 100, 4)
        edited.slot("warning_share")
    escalation = dict(sales.get("escalation") or {})
    with steps:
        escalation["after_breach_hours"] = _ladder(
            st.text_input(
                "Tell the manager again after (business hours past the breach)",
                ", ".join(f"{float(h):g}" for h in escalation.get("after_breach_hours") or []),
                key=key + "escalation",
                help="Comma-separated, like 4, 24. Leave empty for no escalation.",
            ),
            edited,
        )
        edited.slot("escalation")
    escalation["return_to_team_queue"] = st.checkbox(
        "At the last step, put a still untouched lead back in its team's queue",
        value=bool(escalation.get("return_to_team_queue", False)),
        key=key + "return_to_team",
    )
    sales["escalation"] = escalation


def _ladder(text: str, edited: Edited) -> list[float | int | None]:
    steps: list[float | int | None] = []
    for part in (p.strip() for p in text.split(",")):
        if not part:
            continue
        try:
            steps.append(_whole(float(part)))
        except ValueError:
            edited.problems["escalation"] = (
                f"The escalation steps are numbers of business hours, like 4, 24; {part!r} "
                "is not a number."
            )
    return steps


def _clock(text: str | None, fallback: time) -> time:
    try:
        return time.fromisoformat(text) if text else fallback
    except ValueError:
        return fallback


def _day(value: Any) -> str | None:
    if value is None or (isinstance(value, float) and math.isnan(value)) or value is pd.NaT:
        return None
    if isinstance(value, (datetime, pd.Timestamp)):
        return value.date().isoformat()
    return value.isoformat() if isinstance(value, date) else str(value)


def _holidays(calendar: dict[str, Any], key: str, edited: Edited) -> list[str]:
    days = [
        date.fromisoformat(d) if _valid_day(d) else None for d in calendar.get("holidays") or []
    ]
    rows = st.data_editor(
        pd.DataFrame({"day": days}, columns=["day"]).astype(object),
        key=key,
        num_rows="dynamic",
        hide_index=True,
        column_config={"day": st.column_config.DateColumn("Company holidays", format="YYYY-MM-DD")},
    )
    edited.slot("holidays")
    return [d for d in (_day(v) for v in rows["day"]) if d]


def _valid_day(text: Any) -> bool:
    try:
        date.fromisoformat(str(text))
    except ValueError:
        return False
    return True


def _calendar_hours(cal: dict[str, Any], key: str, edited: Edited) -> None:
    zone = cal.get("timezone") or "UTC"
    zones = _options(TIMEZONES, zone)
    where, opens, closes = st.columns(3)
    with where:
        cal["timezone"] = st.selectbox(
            "Time zone", zones, index=zones.index(zone), key=key + "timezone"
        )
        edited.slot("timezone")
    start = opens.time_input("Opens", _clock(cal.get("day_start"), time(9)), key=key + "opens")
    with closes:
        end = st.time_input("Closes", _clock(cal.get("day_end"), time(17)), key=key + "closes")
        edited.slot("day_end")
    cal["day_start"], cal["day_end"] = f"{start:%H:%M}", f"{end:%H:%M}"
    picked = st.multiselect(
        "Working days",
        WEEKDAYS,
        default=[d for d in cal.get("workdays") or [] if d in WEEKDAYS],
        key=key + "workdays",
    )
    cal["workdays"] = [d for d in WEEKDAYS if d in picked]
    edited.slot("workdays")


def _calendar_days(cal: dict[str, Any], key: str, edited: Edited) -> None:
    first, last = calendar_years(cal)
    country = cal.get("holiday_country") or NO_COUNTRY
    countries = _options(COUNTRIES, country)
    left, mid, right = st.columns(3)
    with left:
        first_year = number_field("Calendar from year", first, key + "first_year", min_value=2000)
    with mid:
        last_year = number_field("…to year", last, key + "last_year", min_value=2000)
        edited.slot("years")
    with right:
        picked = st.selectbox(
            "Closed on the public holidays of",
            countries,
            index=countries.index(country),
            key=key + "country",
            format_func=lambda c: c or "(no country)",
        )
        edited.slot("holiday_country")
    holidays = _holidays(cal, key + "holidays", edited)
    years = [first_year, last_year]
    # Years stay implicit (the span of the holidays) until someone edits either.
    if "years" in cal or years != [first, last] or holidays != cal.get("holidays", []):
        cal["years"] = years
    cal["holidays"] = holidays
    if picked or "holiday_country" in cal:
        cal["holiday_country"] = picked or None


def edit_sla(content: Content, key: str) -> Edited:
    """Draw the SLA's editing widgets (inside the caller's form); return the terms."""
    edited = Edited(copy.deepcopy(content))
    edited.content["marketing"] = _edit_marketing(content.get("marketing") or {}, key, edited)
    edited.content["sales"] = _edit_sales(content.get("sales") or {}, key, edited)
    _heading("Business calendar", "the hours every deadline is counted in")
    calendar = edited.content.setdefault("calendar", {})
    _calendar_hours(calendar, key, edited)
    _calendar_days(calendar, key, edited)
    cadence = content.get("review_cadence") or "monthly"
    cadences = _options(CADENCES, cadence)
    edited.content["review_cadence"] = st.selectbox(
        "Review cadence", cadences, index=cadences.index(cadence), key=key + "cadence"
    )
    return edited


def _lines(items: list[tuple[str, Any]]) -> None:
    st.markdown("\n".join(f"- {plain(label)}: **{plain(str(value))}**" for label, value in items))


def _ladder_text(escalation: dict[str, Any]) -> str:
    steps = escalation.get("after_breach_hours") or []
    if not steps:
        return "never (no escalation)"
    back = "; then back to the team queue" if escalation.get("return_to_team_queue") else ""
    hours = ", ".join(f"{float(h):g}" for h in steps)
    return f"{hours} business hours after a breach{back}"


def show_sla(content: Content) -> None:
    """Draw the SLA's terms read-only."""
    mkt, sales = content.get("marketing") or {}, content.get("sales") or {}
    cal = content.get("calendar") or {}
    share = sales.get("warning_share") or DEFAULT_WARNING_SHARE
    _heading("Marketing commits", "the volume and quality marketing delivers")
    segments = mkt.get("mql_target_by_segment") or {}
    _lines(
        [
            ("MQLs a month", mkt.get("mql_target_per_month")),
            *[(f"… of which {name}", target) for name, target in segments.items()],
            ("Validation-rate target", f"{float(mkt.get('validation_rate_target') or 0):.0%}"),
            ("Owner", person_role(str(mkt.get("owner") or "—"))),
        ]
    )
    _heading("Sales commits", "how fast and how thoroughly sales acts on every MQL")
    reassigned = sales.get("reassigned_touch_hours") or sales.get("first_touch_hours")
    _lines(
        [
            ("First touch within", f"{sales.get('first_touch_hours')} business hours"),
            ("… after a reassignment", f"{reassigned} business hours"),
            ("Decision within", f"{sales.get('decision_days')} business days"),
            ("Attempts before “unable to reach”", sales.get("min_attempts")),
            ("Reason on every rejection", "yes" if sales.get("reason_required") else "no"),
            ("Warning when gone", f"{float(share):.0%} of a deadline's window"),
            ("Manager told again", _ladder_text(sales.get("escalation") or {})),
            ("Owner", person_role(str(sales.get("owner") or "—"))),
        ]
    )
    _heading("Business calendar", "the hours every deadline is counted in")
    first, last = calendar_years(cal)
    hours = (
        f"{', '.join(cal.get('workdays') or [])} {cal.get('day_start')}–"
        f"{cal.get('day_end')} {cal.get('timezone')}"
    )
    _lines(
        [
            ("Hours", hours),
            ("Years", f"{first}–{last}" if first != last else first),
            ("Company holidays", ", ".join(cal.get("holidays") or []) or "none"),
            ("Public holidays of", cal.get("holiday_country") or "no country"),
            ("Review cadence", content.get("review_cadence") or "monthly"),
        ]
    )


SLA = Document(
    kind=AgreementKind.SLA,
    name="SLA",
    validate=validate_sla,
    summarize=summarize_sla,
    default_content=default_sla_content,
    edit=edit_sla,
    show=show_sla,
)
