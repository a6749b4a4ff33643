"""The routing rules an admin edits and the reps' availability managers set."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leaddash.db import read_session, write_session
from leaddash.errors import Conflict, Forbidden, InvalidInput
from leaddash.models import Role, Team, User
from leaddash.queue.availability import list_availability, set_availability
from leaddash.routing import (
    RuleInput,
    create_rule,
    delete_rule,
    describe_rule,
    list_rules,
    preview_team,
    update_rule,
)
from tests.conftest import make_user
from tests.test_routing import NOW, add_team, mqls


def _team_id(engine, name: str) -> int:
    with read_session(engine) as session:
        return session.exec(select(Team.id).where(Team.name == name)).one()


@pytest.fixture
def boss(engine):
    return make_user(engine, "boss", Role.ADMIN)


@pytest.fixture
def teams(engine):
    add_team(engine, "East", 2)
    add_team(engine, "Enterprise", 1)
    return {name: _team_id(engine, name) for name in ("East", "Enterprise")}


def _create(engine, actor, **fields) -> int:
    with write_session(engine) as session:
        return create_rule(session, actor=actor, rule=RuleInput(**fields)).id


def test_rules_are_listed_in_priority_order_in_plain_words(engine, boss, teams):
    _create(engine, boss, priority=100, team_id=teams["East"])
    _create(engine, boss, priority=10, team_id=teams["Enterprise"], segment=" Enterprise ")
    _create(
        engine,
        boss,
        priority=20,
        team_id=teams["East"],
        country="DE",
        min_employees=50,
        max_employees=1000,
    )
    with read_session(engine) as session:
        rows = list_rules(session, actor=boss)
    assert [r.description for r in rows] == [
        "Enterprise leads → Enterprise team",
        "Leads from DE with 50–1,000 employees → East team",
        "Every lead → East team",
    ]


def test_only_an_admin_may_see_or_change_the_rules(engine, teams):
    leader = make_user(engine, "lea", Role.SALES_LEADER)
    with pytest.raises(Forbidden, match="A sales leader may not change the routing rules"):
        _create(engine, leader, priority=1, team_id=teams["East"])
    with read_session(engine) as session, pytest.raises(Forbidden):
        list_rules(session, actor=leader)


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"priority": "high"}, "priority", "whole number from 0 to 100,000"),
        ({"team_id": 999}, "team_id", "Choose a team that exists"),
        (
            {"min_employees": 500, "max_employees": 50},
            "max_employees",
            r"minimum employees \(500\) is above",
        ),
        ({"min_employees": -1}, "min_employees", "minimum employees must be a whole number"),
        ({"country": "<b>DE</b>"}, "country", "The country must be plain text"),
    ],
)
def test_bad_rules_are_refused_naming_the_field(engine, boss, teams, fields, field, message):
    with pytest.raises(InvalidInput, match=message) as refused:
        _create(engine, boss, **{"priority": 5, "team_id": teams["East"], **fields})
    assert refused.value.field == field


def test_a_stale_rule_edit_is_refused_saying_who_changed_what(engine, boss, teams):
    rule_id = _create(engine, boss, priority=20, team_id=teams["East"], country="DE")
    other = make_user(engine, "dana", Role.ADMIN)
    with write_session(engine) as session:
        update_rule(
            session,
            actor=other,
            rule_id=rule_id,
            expected_version=1,
            rule=RuleInput(priority=15, team_id=teams["Enterprise"], country="DE"),
        )
    with write_session(engine) as session, pytest.raises(Conflict) as refused:
        update_rule(
            session,
            actor=boss,
            rule_id=rule_id,
            expected_version=1,
            rule=RuleInput(priority=30, team_id=teams["East"], country="FR"),
        )
    assert refused.value.message.startswith("Dana changed this routing rule on ")
    assert (
        "(priority: 20 → 15, team: East → Enterprise). Nothing was saved." in refused.value.message
    )
    with read_session(engine) as session:
        assert [r.description for r in list_rules(session, actor=boss)] == [
            "Leads from DE → Enterprise team"
        ]


def test_a_deleted_rule_no_longer_routes(engine, boss, teams):
    rule_id = _create(engine, boss, priority=20, team_id=teams["East"], country="DE")
    with read_session(engine) as session:
        before = preview_team(session, actor=boss, segment=None, country="de", employees=None)
    with write_session(engine) as session:
        delete_rule(session, actor=boss, rule_id=rule_id, expected_version=1)
    with read_session(engine) as session:
        after = preview_team(session, actor=boss, segment=None, country="DE", employees=None)
    assert before == (
        "Goes to the East team, by the rule “Leads from DE → East team” (priority 20)."
    )
    assert after.startswith("No active rule matches this lead")


def test_an_inactive_rule_is_listed_but_skipped(engine, boss, teams):
    _create(engine, boss, priority=1, team_id=teams["Enterprise"], is_active=False)
    _create(engine, boss, priority=2, team_id=teams["East"])
    with read_session(engine) as session:
        shown = preview_team(session, actor=boss, segment="SMB", country=None, employees=10)
        assert len(list_rules(session, actor=boss)) == 2
    assert shown.startswith("Goes to the East team")


def test_describe_rule_names_open_ended_employee_bands():
    up_to = RuleInput(priority=1, team_id=1, max_employees=49)
    assert describe_rule(up_to, "West") == "Leads with up to 49 employees → West team"
    assert (
        describe_rule(RuleInput(priority=1, team_id=1, segment="SMB", min_employees=1000), "East")
        == "SMB leads with 1,000+ employees → East team"
    )


# --- availability ------------------------------------------------------------------------


def test_a_manager_sets_the_availability_of_their_own_reps_only(engine):
    east = add_team(engine, "East", 1)
    west = add_team(engine, "West", 1)
    manager = make_user(engine, "mo", Role.SALES_MANAGER, team="East")
    with write_session(engine) as session:
        set_availability(
            session, actor=manager, user_id=east[0], expected_version=1, is_away=True, daily_cap=10
        )
    with write_session(engine) as session, pytest.raises(Forbidden, match="not in your team"):
        set_availability(
            session, actor=manager, user_id=west[0], expected_version=1, is_away=True, daily_cap=10
        )
    with read_session(engine) as session:
        shown = list_availability(session, actor=manager, at=NOW)
        rep = session.get(User, east[0])
    assert [(r.username, r.is_away, r.daily_cap) for r in shown] == [("east1", True, 10)]
    assert (rep.is_away, rep.daily_cap) == (True, 10)


def test_a_sales_leader_sees_every_rep_with_leads_assigned_today(engine):
    east = add_team(engine, "East", 2)
    mqls(engine, 2, owner_id=east[1], assigned_at=NOW)
    leader = make_user(engine, "lea", Role.SALES_LEADER)
    with read_session(engine) as session:
        shown = list_availability(session, actor=leader, at=NOW)
    assert [(r.username, r.assigned_today) for r in shown] == [("east1", 0), ("east2", 2)]


def test_reps_and_marketing_may_not_change_availability(engine):
    east = add_team(engine, "East", 1)
    for role in (Role.REP, Role.MARKETING):
        actor = make_user(engine, f"x{role.value[:3]}", role, team="East")
        with write_session(engine) as session, pytest.raises(Forbidden):
            set_availability(
                session, actor=actor, user_id=east[0], expected_version=1, is_away=True, daily_cap=1
            )


@pytest.mark.parametrize("cap", [-1, 501])
def test_a_daily_cap_outside_0_to_500_is_refused(engine, boss, cap):
    east = add_team(engine, "East", 1)
    with write_session(engine) as session, pytest.raises(InvalidInput, match="0 to 500"):
        set_availability(
            session, actor=boss, user_id=east[0], expected_version=1, is_away=False, daily_cap=cap
        )


def test_a_stale_availability_change_is_refused(engine, boss):
    east = add_team(engine, "East", 1)
    with write_session(engine) as session:
        set_availability(
            session, actor=boss, user_id=east[0], expected_version=1, is_away=True, daily_cap=5
        )
    with write_session(engine) as session, pytest.raises(Conflict, match="East1"):
        set_availability(
            session, actor=boss, user_id=east[0], expected_version=1, is_away=False, daily_cap=9
        )
