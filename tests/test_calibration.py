"""Rep calibration: Wilson intervals, the flag rule, reason mix, high-score disqualified."""

from __future__ import annotations

import itertools
import math

import pytest

from leaddash.analytics.calibration import (
    CALIBRATION_COLUMNS,
    HIGH_SCORE_COLUMNS,
    REASON_MIX_COLUMNS,
    high_score_disqualified,
    reason_mix,
    rep_calibration,
)
from leaddash.analytics.filters import Filters
from leaddash.analytics.stats import wilson_interval
from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden
from leaddash.fact_tables import LeadPass
from leaddash.facts.upkeep import rebuild_rollups
from leaddash.models import Role
from tests.conftest import make_user
from tests.pass_factory import add_pass, at

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

ALL = Filters()
LEAD_IDS = itertools.count(9000)  # passes without a lead row: calibration never joins lead


@pytest.mark.parametrize(
    ("successes", "trials", "low", "high"),
    [
        (8, 10, 0.490, 0.943),
        (4, 20, 0.081, 0.416),
        (27, 30, 0.744, 0.965),
        (0, 5, 0.0, 0.434),
        (5, 5, 0.566, 1.0),
    ],
)
def test_wilson_interval_matches_published_values(successes, trials, low, high):
    got = wilson_interval(successes, trials)
    assert (round(got[0], 3), round(got[1], 3)) == (low, high)


def test_wilson_interval_of_nothing_is_unknown():
    low, high = wilson_interval(0, 0)
    assert math.isnan(low) and math.isnan(high)  # no decisions, no interval


def decide(engine, rep, *, validated: int, no: list[str], **fields):
    """Store one decided March MQL pass per verdict for `rep` (no: one reason per no)."""
    verdicts = [{"validated_at": at("2026-03-03 15:00")}] * validated + [
        {"exit_stage": "disqualified", "exit_reason": r, "exit_at": at("2026-03-03 15:00")}
        for r in no
    ]
    with write_session(engine) as session:
        session.add_all(
            LeadPass(
                lead_id=next(LEAD_IDS),
                owner_id=rep.id,
                team_id=rep.team_id,
                mql_at=at("2026-03-02 14:00"),
                mql_month=202603,
                **verdict,
                **fields,
            )
            for verdict in verdicts
        )
        session.flush()
        rebuild_rollups(session)


@pytest.fixture
def teams(engine):
    people = {
        name: make_user(engine, name, Role.REP, team=team)
        for name, team in (("ann", "East"), ("bob", "East"), ("cy", "West"), ("dee", "West"))
    }
    people["leader"] = make_user(engine, "lea", Role.SALES_LEADER)
    people["manager"] = make_user(engine, "max", Role.SALES_MANAGER, team="East")
    return people


def test_reps_outside_the_rest_of_their_team_are_flagged_from_20_decisions(engine, teams):
    decide(engine, teams["ann"], validated=4, no=["no_fit"] * 16)  # 20 decisions, 20%
    decide(engine, teams["bob"], validated=27, no=["no_need"] * 3)  # 30 decisions, 90%
    decide(engine, teams["cy"], validated=3, no=["no_fit"] * 16)  # 19 decisions: too few
    decide(engine, teams["dee"], validated=27, no=["no_need"] * 3)
    decide(engine, teams["dee"], validated=0, no=["no_fit"] * 5, is_sample=True)  # left out
    with read_session(engine) as session:
        frame = rep_calibration(session, actor=teams["leader"], filters=ALL)
    rows = {r.rep: r for r in frame.itertuples()}
    assert list(frame.columns) == CALIBRATION_COLUMNS
    assert (rows["Ann"].decisions, rows["Ann"].validated, rows["Ann"].rate) == (20, 4, 0.2)
    assert (round(rows["Ann"].rest_low, 3), round(rows["Ann"].rest_high, 3)) == (0.744, 0.965)
    assert (rows["Ann"].flagged, rows["Ann"].direction) == (True, "validates less than the team")
    assert (rows["Bob"].flagged, rows["Bob"].direction) == (True, "validates more than the team")
    assert (rows["Cy"].flagged, rows["Cy"].direction) == (False, "in line")
    assert (rows["Dee"].decisions, rows["Dee"].rest_decisions, rows["Dee"].flagged) == (
        30,
        19,
        True,
    )


