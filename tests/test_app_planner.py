"""AppTest runs of the revenue planner page, on an empty database and on a small demo."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from leaddash.auth import CLI_ACTOR
from leaddash.db import make_engine, read_session
from leaddash.models import AgreementStatus, AgreementVersion, Role
from leaddash.planner import measured_conversions, measured_deal_size, plan_mqls
from leaddash.ui.planner import DEFAULT_GOAL, DEFAULT_MONTHS
from tests.apptest import app_as, texts, use_database
from tests.report_demo import copy_of, small_demo, template

PAGE = "pages/revenue_planner.py"
ALLOWED = [Role.ADMIN, Role.MARKETING_LEADER, Role.SALES_LEADER, Role.MARKETING]
TODAY = date(2026, 6, 15)  # a fixed clock: the demo is seeded as of this day
WINDOW_START = (TODAY - timedelta(days=150)).replace(day=1)
WINDOW_END = TODAY + timedelta(days=1)


@pytest.fixture
def demo_db(tmp_path_factory, tmp_path, monkeypatch):
    """A SQLite copy of a small demo (its logins are named after the roles), seeded once
    per test run."""
    import streamlit as st

    demo = template(tmp_path_factory, f"demo-400x4-{TODAY}", small_demo(400, 4, today=TODAY))
    engine = make_engine(copy_of(demo, tmp_path))
    use_database(engine, monkeypatch)
    yield engine
    st.cache_resource.clear()
    engine.dispose()


def _planner_over_the_demo(username: str):
    at = app_as(username, PAGE)
    dates = {d.label: d for d in at.date_input}
    dates["Cohorts from"].set_value(WINDOW_START)
    dates["Cohorts until (not included)"].set_value(WINDOW_END)
    return at.run()


def _expected_mqls(engine) -> int:
    since = datetime.combine(WINDOW_START, datetime.min.time(), tzinfo=UTC)
    until = datetime.combine(WINDOW_END, datetime.min.time(), tzinfo=UTC)
    with read_session(engine) as session:
        conversions = measured_conversions(session, actor=CLI_ACTOR, since=since, until=until)
        deal = measured_deal_size(session, actor=CLI_ACTOR, since=since, until=until)
    return plan_mqls(DEFAULT_GOAL, DEFAULT_MONTHS, float(round(deal)), conversions).mqls_per_month


def _metric(at, label: str) -> str:
    return next(m.value for m in at.metric if m.label == label)


@pytest.mark.parametrize("role", ALLOWED)
def test_each_allowed_role_opens_the_planner_over_the_demo(demo_db, role):
    at = _planner_over_the_demo(role.value)

    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Revenue planner"]
    assert "MQLs a month" in [m.label for m in at.metric]


def test_the_number_shown_is_the_plan_for_the_measured_conversions(demo_db):
    at = _planner_over_the_demo("marketing_leader")
    expected = _expected_mqls(demo_db)

    assert not at.exception
    assert _metric(at, "MQLs a month") == f"{expected:,}"
    assert f"You need {expected:,} MQLs a month" in [s.value for s in at.subheader]
    assert len(at.get("vega_lite_chart")) == 1


def test_an_override_replaces_the_measured_conversion(demo_db):
    at = _planner_over_the_demo("marketing_leader")
    before = int(_metric(at, "MQLs a month").replace(",", ""))

    # AppTest cannot type into st.data_editor, so the override is set in its widget state.
    at.session_state["planner_overrides"] = {"edited_rows": {4: {"override": 100.0}}}
    at.run()

    assert not at.exception
    assert int(_metric(at, "MQLs a month").replace(",", "")) < before


def test_the_button_puts_the_number_into_a_new_sla_draft(demo_db):
    at = _planner_over_the_demo("marketing_leader")
    expected = _expected_mqls(demo_db)
    label = f"Put {expected:,} MQLs a month into a new SLA draft"

    next(b for b in at.button if b.label == label).click()
    at.run()

    assert not at.exception
    assert f"Started a new SLA draft with a target of {expected:,} MQLs a month" in texts(at)
    assert "Open the SLA page" in texts(at)
    with read_session(demo_db) as session:
        drafts = session.exec(
            select(AgreementVersion).where(
                AgreementVersion.kind == "sla", AgreementVersion.status == AgreementStatus.DRAFT
            )
        ).all()
    assert [d.content["marketing"]["mql_target_per_month"] for d in drafts] == [expected]


def test_an_empty_database_says_there_is_no_data_instead_of_a_chart(app_db):
    at = app_as("marketing_leader", PAGE)

    assert not at.exception
    assert "No leads entered the funnel between" in texts(at)
    assert "Enter an average deal size" in texts(at)
    assert "MQLs a month" not in [m.label for m in at.metric]
    assert not at.get("vega_lite_chart")
    assert not [b for b in at.button if b.label.startswith("Put ")]


@pytest.mark.parametrize("role", [Role.REP, Role.SALES_MANAGER])
def test_roles_without_the_planner_cannot_open_it(app_db, role):
    at = app_as(role.value)

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_a_window_that_ends_before_it_starts_shows_a_plain_message(app_db):
    at = app_as("marketing_leader", PAGE)
    dates = {d.label: d for d in at.date_input}
    dates["Cohorts until (not included)"].set_value(WINDOW_START - timedelta(days=40))
    dates["Cohorts from"].set_value(WINDOW_START)
    at.run()

    assert not at.exception
    assert "The measured window must end after it starts." in texts(at)
