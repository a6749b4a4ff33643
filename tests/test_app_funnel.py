"""AppTest runs of the Funnel page, on an empty database and on a small seeded demo, for a
leader (every team) and a sales manager (their own team only)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import Engine

from leaddash.analytics.filters import Filters
from leaddash.analytics.funnel import NONE_LABEL, waterfall
from leaddash.analytics.wins import WIN_RATE_MEANS
from leaddash.auth import find_active_actor
from leaddash.db import make_engine, read_session
from leaddash.models import Role
from leaddash.ui.filters import default_range
from leaddash.ui.nav import pages_for
from tests.apptest import app_as, texts, use_database
from tests.deal_history import DEALS, SPRING, as_shown, only, plain, store
from tests.event_history import activate_sla
from tests.report_demo import copy_of, seed_demo_database, template

PAGE = "pages/funnel.py"
SECTIONS = [
    "Leads at each stage",
    "Conversion by month of entry",
    "Where leads leave the funnel",
    "How long each step takes",
    "Win rate and sales cycle",
    "Breakdown",
    "Month by month",
]
TABLE_ONLY = ["Win rate and sales cycle"]
WIN_HEADERS = [
    "Won",
    "Lost",
    "Open",
    "Win rate",
    "Won amount",
    "Median days opportunity → close",
    "Median days MQL → close",
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A copy of the 1,500-lead demo with its facts, per test module that uses it."""
    demo = template(tmp_path_factory, "demo", seed_demo_database)
    engine = make_engine(copy_of(demo, tmp_path_factory.mktemp("dashboard")))
    yield engine
    engine.dispose()


@pytest.fixture
def demo_db(seeded, monkeypatch):
    """The seeded demo as app.py's database, Streamlit's caches emptied."""
    import streamlit as st

    use_database(seeded, monkeypatch)
    yield seeded
    st.cache_resource.clear()


def page_filters() -> Filters:
    """Return the filters the page starts with (its default date range, nothing else)."""
    start, end = default_range()
    return Filters(start=start, end=end)


def service_waterfall(engine: Engine, username: str) -> pd.DataFrame:
    with read_session(engine) as session:
        actor = find_active_actor(session, username)
        return waterfall(session, actor=actor, filters=page_filters())


def charts(at) -> list[dict]:
    return [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]


def _choose(at, label: str, value):
    next(s for s in at.selectbox if s.label == label).set_value(value)
    return at.run()


def test_an_empty_database_says_there_is_no_data(app_db):
    at = app_as("sales_leader", PAGE)

    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Funnel"]
    assert "No data for these filters" in texts(at)
    assert not at.dataframe


def test_the_leader_sees_every_section_with_the_services_numbers(demo_db):
    at = app_as("sales_leader", PAGE)

    assert not at.exception, at.exception
    assert [h.value for h in at.subheader] == SECTIONS
    assert len(charts(at)) == len(SECTIONS) - len(TABLE_ONLY)
    shown = at.dataframe[0].value
    expected = service_waterfall(demo_db, "sales_leader")
    assert list(shown["Stage"]) == list(expected["stage"])
    assert list(shown["Leads"]) == [f"{n:,}" for n in expected["leads"]]
    assert expected["leads"].iloc[0] > 0
    assert "None" not in shown.to_string() and "nan" not in shown.to_string()


def test_a_manager_sees_only_their_own_team(demo_db):
    leader = app_as("sales_leader", PAGE)
    manager = app_as("sales_manager", PAGE)

    assert not manager.exception, manager.exception
    mine = service_waterfall(demo_db, "sales_manager")
    assert list(manager.dataframe[0].value["Leads"]) == [f"{n:,}" for n in mine["leads"]]
    everyone = service_waterfall(demo_db, "sales_leader")
    assert mine["leads"].iloc[0] < everyone["leads"].iloc[0]
    by_team = _choose(manager, "Break the funnel down by", "team")
    assert not by_team.exception, by_team.exception
    assert list(by_team.dataframe[-1].value["Team"]) == ["East"]
    teams = set(_choose(leader, "Break the funnel down by", "team").dataframe[-1].value["Team"])
    assert teams - {NONE_LABEL} == {"East", "West", "Enterprise"}


def test_the_cohort_table_follows_the_chosen_pair_of_stages(demo_db):
    at = app_as("sales_leader", PAGE)
    _choose(at, "From stage", "validated")
    at = _choose(at, "To stage", "sql")

    assert not at.exception, at.exception
    cohorts = at.dataframe[1].value
    assert {"Entered validated", "Reached sql"} <= set(cohorts.columns)

    def count(column: str) -> pd.Series:
        return cohorts[column].str.replace(",", "").astype(int)

    assert (count("Reached sql") <= count("Entered validated")).all()


def test_leads_still_in_progress_join_the_leakage_chart_only_when_asked(demo_db):
    at = app_as("sales_leader", PAGE)

    def causes(run) -> list[str]:
        leak = next(
            c for c in charts(run) if c.get("title") == "Where leads leave the funnel, and why"
        )
        return leak["encoding"]["color"]["scale"]["domain"]

    assert "in progress" not in causes(at)
    assert "in progress" in set(at.dataframe[2].value["Cause"])
    at.toggle[0].set_value(True)
    assert "in progress" in causes(at.run())


def test_reps_do_not_get_the_dashboards():
    scripts = {p.script for p in pages_for(Role.REP)}
    assert not scripts & {"funnel.py", "feedback.py"}
    assert {"funnel.py", "feedback.py"} <= {p.script for p in pages_for(Role.SALES_MANAGER)}


def win_table(at) -> pd.DataFrame:
    return next(frame.value for frame in at.dataframe if "Win rate" in frame.value.columns)


def test_the_win_rate_table_counts_closed_deals_in_words_people_read(app_db):
    with read_session(app_db) as session:
        people = {
            "rita": find_active_actor(session, "rep"),
            "sam": find_active_actor(session, "sales_manager"),
        }
    activate_sla(app_db)
    store(app_db, only("rita"), people)
    store(app_db, {"S3": DEALS["S3"]}, people)
    at = app_as("sales_leader", PAGE)
    at.date_input(key="funnel_dates").set_value((SPRING.start, SPRING.end))

    overall = win_table(at.run())
    by_rep = win_table(_choose(at, "Win rate by", "rep"))

    assert not at.exception, at.exception
    assert WIN_RATE_MEANS in texts(at)
    assert list(overall.columns) == ["Deals", *WIN_HEADERS]
    every = {**only("rita"), "S3": DEALS["S3"]}
    assert overall.values.tolist() == [["All deals", *as_shown(plain(every, SPRING))]]
    assert list(by_rep.columns) == ["Rep", *WIN_HEADERS]
    assert by_rep.values.tolist() == [
        ["Rep", *as_shown(plain(only("rita"), SPRING))],
        ["Sales_Manager", *as_shown(plain({"S3": DEALS["S3"]}, SPRING))],
    ]
    assert by_rep.values.tolist()[0][4] == "25%"
    assert by_rep.values.tolist()[1][4] == "—"


def test_a_manager_sees_the_win_rate_of_their_own_team_only(demo_db):
    leader = _choose(app_as("sales_leader", PAGE), "Win rate by", "team")
    manager = _choose(app_as("sales_manager", PAGE), "Win rate by", "team")

    assert not manager.exception, manager.exception
    assert win_table(manager)["Team"].tolist() == ["East"]
    assert set(win_table(leader)["Team"]) - {NONE_LABEL} == {"East", "West", "Enterprise"}
