"""The worker's periodic jobs: each sales manager's daily digest, and the review sent to
both sides' leaders once per period of the SLA's review cadence."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leaddash.db import write_session
from leaddash.models import AgreementVersion, Lead, Role, Stage
from leaddash.notify.events import Event
from leaddash.notify.jobs import daily_digest, periodic_review
from tests.notify_factory import activate_default_sla, outbox, person, utc

MONDAY_10_NY = utc("2026-12-07 15:00")
MONDAY_EVENING = utc("2026-12-07 23:30")


MINUTE_AGO = timedelta(minutes=1)


def _lead(
    engine, team_id, *, touch_due, touched=None, decision_due=None, warn=None, stage=Stage.MQL
):
    with write_session(engine) as session:
        session.add(
            Lead(
                first_name="L",
                stage=stage,
                team_id=team_id,
                mql_at=MONDAY_10_NY - timedelta(days=2),
                touch_due_at=touch_due,
                touch_warn_at=warn,
                first_touch_at=touched,
                decision_due_at=decision_due or MONDAY_10_NY + timedelta(days=9),
            )
        )


def _run(engine, job, now):
    with write_session(engine) as session:
        return job(session, now)


@pytest.fixture
def east(engine):
    activate_default_sla(engine)
    return {
        "manager": person(engine, "eve", Role.SALES_MANAGER, team="East"),
        "west": person(engine, "wes", Role.SALES_MANAGER, team="West"),
        "rep": person(engine, "ana", Role.REP, team="East"),
    }


def test_the_daily_digest_counts_the_managers_team_breaches_and_leads_at_risk(engine, east):
    team, now = east["manager"].team_id, MONDAY_10_NY
    leads = [
        {"touch_due": now - timedelta(hours=2)},  # breached: untouched past its deadline
        {
            "touch_due": now - timedelta(days=3),
            "touched": now - timedelta(days=4),
            "decision_due": now - timedelta(hours=1),
        },  # breached: no decision in time
        {"touch_due": now + timedelta(hours=1), "warn": now - timedelta(hours=2)},  # at risk
        {"touch_due": now + timedelta(hours=3), "warn": now + timedelta(hours=1)},  # neither
        {"touch_due": now + timedelta(hours=3)},  # no warning point stored: neither
        {"touch_due": now - timedelta(hours=5), "stage": Stage.REJECTED},  # closed
    ]
    for values in leads:
        _lead(engine, team, **values)
    _lead(engine, east["west"].team_id, touch_due=now + timedelta(hours=1), warn=now - MINUTE_AGO)
    open_ones = [v for v in leads if v.get("stage", Stage.MQL) == Stage.MQL]
    breached = sum(
        1
        for v in open_ones
        if (v.get("touched") is None and v["touch_due"] < now)
        or v.get("decision_due", now + timedelta(days=9)) < now
    )
    at_risk = sum(
        1
        for v in open_ones
        if v.get("touched") is None and now <= v["touch_due"] and v.get("warn") and v["warn"] <= now
    )

    _run(engine, daily_digest, now)
    again = _run(engine, daily_digest, now + timedelta(hours=1))

    rows = outbox(engine)
    assert again == 0
    assert [(r.user_id, r.event) for r in rows] == [
        (east["manager"].id, Event.DAILY_DIGEST),
        (east["west"].id, Event.DAILY_DIGEST),
    ]
    assert rows[0].subject == f"Your team today: {breached} breached, {at_risk} at risk"
    assert rows[1].subject == "Your team today: 0 breached, 1 at risk"


def test_no_digest_outside_business_hours_and_a_new_one_the_next_day(engine, east):
    _lead(engine, east["manager"].team_id, touch_due=MONDAY_10_NY - timedelta(hours=1))

    evening = _run(engine, daily_digest, MONDAY_EVENING)
    tuesday = _run(engine, daily_digest, MONDAY_10_NY + timedelta(days=1))

    assert (evening, tuesday) == (0, 1)


def test_a_manager_with_nothing_breached_or_at_risk_gets_no_digest(engine, east):
    assert _run(engine, daily_digest, MONDAY_10_NY) == 0


@pytest.mark.parametrize(
    ("cadence", "next_period"),
    [("monthly", timedelta(days=31)), ("weekly", timedelta(days=7))],
)
def test_the_review_goes_to_both_leaders_once_per_period_of_the_cadence(
    engine, east, cadence, next_period
):
    leaders = [
        person(engine, "mal", Role.MARKETING_LEADER),
        person(engine, "lee", Role.SALES_LEADER),
    ]
    with write_session(engine) as session:
        sla = session.exec(select(AgreementVersion)).one()
        sla.content = {**sla.content, "review_cadence": cadence}

    first = _run(engine, periodic_review, MONDAY_10_NY)
    same_period = _run(engine, periodic_review, MONDAY_10_NY + timedelta(days=1))
    next_one = _run(engine, periodic_review, MONDAY_10_NY + next_period)

    rows = outbox(engine)
    assert (first, same_period, next_one) == (2, 0, 2)
    assert sorted(r.user_id for r in rows[:2]) == sorted(p.id for p in leaders)
    assert {r.event for r in rows} == {Event.REVIEW}
    assert rows[0].subject == "Monthly lead review: November 2026"
    assert rows[0].html.startswith("<!DOCTYPE html>")
    assert f"The {cadence} lead review" in rows[0].body