def test_narrowing_to_one_rep_still_compares_with_the_whole_team(engine, teams):
    decide(engine, teams["ann"], validated=4, no=["no_fit"] * 16)
    decide(engine, teams["bob"], validated=27, no=["no_need"] * 3)
    with read_session(engine) as session:
        frame = rep_calibration(
            session, actor=teams["leader"], filters=Filters(owner_id=teams["ann"].id)
        )
    assert list(frame["rep"]) == ["Ann"]
    assert (frame.iloc[0]["rest_decisions"], bool(frame.iloc[0]["flagged"])) == (30, True)


def test_reason_mix_sets_each_rep_against_the_team(engine, teams):
    decide(engine, teams["ann"], validated=1, no=["no_fit", "no_fit", "no_need"])
    decide(engine, teams["bob"], validated=0, no=["no_need"])
    with read_session(engine) as session:
        frame = reason_mix(session, actor=teams["leader"], filters=ALL)
    got = [(r.rep, r.reason, r.leads, round(r.share, 3), r.team_share) for r in frame.itertuples()]
    assert got == [
        ("Ann", "no_fit", 2, 0.667, 0.5),
        ("Ann", "no_need", 1, 0.333, 0.5),
        ("Bob", "no_need", 1, 1.0, 0.5),
    ]
    assert list(frame.columns) == REASON_MIX_COLUMNS


def test_high_score_leads_that_were_disqualified_highest_first(engine, teams):
    ann = {"owner_id": teams["ann"].id, "team_id": teams["ann"].team_id}
    mql = {"mql_at": "2026-03-02 14:00", **ann}
    add_pass(
        engine,
        "Hi",
        score=90,
        exit_stage="disqualified",
        exit_reason="no_need",
        exit_at="2026-03-03 15:00",
        **mql,
    )
    add_pass(
        engine,
        "Top",
        score=97,
        exit_stage="disqualified",
        exit_reason="no_fit",
        exit_at="2026-03-04 15:00",
        **mql,
    )
    add_pass(engine, "Kept", score=85, validated_at="2026-03-03 15:00", **mql)
    add_pass(
        engine,
        "Low",
        score=70,
        exit_stage="disqualified",
        exit_reason="no_fit",
        exit_at="2026-03-03 15:00",
        **mql,
    )
    with read_session(engine) as session:
        frame = high_score_disqualified(session, actor=teams["leader"], filters=ALL, min_score=80)
    assert [(r.name, r.score, r.reason, r.rep) for r in frame.itertuples()] == [
        ("Top Test", 97, "no_fit", "Ann"),
        ("Hi Test", 90, "no_need", "Ann"),
    ]


def test_a_manager_sees_only_their_team_and_a_rep_nothing(engine, teams):
    decide(engine, teams["ann"], validated=1, no=["no_fit"])
    decide(engine, teams["cy"], validated=1, no=["no_fit"])
    with read_session(engine) as session:
        frame = rep_calibration(session, actor=teams["manager"], filters=ALL)
        mix = reason_mix(session, actor=teams["manager"], filters=ALL)
        assert list(frame["rep"]) == ["Ann"] and list(mix["rep"]) == ["Ann"]
        with pytest.raises(Forbidden):
            rep_calibration(session, actor=teams["ann"], filters=ALL)


def test_empty_database_gives_empty_frames_with_their_columns(engine):
    leader = make_user(engine, "lea", Role.SALES_LEADER)
    with read_session(engine) as session:
        assert list(rep_calibration(session, actor=leader, filters=ALL).columns) == (
            CALIBRATION_COLUMNS
        )
        assert list(reason_mix(session, actor=leader, filters=ALL).columns) == REASON_MIX_COLUMNS
        found = high_score_disqualified(session, actor=leader, filters=ALL, min_score=50)
        assert found.empty and list(found.columns) == HIGH_SCORE_COLUMNS
