"""Leads waiting in a team queue: handed out by a manager, on a rep's return, or taken by a
rep; caps, away reps, scope, and two reps taking at once."""

from __future__ import annotations

import threading
from datetime import timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from leaddash.core.actor import Actor
from leaddash.db import read_session, write_session
from leaddash.errors import Conflict, Forbidden
from leaddash.models import AuditLog, Role, Stage, User, utcnow
from leaddash.queue.availability import set_availability
from leaddash.queue.waiting import (
    assign_waiting_leads,
    count_team_waiting,
    count_waiting_leads,
    take_next_waiting_lead,
)
from leaddash.routing import RouteSummary
from tests.conftest import make_user
from tests.queue_factory import events_of, lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


def _set(engine: Engine, actor: Actor, **values) -> None:
    with write_session(engine) as session:
        user = session.get(User, actor.id)
        for key, value in values.items():
            setattr(user, key, value)


@pytest.fixture
def east(engine) -> SimpleNamespace:
    """Team East: reps Sam (cap 1) and Kim (away), its manager Max; team West: rep Wes and
    manager Wyn."""
    people = SimpleNamespace(
        sam=make_user(engine, "sam", Role.REP, team="East"),
        kim=make_user(engine, "kim", Role.REP, team="East"),
        max=make_user(engine, "max", Role.SALES_MANAGER, team="East"),
        wes=make_user(engine, "wes", Role.REP, team="West"),
        wyn=make_user(engine, "wyn", Role.SALES_MANAGER, team="West"),
    )
    _set(engine, people.sam, daily_cap=1)
    _set(engine, people.kim, is_away=True)
    return people


def _waiting(engine: Engine, people: SimpleNamespace, *names_and_hours: tuple[str, int]):
    return {
        name: make_lead(
            engine, None, team_id=people.sam.team_id, first=name, due_in=timedelta(hours=hours)
        )
        for name, hours in names_and_hours
    }


def _assign(engine: Engine, actor: Actor, team_id: int | None) -> RouteSummary:
    with write_session(engine) as session:
        return assign_waiting_leads(session, actor=actor, team_id=team_id)


def _take(engine: Engine, actor: Actor):
    with write_session(engine) as session:
        return take_next_waiting_lead(session, actor=actor)


def test_assign_now_gives_the_most_urgent_to_free_reps_and_says_what_still_waits(engine, east):
    leads = _waiting(engine, east, ("Later", 3), ("Late", -2), ("Soon", 1))

    summary = _assign(engine, east.max, east.max.team_id)

    assert summary == RouteSummary(routed=1, unassigned=2)
    assert lead_now(engine, leads["Late"].id).owner_id == east.sam.id  # the overdue one
    assert [lead_now(engine, leads[n].id).owner_id for n in ("Soon", "Later")] == [None, None]
    with read_session(engine) as session:
        assert count_waiting_leads(session, actor=east.max) == 2


def test_assign_now_deals_round_robin_and_skips_away_and_capped_reps(engine, east):
    _set(engine, east.sam, daily_cap=5)
    ann = make_user(engine, "ann", Role.REP, team="East")
    leads = _waiting(engine, east, ("A", 1), ("B", 2), ("C", 3), ("D", 4))

    summary = _assign(engine, east.max, east.max.team_id)

    owners = [lead_now(engine, leads[n].id).owner_id for n in "ABCD"]
    assert summary == RouteSummary(routed=4, unassigned=0)
    assert sorted(owners) == sorted([east.sam.id, east.sam.id, ann.id, ann.id])
    assert owners[0] != owners[1] and east.kim.id not in owners
    assert all(lead_now(engine, leads[n].id).stage == Stage.MQL for n in "ABCD")


def test_assign_now_leaves_other_teams_and_owned_leads_alone(engine, east):
    west = make_lead(engine, None, team_id=east.wes.team_id, first="Wendy")
    mine = make_lead(engine, east.kim, first="Kept")

    summary = _assign(engine, east.max, east.max.team_id)

    assert summary == RouteSummary(routed=0, unassigned=0)
    assert lead_now(engine, west.id).owner_id is None
    assert lead_now(engine, mine.id).owner_id == east.kim.id


def test_a_sales_leader_assigns_every_teams_waiting_leads_in_one_go(engine, east):
    leader = make_user(engine, "lea", Role.SALES_LEADER)
    west = make_lead(engine, None, team_id=east.wes.team_id, first="Wendy")
    here = _waiting(engine, east, ("Ann", 1))["Ann"]

    summary = _assign(engine, leader, None)

    assert summary == RouteSummary(routed=2, unassigned=0)
    assert lead_now(engine, west.id).owner_id == east.wes.id
    assert lead_now(engine, here.id).owner_id == east.sam.id
    with read_session(engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "lead.assign_waiting")).one()
    assert (audit.actor_id, audit.after["routed"]) == (leader.id, 2)


