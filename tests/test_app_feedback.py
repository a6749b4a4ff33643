"""AppTest runs of the Feedback to marketing page, on an empty database and on a small seeded
demo, for a marketing leader (every team) and a sales manager (their own team only)."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from leaddash.analytics.feedback import reasons_by
from leaddash.auth import find_active_actor
from leaddash.db import read_session
from tests import test_app_funnel
from tests.apptest import app_as
from tests.test_app_funnel import page_filters

# The funnel page tests' seeded demo fixtures, built once for this module too.
seeded, demo_db = test_app_funnel.seeded, test_app_funnel.demo_db
PAGE = "pages/feedback.py"
TABS = ["By source", "By campaign", "By definition clause", "By month"]


def service_reasons(engine, username: str, by: str) -> pd.DataFrame:
    with read_session(engine) as session:
        actor = find_active_actor(session, username)
        return reasons_by(session, actor=actor, filters=page_filters(), by=by)


def tables(at) -> dict[str, pd.DataFrame]:
    """Return the table of each tab, by tab label."""
    return {tab.label: tab.dataframe[0].value for tab in at.tabs if tab.dataframe}


def test_an_empty_database_shows_four_no_data_charts(app_db):
    at = app_as("marketing_leader", PAGE)

    assert not at.exception, at.exception
    assert [t.label for t in at.tabs] == TABS
    specs = [json.loads(c.proto.spec) for c in at.get("vega_lite_chart")]
    assert [s["mark"]["type"] for s in specs] == ["text"] * 4
    assert not at.dataframe


def test_reasons_are_named_and_clauses_labelled_with_the_services_numbers(demo_db):
    at = app_as("marketing_leader", PAGE)

    assert not at.exception, at.exception
    shown = tables(at)
    assert set(shown) == set(TABS)
    by_source = service_reasons(demo_db, "marketing_leader", "source")
    assert list(shown["By source"]["Leads"]) == [f"{n:,}" for n in by_source["leads"]]
    assert "Bad data (fake or incomplete contact details)" in set(shown["By source"]["Reason"])
    assert "bad_data" not in set(shown["By source"]["Reason"])
    assert "D1 Personal email" in set(shown["By definition clause"]["Definition clause"])
    by_month = service_reasons(demo_db, "marketing_leader", "month")
    expected_months = [date(k // 100, k % 100, 1).strftime("%B %Y") for k in by_month["key"]]
    assert list(shown["By month"]["Month"]) == expected_months
    assert "None" not in shown["By source"].to_string()


def test_a_manager_sees_only_their_own_teams_decisions(demo_db):
    at = app_as("sales_manager", PAGE)

    assert not at.exception, at.exception
    mine = tables(at)["By definition clause"]
    expected = service_reasons(demo_db, "sales_manager", "clause")
    assert list(mine["Leads"]) == [f"{n:,}" for n in expected["leads"]]
    everyone = service_reasons(demo_db, "marketing_leader", "clause")
    assert expected["decisions"].iloc[0] < everyone["decisions"].iloc[0]
