"""Dashboard filters live in the page's address: a link (or a reload, which is a new session
on the same address) opens the view it names, a choice made on the page goes into the
address, and a value the page cannot use is left out with a note, never an error."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from leaddash.analytics.filters import Filters
from leaddash.analytics.funnel import waterfall
from leaddash.analytics.options import filter_options
from leaddash.auth import CLI_ACTOR, find_active_actor
from leaddash.db import read_session
from leaddash.ui.filters import default_range
from tests.apptest import app_as, texts
from tests.conftest import make_user

FUNNEL = "pages/funnel.py"
DASHBOARDS = [
    "pages/funnel.py",
    "pages/feedback.py",
    "pages/calibration.py",
    "pages/sla_compliance.py",
]


def opened_with(username: str, page: str, link: dict[str, str]):
    """Return the run of `page` for `username` in a new session whose address holds `link`."""
    at = app_as(username)
    at.query_params.update(link)
    at.switch_page(page)
    return at.run()


def box(at, label: str):
    return next(s for s in at.selectbox if s.label == label)


def ids(engine) -> dict[str, int]:
    """Return the ids of the test users' team (East) and rep."""
    with read_session(engine) as session:
        rep = find_active_actor(session, "rep")
    assert rep.id is not None and rep.team_id is not None
    return {"rep": rep.id, "team": rep.team_id}


def test_a_link_opens_the_funnel_with_its_filters_and_their_figures(demo):
    start, end = default_range()
    since = (start + timedelta(days=40)).replace(day=1)
    with read_session(demo) as session:
        options = filter_options(session, actor=CLI_ACTOR)
    rep_id, source = options.reps[0][0], options.sources[0]
    link = {"from": since.isoformat(), "to": end.isoformat(), "rep": str(rep_id), "source": source}

    at = opened_with("sales_leader", FUNNEL, link)

    assert not at.exception, at.exception
    assert at.date_input[0].value == (since, end)
    assert box(at, "Rep").value == rep_id and box(at, "Source").value == source
    assert box(at, "Team").value is None  # not in the link: every team
    assert at.query_params == link
    named = Filters(start=since, end=end, owner_id=rep_id, source=source)
    with read_session(demo) as session:
        leader = find_active_actor(session, "sales_leader")
        expected = waterfall(session, actor=leader, filters=named)
        everything = waterfall(session, actor=leader, filters=Filters(start=start, end=end))
    shown = [int(str(n).replace(",", "")) for n in at.dataframe[0].value["Leads"]]  # "1,234"
    assert shown == list(expected["leads"])
    assert shown[0] < everything["leads"].iloc[0]


def test_choices_go_into_the_link_and_a_new_session_on_it_shows_them(app_db):
    known = ids(app_db)
    since, until = date(2026, 2, 1), date(2026, 4, 30)
    at = app_as("sales_leader", FUNNEL)
    assert at.query_params == {}  # the defaults leave the address clean

    box(at, "Rep").set_value(known["rep"])
    box(at, "Team").set_value(known["team"])
    at.date_input[0].set_value((since, until))
    at.run()

    assert not at.exception, at.exception
    link = {
        "from": "2026-02-01",
        "to": "2026-04-30",
        "team": str(known["team"]),
        "rep": str(known["rep"]),
    }
    assert at.query_params == link
    again = opened_with("sales_leader", FUNNEL, dict(at.query_params))
    assert not again.exception, again.exception
    assert again.date_input[0].value == (since, until)
    assert (box(again, "Rep").value, box(again, "Team").value) == (known["rep"], known["team"])
    box(again, "Rep").set_value(None)
    again.run()
    assert "rep" not in again.query_params and again.query_params["team"] == str(known["team"])


def test_values_the_page_cannot_use_are_left_out_with_a_short_note(app_db):
    link = {"rep": "999999", "team": "East", "from": "2026-02-30", "source": "Nowhere"}

    at = opened_with("sales_leader", FUNNEL, link)

    assert not at.exception, at.exception
    note = [i.value for i in at.info if "this link" in i.value]
    assert len(note) == 1
    said = texts(at)
    for name, value in [("rep", "999999"), ("team", "East"), ("source", "Nowhere")]:
        assert f"{name} “{value}” (not one of the choices here)" in said
    assert "from “2026-02-30” (not a date like 2026-03-31)" in said
    assert at.date_input[0].value == default_range()
    assert box(at, "Rep").value is None and box(at, "Team").value is None
    assert at.query_params == {}  # the address no longer holds what was left out
    at.run()
    assert not [i for i in at.info if "this link" in i.value]  # said once, not on every click


def test_a_range_that_ends_before_it_starts_is_left_out_and_a_start_alone_is_open_ended(app_db):
    backwards = opened_with("sales_leader", FUNNEL, {"from": "2026-05-01", "to": "2026-03-01"})
    open_ended = opened_with("sales_leader", FUNNEL, {"from": "2026-03-01"})

    assert not backwards.exception and not open_ended.exception
    assert "dates “2026-05-01 to 2026-03-01” (the start is after the end)" in texts(backwards)
    assert backwards.date_input[0].value == default_range()
    assert open_ended.date_input[0].value == (date(2026, 3, 1),)
    assert "Pick an end date too" in texts(open_ended)
    assert open_ended.query_params == {"from": "2026-03-01"}


def test_a_manager_opening_a_link_to_another_team_sees_their_own_with_a_note(app_db):
    other = make_user(app_db, "west_rep", "rep", team="West")
    own = ids(app_db)["team"]

    at = opened_with("sales_manager", FUNNEL, {"team": str(other.team_id)})

    assert not at.exception, at.exception
    assert f"team “{other.team_id}” (not one of the choices here)" in texts(at)
    assert box(at, "Team").value == own
    assert "team" not in at.query_params


@pytest.mark.parametrize("page", DASHBOARDS)
def test_every_dashboard_with_the_filter_bar_follows_and_keeps_the_link(app_db, page):
    rep = str(ids(app_db)["rep"])
    start, end = default_range()
    until = end - timedelta(days=1)

    at = opened_with("sales_leader", page, {"rep": rep, "to": until.isoformat()})

    assert not at.exception, at.exception
    assert box(at, "Rep").value == int(rep)
    assert at.date_input[0].value == (start, until)  # an end alone starts where it always does
    assert at.query_params == {"rep": rep, "from": start.isoformat(), "to": until.isoformat()}