@pytest.mark.parametrize(
    "who, message",
    [
        ("wyn", "A sales manager sees only their own team's leads"),
        ("sam", "A rep may not assign the leads waiting in a team queue"),
    ],
)
def test_only_the_teams_manager_or_a_leader_may_assign_its_waiting_leads(
    engine, east, who, message
):
    lead = _waiting(engine, east, ("Ann", 1))["Ann"]

    with pytest.raises(Forbidden, match=message):
        _assign(engine, getattr(east, who), east.sam.team_id)

    assert lead_now(engine, lead.id).owner_id is None


def test_a_rep_back_from_away_gets_the_waiting_leads_at_once(engine, east):
    _set(engine, east.sam, daily_cap=0)
    leads = _waiting(engine, east, ("Ann", 1), ("Bob", 2))

    with write_session(engine) as session:
        kim = session.get(User, east.kim.id)
        set_availability(
            session,
            actor=east.max,
            user_id=kim.id,
            expected_version=kim.version,
            is_away=False,
            daily_cap=kim.daily_cap,
        )

    assert [lead_now(engine, lead.id).owner_id for lead in leads.values()] == [east.kim.id] * 2


def test_a_higher_cap_hands_out_only_as_many_as_the_new_cap(engine, east):
    _set(engine, east.sam, daily_cap=0)
    leads = _waiting(engine, east, ("Ann", 1), ("Bob", 2), ("Cy", 3))

    with write_session(engine) as session:
        sam = session.get(User, east.sam.id)
        set_availability(
            session,
            actor=east.max,
            user_id=sam.id,
            expected_version=sam.version,
            is_away=False,
            daily_cap=2,
        )

    owners = [lead_now(engine, lead.id).owner_id for lead in leads.values()]
    assert owners == [east.sam.id, east.sam.id, None]


def test_going_away_hands_out_nothing(engine, east):
    _set(engine, east.sam, daily_cap=0)
    _set(engine, east.kim, is_away=False, daily_cap=0)
    lead = _waiting(engine, east, ("Ann", 1))["Ann"]
    _set(engine, east.kim, daily_cap=3)  # free, but only a save that frees someone assigns

    with write_session(engine) as session:
        sam = session.get(User, east.sam.id)
        set_availability(
            session,
            actor=east.max,
            user_id=sam.id,
            expected_version=sam.version,
            is_away=True,
            daily_cap=0,
        )

    assert lead_now(engine, lead.id).owner_id is None


def test_a_rep_takes_the_most_overdue_waiting_lead(engine, east):
    leads = _waiting(engine, east, ("Soon", 1), ("Late", -3), ("Later", 4))
    with read_session(engine) as session:
        assert count_team_waiting(session, actor=east.sam) == 3

    result = _take(engine, east.sam)

    late = lead_now(engine, leads["Late"].id)
    assert result.message == "You took Late Lee from the team queue: it is yours to call now."
    assert (result.lead_id, late.owner_id, late.stage) == (late.id, east.sam.id, Stage.ACCEPTED)
    assert events_of(engine, late.id) == [(Stage.MQL, Stage.ACCEPTED)]
    assert lead_now(engine, leads["Soon"].id).owner_id is None


def test_taking_when_nothing_waits_returns_none_and_other_teams_are_not_touched(engine, east):
    west = make_lead(engine, None, team_id=east.wes.team_id, first="Wendy")

    assert _take(engine, east.sam) is None
    assert lead_now(engine, west.id).owner_id is None


def test_a_rep_at_their_daily_cap_is_told_and_takes_nothing(engine, east):
    _waiting(engine, east, ("Ann", 1))
    make_lead(engine, east.sam, first="Mine", assigned_at=utcnow())

    with pytest.raises(Conflict, match="daily cap is 1, so you cannot take another"):
        _take(engine, east.sam)

    with read_session(engine) as session:
        assert count_team_waiting(session, actor=east.sam) == 1


@pytest.mark.parametrize(
    "who, message",
    [
        ("max", "A sales manager may not take leads from the team queue"),
        ("loner", "You are in no team"),
    ],
)
def test_only_a_rep_of_a_team_may_take_a_waiting_lead(engine, east, who, message):
    actor = make_user(engine, "loner", Role.REP) if who == "loner" else east.max
    lead = _waiting(engine, east, ("Ann", 1))["Ann"]

    with pytest.raises(Forbidden, match=message):
        _take(engine, actor)

    assert lead_now(engine, lead.id).owner_id is None


@pytest.mark.parametrize("waiting", [1, 2])
def test_two_reps_taking_at_once_never_get_the_same_lead(engine, east, waiting):
    _set(engine, east.kim, is_away=False)
    leads = _waiting(engine, east, *((f"L{i}", i) for i in range(waiting)))
    start, outcomes = threading.Barrier(2), {}

    def take(actor: Actor) -> None:
        start.wait()
        result = _take(engine, actor)
        outcomes[actor.username] = result.lead_id if result else None

    threads = [threading.Thread(target=take, args=(rep,)) for rep in (east.sam, east.kim)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    taken = [lead_id for lead_id in outcomes.values() if lead_id is not None]
    assert len(outcomes) == 2 and len(taken) == len(set(taken)) == waiting
    for lead in leads.values():
        assert events_of(engine, lead.id) == [(Stage.MQL, Stage.ACCEPTED)]
