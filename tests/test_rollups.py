"""The rollups: kept equal to a recount by every writer, and summed (with the live
correction for deadlines still ahead) to exactly what counting LeadPass gives."""

from __future__ import annotations

import pandas as pd
import pytest
from sqlalchemy import select

from leaddash.analytics import funnel_rollups, responses, rollups
from leaddash.analytics.calibration import reason_mix, rep_calibration
from leaddash.analytics.feedback import reasons_by
from leaddash.analytics.filters import Filters
from leaddash.analytics.funnel import velocity
from leaddash.analytics.sla import scorecard, volume_vs_target
from leaddash.db import read_session, write_session
from leaddash.fact_tables import MixRollup, RepRollup
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.models import Role
from tests.conftest import make_user
from tests.pass_factory import SLA, activate, add_pass, at, small_sla
from tests.test_facts_hooks import (
    _queue_actions,
    _rescoring,
    _setup,
    _team_and_disputes,
)

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

ALL = Filters()


def rollup_rows(engine) -> dict[str, list[tuple]]:
    """Return every row of every rollup (passes, responses, stages, steps, leaks), sorted."""
    tables = [
        *(r.table for r in rollups.ROLLUPS),
        rollups.RESPONSES,
        funnel_rollups.STAGE_ROLLUP,
        funnel_rollups.STEP_ROLLUP,
        funnel_rollups.LEAK_ROLLUP,
    ]
    with read_session(engine) as session:
        return {
            table.name: sorted(tuple(row) for row in session.connection().execute(select(table)))
            for table in tables
        }


def test_after_every_kind_of_action_the_rollups_equal_a_recount(engine):
    people = _setup(engine)
    _rescoring(engine)
    leads = _queue_actions(engine, people)
    _team_and_disputes(engine, people, leads)
    kept = rollup_rows(engine)

    with write_session(engine) as session:
        rebuild_all_facts(session)

    assert rollup_rows(engine) == kept
    assert sum(row[0] for row in kept["reprollup"]) == 8  # every MQL pass counted once
    assert all(row[0] > 0 for name in ("reprollup", "mixrollup") for row in kept[name])
    assert all(row[-1] > 0 for row in kept["responserollup"])  # no empty group left
    entered = {row[7]: 0 for row in kept["stagerollup"]}
    for row in kept["stagerollup"]:
        entered[row[7]] += row[8]
    assert entered["inquiry"] == 8 and entered["validated"] == 1  # Val alone validated


@pytest.fixture
def history(engine):
    """Passes of two reps whose deadlines fall before, between and after the nows used."""
    activate(engine, SLA, small_sla())
    ann = make_user(engine, "ann", Role.REP, team="East")
    bob = make_user(engine, "bob", Role.REP, team="East")
    for n, (rep, source) in enumerate([(ann, "Web"), (ann, "Event"), (bob, "Web")] * 3):
        day = 2 + 3 * n
        verdict = (
            {"validated_at": f"2026-03-{day + 1:02d} 16:00"}
            if n % 3 == 0
            else {
                "exit_stage": "disqualified",
                "exit_reason": "unable_to_reach",
                "exit_at": f"2026-03-{day + 2:02d} 16:00",
                "attempts": n % 4,
            }
            if n % 3 == 1
            else {}
        )
        touch = {"first_touch_at": f"2026-03-{day:02d} 17:00"} if n % 2 else {}
        add_pass(
            engine,
            f"L{n}",
            owner_id=rep.id,
            team_id=rep.team_id,
            source=source,
            segment="SMB",
            is_sample=n == 4,
            mql_at=f"2026-03-{day:02d} 14:00",
            touch_due_at=f"2026-03-{day:02d} 18:00",
            decision_due_at=f"2026-03-{day + 4:02d} 18:00",
            response_hours=1.0 + n,
            **verdict,
            **touch,
        )
    return {"ann": ann, "bob": bob, "leader": make_user(engine, "lea", Role.SALES_LEADER)}


