"""SLA scorecard, volume against target and breaches on a small hand-built history.

Now is Friday 2026-03-20 15:00 UTC (11:00 in New York). SLA: 3 MQLs a month (SMB 2), 50%
validated, first touch in 4 business hours, 3 attempts. February (every deadline passed):
  P1 ann SMB      touched in time, validated in time                  response 2 h
  P2 ann SMB      touched late, disqualified late (no fit)            response 10 h
  P3 bob Mid      rejected (bad data) before the touch deadline, untouched
  P4 bob SMB      touched in time, recycled after 1 attempt: no decision   response 3 h
  P5 cy  Ent.     unable to reach after 3 attempts, in time (West)    response 1 h
March:
  P6 ann SMB      MQL 2 hours ago: inside both windows
  P7 bob SMB      untouched since Monday, touch deadline passed, decision deadline not
  P8 cy  Mid      touched and validated in time (West)                response 4 h
  P9 ann SMB      below-threshold sample, disqualified in time        response 0.5 h
"""

from __future__ import annotations

import math

import pytest

from leaddash.analytics.breaches import BREACH_COLUMNS, breaches
from leaddash.analytics.filters import Filters
from leaddash.analytics.sla import (
    SCORECARD_COLUMNS,
    VOLUME_COLUMNS,
    scorecard,
    volume_vs_target,
)
from leaddash.db import read_session
from leaddash.errors import Forbidden
from leaddash.models import Role
from tests.conftest import make_user
from tests.pass_factory import SLA, activate, add_pass, at, small_sla

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

NOW = at("2026-03-20 15:00")
ALL = Filters()


@pytest.fixture
def people(engine):
    ann = make_user(engine, "ann", Role.REP, team="East")
    bob = make_user(engine, "bob", Role.REP, team="East")
    cy = make_user(engine, "cy", Role.REP, team="West")
    return {
        "ann": ann,
        "bob": bob,
        "cy": cy,
        "leader": make_user(engine, "lea", Role.SALES_LEADER),
        "manager": make_user(engine, "max", Role.SALES_MANAGER, team="East"),
    }


def _rep(person):
    return {"owner_id": person.id, "team_id": person.team_id}


