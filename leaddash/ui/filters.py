"""The filter bar every dashboard shares: date range, source, campaign, segment, team, rep and
definition version. Choices live in st.session_state (UI state only), one set per page, and
in the page's address (leaddash.ui.links): ?from=2026-01-01&to=2026-03-31&rep=12&source=Webinar
— a reload keeps them and a copied link opens the same view. Teams, reps and versions go by
id, so a link outlives a renamed team."""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from leaddash.analytics.filters import Filters
from leaddash.analytics.options import FilterOptions, filter_options
from leaddash.core.actor import Actor
from leaddash.models import Role, utcnow
from leaddash.ui.links import Choice, DateRange, Linked, follow_link, keep_in_link, show_left_out
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

    # The link leaves None in session state, which the box shows as its placeholder.
    return st.selectbox(label, options, format_func=shown, key=key, placeholder=ANY)


def _dates(key: str) -> tuple[date | None, date | None]:
    # The range comes from session state (the link's or the default), so no value is given
    # here: st.date_input then types its answer as one date.
    picked: date | tuple[date, ...] | None = st.date_input(
        "Dates",
        key=f"{key}_dates",
        help="Leads are counted in the month they entered the stage.",
    )
    if isinstance(picked, tuple) and len(picked) == 2:
        return picked[0], picked[1]
    st.caption("Pick an end date too; until then the range is open-ended.")
    return (picked[0] if isinstance(picked, tuple) and picked else None), None


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


def _ids(named: tuple[tuple[int, str], ...]) -> tuple[int, ...]:
    return tuple(i for i, _ in named)


def linked_filters(actor: Actor, options: FilterOptions, key: str) -> list[Linked]:
    """Return how each filter of the page `key` is kept in the address."""
    if actor.role == Role.SALES_MANAGER:  # their own team, whatever a link says
        team = Choice("team", f"{key}_team_fixed", "team", (actor.team_id,), actor.team_id)
    else:
        team = Choice("team", f"{key}_team", "team", _ids(options.teams))
    return [
        DateRange(f"{key}_dates", default_range()),
        team,
        Choice("rep", f"{key}_rep", "rep", _ids(options.reps)),
        Choice("version", f"{key}_version", "definition version", _ids(options.versions)),
        Choice("source", f"{key}_source", "source", options.sources),
        Choice("campaign", f"{key}_campaign", "campaign", options.campaigns),
        Choice("segment", f"{key}_segment", "segment", options.segments),
    ]


def filter_bar(actor: Actor, key: str) -> Filters:
    """Draw the filters (in an expander-free row of columns), set from the page's address
    when it holds new ones, keep them there, and return what is chosen."""
    options: FilterOptions = read_cached(filter_options, actor=actor)  # a write refreshes them
    linked = linked_filters(actor, options, key)
    show_left_out(follow_link(key, linked))
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
    keep_in_link(key, linked)
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
