"""The filter bar every dashboard shares: date range, source, campaign, segment, team, rep and
definition version. Choices live in st.session_state (UI state only), one set per page."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from leaddash.analytics.filters import Filters
from leaddash.analytics.options import FilterOptions, filter_options
from leaddash.core.actor import Actor
from leaddash.models import Role, utcnow
from leaddash.ui.seam import read_cached

ANY = "Any"
DEFAULT_MONTHS = 6


def default_range(today: date | None = None, months: int = DEFAULT_MONTHS) -> tuple[date, date]:
    """Return the first day of the month `months - 1` months back, and today."""
    today = today or utcnow().date()
    month_index = today.year * 12 + today.month - 1 - (months - 1)
    return date(month_index // 12, month_index % 12 + 1, 1), today


def _pick(label: str, values: tuple, key: str, names: dict | None = None) -> Any:
    options = [None, *values]

    def shown(value: Any) -> str:
        return ANY if value is None else (names or {}).get(value, str(value))

    return st.selectbox(label, options, format_func=shown, key=key)


def _dates(key: str) -> tuple[date | None, date | None]:
    picked = st.date_input(
        "Dates",
        value=default_range(),
        key=f"{key}_dates",
        help="Leads are counted in the month they entered the stage.",
    )
    if isinstance(picked, tuple) and len(picked) == 2:
        return picked[0], picked[1]
    st.caption("Pick an end date too; until then the range is open-ended.")
    return (picked[0] if picked else None), None


def _team(actor: Actor, options: FilterOptions, key: str) -> int | None:
    teams = dict(options.teams)
    if actor.role == Role.SALES_MANAGER:
        st.selectbox(
            "Team",
            [actor.team_id],
            format_func=lambda t: teams.get(t, "Your team"),
            disabled=True,
            key=f"{key}_team_fixed",
            help="A sales manager sees their own team.",
        )
        return actor.team_id
    return _pick("Team", tuple(teams), f"{key}_team", teams)


def filter_bar(actor: Actor, key: str) -> Filters:
    """Draw the filters (in an expander-free row of columns) and return what is chosen."""
    options: FilterOptions = read_cached(filter_options, actor=actor)  # a write refreshes them
    # The date range gets more room: at a quarter of the row its end date was cut off.
    first = st.columns([4, 3, 3, 3])
    with first[0]:
        start, end = _dates(key)
    with first[1]:
        team_id = _team(actor, options, key)
    with first[2]:
        reps = dict(options.reps)
        owner_id = _pick("Rep", tuple(reps), f"{key}_rep", reps)
    with first[3]:
        versions = dict(options.versions)
        version_id = _pick("Definition version", tuple(versions), f"{key}_version", versions)
    second = st.columns(3)
    with second[0]:
        source = _pick("Source", options.sources, f"{key}_source")
    with second[1]:
        campaign = _pick("Campaign", options.campaigns, f"{key}_campaign")
    with second[2]:
        segment = _pick("Segment", options.segments, f"{key}_segment")
    return Filters(
        start=start,
        end=end,
        source=source,
        campaign=campaign,
        segment=segment,
        team_id=team_id,
        owner_id=owner_id,
        definition_version_id=version_id,
    )