@pytest.fixture
def history(engine, people):
    activate(engine, SLA, small_sla())
    ann, bob, cy = (_rep(people[n]) for n in ("ann", "bob", "cy"))
    add_pass(
        engine,
        "P1",
        **ann,
        segment="SMB",
        mql_at="2026-02-02 14:00",
        touch_due_at="2026-02-02 18:00",
        first_touch_at="2026-02-02 16:00",
        decision_due_at="2026-02-09 22:00",
        validated_at="2026-02-03 15:00",
        attempts=1,
        response_hours=2.0,
    )
    add_pass(
        engine,
        "P2",
        **ann,
        segment="SMB",
        mql_at="2026-02-03 14:00",
        touch_due_at="2026-02-03 18:00",
        first_touch_at="2026-02-04 15:00",
        decision_due_at="2026-02-10 22:00",
        exit_stage="disqualified",
        exit_reason="no_fit",
        exit_at="2026-02-11 15:00",
        attempts=1,
        response_hours=10.0,
    )
    add_pass(
        engine,
        "P3",
        **bob,
        segment="Mid-Market",
        mql_at="2026-02-05 14:00",
        touch_due_at="2026-02-05 18:00",
        decision_due_at="2026-02-12 22:00",
        exit_stage="rejected",
        exit_reason="bad_data",
        exit_at="2026-02-05 16:00",
    )
    add_pass(
        engine,
        "P4",
        **bob,
        segment="SMB",
        mql_at="2026-02-05 14:00",
        touch_due_at="2026-02-05 18:00",
        first_touch_at="2026-02-05 17:00",
        decision_due_at="2026-02-12 22:00",
        exit_stage="recycled",
        exit_reason="not_now",
        exit_at="2026-02-20 15:00",
        attempts=1,
        response_hours=3.0,
    )
    add_pass(
        engine,
        "P5",
        **cy,
        segment="Enterprise",
        mql_at="2026-02-05 14:00",
        touch_due_at="2026-02-05 18:00",
        first_touch_at="2026-02-05 15:00",
        decision_due_at="2026-02-12 22:00",
        exit_stage="disqualified",
        exit_reason="unable_to_reach",
        exit_at="2026-02-10 15:00",
        attempts=3,
        response_hours=1.0,
    )
    add_pass(
        engine,
        "P6",
        **ann,
        segment="SMB",
        mql_at="2026-03-20 13:00",
        touch_due_at="2026-03-20 17:00",
        decision_due_at="2026-03-27 21:00",
    )
    add_pass(
        engine,
        "P7",
        **bob,
        segment="SMB",
        mql_at="2026-03-16 14:00",
        touch_due_at="2026-03-16 18:00",
        decision_due_at="2026-03-23 21:00",
    )
    add_pass(
        engine,
        "P8",
        **cy,
        segment="Mid-Market",
        mql_at="2026-03-10 14:00",
        touch_due_at="2026-03-10 18:00",
        first_touch_at="2026-03-10 18:00",
        decision_due_at="2026-03-17 21:00",
        validated_at="2026-03-12 15:00",
        attempts=1,
        response_hours=4.0,
    )
    add_pass(
        engine,
        "P9",
        **ann,
        segment="SMB",
        is_sample=True,
        mql_at="2026-03-02 14:00",
        touch_due_at="2026-03-02 18:00",
        first_touch_at="2026-03-02 14:30",
        decision_due_at="2026-03-09 21:00",
        exit_stage="disqualified",
        exit_reason="no_fit",
        exit_at="2026-03-03 15:00",
        attempts=1,
        response_hours=0.5,
    )
    return people


def card(engine, actor, by="month", filters=ALL):
    with read_session(engine) as session:
        frame = scorecard(session, actor=actor, filters=filters, by=by, now=NOW)
    return {(row.label, row.metric): row for row in frame.itertuples()}


def ratio(row):
    return (int(row.numerator), int(row.denominator))


def test_february_scorecard_counts_every_deadline_and_attributes_each_side(engine, history):
    rows = card(engine, history["leader"])
    feb = {metric: row for (label, metric), row in rows.items() if label == "2026-02"}
    assert [(m, r.side) for m, r in feb.items()] == [
        ("mql_volume", "marketing"),
        ("validation_rate", "marketing"),
        ("first_touch", "sales"),
        ("decision", "sales"),
        ("attempts", "sales"),
        ("feedback_rate", "sales"),
        ("response", "sales"),
    ]
    assert (feb["mql_volume"].numerator, feb["mql_volume"].target, feb["mql_volume"].met) == (
        5,
        3,
        True,
    )
    assert ratio(feb["validation_rate"]) == (1, 4) and not feb["validation_rate"].met
    assert ratio(feb["first_touch"]) == (4, 5) and not feb["first_touch"].met
    assert ratio(feb["decision"]) == (3, 5)
    assert ratio(feb["attempts"]) == (1, 2)
    assert ratio(feb["feedback_rate"]) == (4, 5)
    assert (feb["response"].value, feb["response"].denominator, feb["response"].met) == (
        2.5,
        4,
        True,
    )


def test_leads_inside_their_window_are_left_out_and_the_running_month_is_not_judged(
    engine, history
):
    rows = card(engine, history["leader"])
    assert rows[("2026-03", "mql_volume")].numerator == 3
    assert rows[("2026-03", "mql_volume")].met is pd_na()
    assert ratio(rows[("2026-03", "first_touch")]) == (2, 3)  # P6 not due yet, P7 missed
    assert ratio(rows[("2026-03", "decision")]) == (2, 2)  # P6 and P7 still inside
    assert ratio(rows[("2026-03", "validation_rate")]) == (1, 1)  # the sample is sales-only
    assert ratio(rows[("2026-03", "attempts")]) == (0, 0)
    assert math.isnan(rows[("2026-03", "attempts")].value)
    assert rows[("2026-03", "response")].value == 2.25


