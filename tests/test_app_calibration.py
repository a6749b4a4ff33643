"""The rep calibration page: AppTest runs on an empty database and on a small demo (a leader
and a manager, who sees only their team), and the pure sentence and table builders."""

from __future__ import annotations

from types import SimpleNamespace

import pandas as pd

from leaddash.analytics.calibration import high_score_disqualified, rep_calibration
from leaddash.analytics.filters import Filters
from leaddash.auth import CLI_ACTOR
from leaddash.db import read_session
from leaddash.ui.calibration import NO_DECISIONS, flag_sentence, rep_against_team
from leaddash.ui.filters import default_range
from tests.apptest import app_as, one_user_per_role, texts, use_database

PAGE = "pages/calibration.py"


def _table(at, first_column: str) -> pd.DataFrame:
    return next(d.value for d in at.dataframe if d.value.columns[0] == first_column)


def test_an_empty_database_says_there_is_nothing_to_compare(engine, monkeypatch):
    use_database(engine, monkeypatch)
    one_user_per_role(engine)

    at = app_as("sales_leader", PAGE)

    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Rep calibration"]
    assert NO_DECISIONS in texts(at)
    assert "No disqualified lead scored 80 or more for these filters." in texts(at)


def test_a_leader_sees_every_flagged_rep_said_in_words(demo):
    start, end = default_range()
    with read_session(demo) as session:
        expected = rep_calibration(session, actor=CLI_ACTOR, filters=Filters(start=start, end=end))

    at = app_as("sales_leader", PAGE)

    assert not at.exception, at.exception
    warnings = [w.value.replace("\\", "") for w in at.warning]
    assert warnings == [flag_sentence(r) for r in expected[expected["flagged"]].itertuples()]
    assert set(_table(at, "Team")["Team"]) == {"East", "West", "Enterprise"}


def test_a_manager_compares_only_their_own_team(demo):
    at = app_as("sales_manager", PAGE)

    assert not at.exception, at.exception
    assert set(_table(at, "Team")["Team"]) == {"East"}
    assert set(_table(at, "lead_id")["team"]) == {"East"}
    rep_box = next(s for s in at.selectbox if s.label == "Rep" and "East" in s.options[0])
    assert all("(East)" in option for option in rep_box.options)


def test_high_score_leads_start_twenty_points_above_the_threshold(demo):
    at = app_as("sales_leader", PAGE)
    slider = next(s for s in at.slider if s.label == "Minimum score at qualification")

    assert slider.value == 80.0  # the demo's threshold is 60
    assert (_table(at, "lead_id")["score"] >= 80).all()
    slider.set_value(100.0)
    at.run()
    assert not at.exception, at.exception
    start, end = default_range()
    with read_session(demo) as session:
        expected = high_score_disqualified(
            session, actor=CLI_ACTOR, filters=Filters(start=start, end=end), min_score=100
        )
    # The demo is seeded relative to today, so whether any lead scored 100 varies by day.
    if expected.empty:
        assert "No disqualified lead scored 100 or more for these filters." in texts(at)
    else:
        assert list(_table(at, "lead_id")["lead_id"]) == list(expected["lead_id"])


def test_a_flagged_rep_reads_as_a_plain_sentence():
    row = SimpleNamespace(
        rep="Olivia Nguyen", rate=0.32, rest_rate=0.68, team="West", decisions=140
    )

    assert flag_sentence(row) == (
        "Olivia Nguyen validates 32% of their leads against 68% for the rest of West: the "
        "intervals do not overlap on 140 decisions — review their calls."
    )


def test_the_reason_mix_shows_the_teams_reasons_the_rep_never_used_as_zero():
    mix = pd.DataFrame(
        {
            "team_id": [1, 1, 1],
            "rep_id": [5, 6, 6],
            "reason": ["no_fit", "no_fit", "no_need"],
            "leads": [4, 1, 3],
            "share": [1.0, 0.25, 0.75],
            "team_share": [0.625, 0.625, 0.375],
        }
    )

    shares = rep_against_team(mix, 5, {"no_fit": "No fit", "no_need": "No need"})

    assert shares.to_dict("records") == [
        {"reason": "No fit", "leads": 4, "share": 1.0, "team_share": 0.625},
        {"reason": "No need", "leads": 0, "share": 0.0, "team_share": 0.375},
    ]
