"""The SLA compliance page: AppTest runs on an empty database and on a small demo (a leader
and a manager, who sees only their team), and the pure table and sentence builders."""

from __future__ import annotations

import pandas as pd

from leaddash.models import Role
from leaddash.ui.nav import pages_for
from leaddash.ui.sla_compliance import (
    NO_DATA,
    misses_by_kind,
    misses_sentence,
    per_group_table,
    scorecard_table,
)
from tests.apptest import app_as, one_user_per_role, texts, use_database

PAGE = "pages/sla_compliance.py"
DEMO_TEAMS = {"East", "West", "Enterprise"}


def _table(at, first_column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def _select(at, label: str, shown: str):
    """Pick the first option of the `label` box whose text contains `shown`, and rerun."""
    box = next(s for s in at.selectbox if s.label == label)
    box.select_index(next(i for i, o in enumerate(box.options) if shown in o))
    return at.run()


def test_an_empty_database_says_there_is_no_data(engine, monkeypatch):
    use_database(engine, monkeypatch)
    one_user_per_role(engine)

    at = app_as("sales_leader", PAGE)

    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["SLA compliance"]
    assert NO_DATA in texts(at)
    assert "Choose a number above to list the leads behind it" in texts(at)

    at.selectbox(key="sla_drill_metric").set_value("first_touch").run()
    assert "None: every lead here kept this commitment." in texts(at)


def test_reps_do_not_get_the_page():
    assert "sla_compliance.py" not in {p.script for p in pages_for(Role.REP)}
    assert "sla_compliance.py" in {p.script for p in pages_for(Role.SALES_MANAGER)}


def test_a_leader_sees_both_sides_and_every_team(demo):
    at = app_as("sales_leader", PAGE)

    assert not at.exception, at.exception
    shown = texts(at)
    assert "Marketing missed" in shown or "Marketing met all" in shown
    assert "Sales missed" in shown or "Sales met all" in shown
    assert set(_table(at, "Team")["Team"]) == DEMO_TEAMS
    months = _table(at, "Month")
    assert set(months["Side"]) <= {"Marketing", "Sales"}
    assert "MQL volume" in set(months["Measure"])


def test_a_manager_sees_only_their_team_down_to_the_leads(demo):
    at = app_as("sales_manager", PAGE)

    assert not at.exception, at.exception
    assert set(_table(at, "Team")["Team"]) == {"East"}
    assert "Maria Lopez" in set(_table(at, "Rep")["Rep"])
    assert "Olivia Nguyen" not in set(_table(at, "Rep")["Rep"])
    at = _select(at, "Show the leads behind", "First touch in time")
    leads = _table(at, "lead_id")
    assert set(leads["team"]) == {"East"}


def test_choosing_a_number_and_a_rep_lists_only_that_reps_late_decisions(demo):
    at = app_as("sales_leader", PAGE)
    at = _select(at, "Show the leads behind", "Decision in time")
    at = _select(at, "For", "Rep: Olivia Nguyen")

    assert not at.exception, at.exception
    shown = texts(at)
    assert "Decided after the decision deadline" in shown
    assert "No decision, decision deadline passed" in shown
    for frame in (d.value for d in at.dataframe if d.value.columns[0] == "lead_id"):
        assert set(frame["rep"]) == {"Olivia Nguyen"}


def _scorecard() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "key": [202601, 202601, 202601, 202602],
            "label": ["2026-01", "2026-01", "2026-01", "2026-02"],
            "side": ["marketing", "sales", "sales", "sales"],
            "metric": ["mql_volume", "first_touch", "response", "first_touch"],
            "numerator": [90, 8, pd.NA, 5],
            "denominator": [pd.NA, 10, 9, 5],
            "value": [90.0, 0.8, 2.5, 1.0],
            "target": [100.0, 1.0, 4.0, 1.0],
            "met": pd.array([False, False, True, pd.NA], dtype="boolean"),
        }
    )


def test_the_scorecard_table_says_each_result_and_who_missed_it():
    table = scorecard_table(_scorecard(), "month")

    assert table.to_dict("records")[:3] == [
        {
            "Month": "January 2026",
            "Side": "Marketing",
            "Measure": "MQL volume",
            "Result": "90 MQLs",
            "Leads counted": "",
            "Target": "100 MQLs",
            "Status": "missed by marketing",
        },
        {
            "Month": "January 2026",
            "Side": "Sales",
            "Measure": "First touch in time",
            "Result": "80%",
            "Leads counted": "8 of 10",
            "Target": "100%",
            "Status": "missed by sales",
        },
        {
            "Month": "January 2026",
            "Side": "Sales",
            "Measure": "Median response (business hours)",
            "Result": "2.5 h",
            "Leads counted": "9 touched",
            "Target": "at most 4 h",
            "Status": "met",
        },
    ]
    assert table["Status"].iloc[3] == "not judged yet"


def test_the_misses_are_put_on_the_side_that_owns_them():
    frame = _scorecard()

    assert misses_sentence(frame, "marketing") == (
        "Marketing missed 1 of 1 targets: MQL volume in January 2026."
    )
    assert misses_sentence(frame, "sales") == (
        "Sales missed 1 of 2 targets: First touch in time in January 2026."
    )


def test_per_group_tables_and_misses_by_kind_count_the_leads():
    frame = _scorecard().assign(label=["East", "East", "East", "West"])

    table = per_group_table(frame, "team")
    misses = misses_by_kind(frame)

    east = table.set_index("Team").loc["East"]
    assert east["First touch in time"] == "80% · 8 of 10"
    assert east["Targets missed"] == "2 of 3"
    assert misses.to_dict("records") == [{"label": "First touch in time", "breaches": 2}]