def pd_na():
    import pandas as pd

    return pd.NA


def test_scorecard_by_team_and_by_rep(engine, history):
    teams = card(engine, history["leader"], by="team")
    assert ratio(teams[("East", "first_touch")]) == (4, 6)
    assert ratio(teams[("West", "first_touch")]) == (2, 2)
    assert ("East", "mql_volume") not in teams
    reps = card(engine, history["leader"], by="rep")
    assert ratio(reps[("Ann", "first_touch")]) == (2, 3)
    assert ratio(reps[("Cy", "decision")]) == (2, 2)


def test_a_manager_sees_only_their_team_and_a_rep_no_scorecard(engine, history):
    teams = card(engine, history["manager"], by="team")
    assert {label for label, _ in teams} == {"East"}
    west = Filters(team_id=history["cy"].team_id)
    assert card(engine, history["manager"], by="team", filters=west) == {}
    with read_session(engine) as session, pytest.raises(Forbidden):
        scorecard(session, actor=history["ann"], filters=ALL, now=NOW)


def test_volume_against_the_company_and_segment_targets(engine, history):
    with read_session(engine) as session:
        frame = volume_vs_target(session, actor=history["leader"], filters=ALL, now=NOW)
        team = volume_vs_target(session, actor=history["manager"], filters=ALL, now=NOW)
    got = [(r.label, r.segment, r.mqls, r.target, r.met) for r in frame.itertuples()]
    assert got[:2] == [("2026-02", "All segments", 5, 3.0, True), ("2026-02", "SMB", 3, 2.0, True)]
    assert [(r.segment, r.mqls) for r in frame.itertuples()][2:] == [
        ("All segments", 3),
        ("SMB", 2),
    ]
    assert frame["met"].iloc[2:].isna().all()  # March is still running
    assert team["target"].isna().all()  # a team has no share of the company target


def test_breaches_name_the_lead_rep_deadline_and_business_hours_late(engine, history):
    leader = history["leader"]

    def found(kind):
        with read_session(engine) as session:
            return breaches(session, actor=leader, filters=ALL, kind=kind, now=NOW)

    late = found("late_touch")
    assert (late.loc[0, "name"], late.loc[0, "rep"], late.loc[0, "team"]) == (
        "P2 Test",
        "Ann",
        "East",
    )
    assert late.loc[0, "late_hours"] == 5.0  # Tue 13:00 -> 17:00 and Wed 9:00 -> 10:00 NY
    untouched = found("untouched")
    assert list(untouched["name"]) == ["P7 Test"]
    assert untouched.loc[0, "late_hours"] == 29.0  # Mon 14:00 EDT to Fri 11:00
    assert list(found("late_decision")["late_hours"]) == [1.0]
    assert list(found("no_decision")["name"]) == ["P4 Test"]
    short = found("too_few_attempts")
    assert (list(short["name"]), list(short["attempts"])) == (["P4 Test"], [1])


def test_empty_database_gives_empty_frames_with_their_columns(engine):
    leader = make_user(engine, "lea", Role.SALES_LEADER)
    with read_session(engine) as session:
        for by in ("month", "team", "rep"):
            frame = scorecard(session, actor=leader, filters=ALL, by=by, now=NOW)
            assert frame.empty and list(frame.columns) == SCORECARD_COLUMNS
        volume = volume_vs_target(session, actor=leader, filters=ALL, now=NOW)
        assert volume.empty and list(volume.columns) == VOLUME_COLUMNS
        found = breaches(session, actor=leader, filters=ALL, kind="untouched", now=NOW)
        assert found.empty and list(found.columns) == BREACH_COLUMNS