def _every_metric(engine, actor, filters, now) -> list[pd.DataFrame]:
    with read_session(engine) as session:
        return [
            *(
                scorecard(session, actor=actor, filters=filters, by=by, now=now)
                for by in ("month", "team", "rep")
            ),
            volume_vs_target(session, actor=actor, filters=filters, now=now),
            rep_calibration(session, actor=actor, filters=filters, now=now),
            reason_mix(session, actor=actor, filters=filters, now=now),
            *(
                reasons_by(session, actor=actor, filters=filters, by=by, now=now)
                for by in ("source", "month", "clause")
            ),
        ]


@pytest.mark.parametrize("now", ["2026-03-10 12:00", "2026-03-20 17:00", "2026-05-01 00:00"])
def test_the_rollups_answer_what_counting_leadpass_answers_at_any_now(
    engine, history, now, monkeypatch
):
    leader = history["leader"]
    filters = [ALL, Filters(owner_id=history["bob"].id), Filters(source="Web")]
    summed = [_every_metric(engine, leader, f, at(now)) for f in filters]
    monkeypatch.setattr(rollups, "ROLLUPS", ())  # every query reads LeadPass
    monkeypatch.setattr(responses, "RESPONSE_DIMS", ())

    counted = [_every_metric(engine, leader, f, at(now)) for f in filters]

    for ours, theirs in zip(summed, counted, strict=True):
        for mine, truth in zip(ours, theirs, strict=True):
            pd.testing.assert_frame_equal(
                mine.reset_index(drop=True), truth.reset_index(drop=True), check_dtype=False
            )
    assert summed[0][0]["denominator"].fillna(0).sum() > 0  # something was due


def test_the_planner_picks_the_smallest_rollup_holding_the_query(engine):
    leader = make_user(engine, "lea", Role.SALES_LEADER)
    manager = make_user(engine, "max", Role.SALES_MANAGER, team="East")

    def picked(actor, filters, dims, min_attempts=3):
        found = rollups.plan(actor, filters, dims, min_attempts)
        return None if found is None else found.table.name

    assert picked(leader, ALL, ["mql_month"]) == MixRollup.__tablename__
    assert picked(manager, Filters(source="Web"), ["segment"]) == MixRollup.__tablename__
    assert picked(manager, ALL, ["owner_id"]) == RepRollup.__tablename__
    assert picked(leader, Filters(source="Web"), ["owner_id"]) is None  # no rollup has both
    assert picked(leader, ALL, ["mql_month"], min_attempts=9) is None  # beyond stored levels


def test_a_median_response_beyond_the_histogram_is_read_exactly(engine):
    leader = make_user(engine, "lea", Role.SALES_LEADER)
    for n, hours in enumerate([2.1, 95.0, 130.0]):
        add_pass(engine, f"R{n}", mql_at="2026-03-02 14:00", response_hours=hours)
    add_pass(engine, "R3", mql_at="2026-04-02 14:00", response_hours=2.1)

    with read_session(engine) as session:
        found = responses.response_medians(session, actor=leader, filters=ALL, key="mql_month")

    assert found.loc[202603].tolist() == [95.0, 3]  # past the 80 h cap: LeadPass, exact
    assert found.loc[202604].tolist() == [2.1, 1]


def test_velocity_reads_the_step_histogram_at_its_resolution_and_a_rep_exactly(engine):
    leader = make_user(engine, "lea", Role.SALES_LEADER)
    ann = make_user(engine, "ann", Role.REP, team="East")
    for name, mql_at in (("Quick", "2026-03-05 13:00"), ("Slow", "2026-04-04 13:00")):
        add_pass(
            engine,
            name,
            owner_id=ann.id,
            team_id=ann.team_id,
            inquiry_month=202603,
            inquiry_at="2026-03-03 00:00",
            mql_at=mql_at,
        )  # 61 h and 781 h

    with read_session(engine) as session:
        bucketed = velocity(session, actor=leader, filters=ALL)
        exact = velocity(session, actor=leader, filters=Filters(owner_id=ann.id))

    # 61 h falls in a six-hour bucket (60 h), 781 h in a day bucket (33 days)
    assert bucketed.values.tolist() == [["inquiry → mql", (60 + 33 * 24) / 2 / 24, 2]]
    assert exact["median_days"].tolist() == pytest.approx([(61 + 781) / 2 / 24], abs=1e-6)
