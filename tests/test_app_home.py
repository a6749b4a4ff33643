"""AppTest of the home page on demo data: each role lands somewhere useful."""

import pytest

from leaddash.db import make_engine
from leaddash.models import utcnow
from tests.apptest import app_as, texts, use_database
from tests.report_demo import copy_of, small_demo, template


@pytest.fixture
def demo_app(tmp_path_factory, tmp_path, monkeypatch):
    """A SQLite copy of an 800-lead demo, seeded once per test run."""
    import streamlit as st

    # The home page reads the real clock: seed as of its day (UTC, as the page counts it).
    today = utcnow().date()
    demo = template(
        tmp_path_factory, f"demo-800x3-{today}", small_demo(800, 3, seed=5, today=today)
    )
    engine = make_engine(copy_of(demo, tmp_path))
    use_database(engine, monkeypatch)
    yield engine
    st.cache_resource.clear()
    engine.dispose()


def _metric(at, label):
    return next(m.value for m in at.metric if m.label == label)


def test_rep_home_lists_open_leads_and_what_is_overdue(demo_app):
    at = app_as("rep")
    assert not at.exception
    assert int(_metric(at, "Open leads")) > 0
    overdue = int(_metric(at, "Overdue"))
    assert overdue > 0
    assert f"{overdue} lead(s) are past their SLA deadline" in texts(at)
    table = at.dataframe[0].value
    assert len(table) == int(_metric(at, "Open leads"))
    assert table["when"].str.startswith("overdue by").sum() == overdue


@pytest.mark.parametrize(
    "role", ["sales_leader", "marketing_leader", "sales_manager", "admin", "marketing"]
)
def test_leaders_and_managers_see_the_month_by_stage(demo_app, role):
    at = app_as(role)
    assert not at.exception
    assert {"MQL", "Accepted", "Validated", "Won"} <= {m.label for m in at.metric}
    scope = "your team" if role == "sales_manager" else "all teams"
    assert scope in texts(at)
