"""AppTest runs of the Funnel page, on an empty database and on a small seeded demo, for a
leader (every team) and a sales manager (their own team only)."""

from __future__ import annotations

import json

import pandas as pd
import pytest
from sqlalchemy import Engine

from leaddash.analytics.filters import Filters
from leaddash.analytics.funnel import NONE_LABEL, waterfall
from leaddash.auth import find_active_actor
from leaddash.db import make_engine, read_session
from leaddash.models import Role
from leaddash.ui.filters import default_range
from leaddash.ui.nav import pages_for
from tests.apptest import app_as, texts, use_database
from tests.report_demo import seeded_demo_url

PAGE = "pages/funnel.py"
SECTIONS = ["Leads at each stage", "Conversion by month of entry",
            "Where leads leave the funnel", "How long each step takes", "Breakdown",
            "Month by month"]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory):
    """A 1,500-lead demo with its facts, built once per test module that uses it."""
    engine = make_engine(seeded_demo_url(tmp_path_factory.mktemp("dashboard")))
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
    assert len(charts(at)) == len(SECTIONS)
    shown = at.dataframe[0].value
    expected = service_waterfall(demo_db, "sales_leader")
    assert list(shown["stage"]) == list(expected["stage"])
    assert list(shown["leads"]) == list(expected["leads"])
    assert shown["leads"].iloc[0] > 0


def test_a_manager_sees_only_their_own_team(demo_db):
    leader = app_as("sales_leader", PAGE)
    manager = app_as("sales_manager", PAGE)

    assert not manager.exception, manager.exception
    mine = service_waterfall(demo_db, "sales_manager")
    assert list(manager.dataframe[0].value["leads"]) == list(mine["leads"])
    assert mine["leads"].iloc[0] < leader.dataframe[0].value["leads"].iloc[0]
    by_team = _choose(manager, "Break the funnel down by", "team")
    assert not by_team.exception, by_team.exception
    assert list(by_team.dataframe[-1].value.index) == ["East"]
    teams = set(_choose(leader, "Break the funnel down by", "team").dataframe[-1].value.index)
    assert teams - {NONE_LABEL} == {"East", "West", "Enterprise"}


def test_the_cohort_table_follows_the_chosen_pair_of_stages(demo_db):
    at = app_as("sales_leader", PAGE)
    _choose(at, "From stage", "validated")
    at = _choose(at, "To stage", "sql")

    assert not at.exception, at.exception
    cohorts = at.dataframe[1].value
    assert {"Entered validated", "Reached sql"} <= set(cohorts.columns)
    assert (cohorts["Reached sql"] <= cohorts["Entered validated"]).all()


def test_leads_still_in_progress_join_the_leakage_chart_only_when_asked(demo_db):
    at = app_as("sales_leader", PAGE)

    def causes(run) -> list[str]:
        leak = next(c for c in charts(run) if c.get("title") ==
                    "Where leads leave the funnel, and why")
        return leak["encoding"]["color"]["scale"]["domain"]

    assert "in progress" not in causes(at)
    assert "in progress" in set(at.dataframe[2].value["Cause"])
    at.toggle[0].set_value(True)
    assert "in progress" in causes(at.run())


def test_reps_do_not_get_the_dashboards():
    scripts = {p.script for p in pages_for(Role.REP)}
    assert not scripts & {"funnel.py", "feedback.py"}
    assert {"funnel.py", "feedback.py"} <= {p.script for p in pages_for(Role.SALES_MANAGER)}
