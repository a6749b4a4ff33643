"""AppTest runs of the Team queue page: scope, reassigning one and many, breaches, exports."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leaddash.auth import find_active_actor
from leaddash.db import read_session, write_session
from leaddash.models import Role, User
from leaddash.queue.team import reassign_leads
from leaddash.ui.team_queue import (
    ASSIGN_KEY,
    BREACH_TABLE_KEY,
    NONE_WAITING,
    PICK_ROWS,
    PICK_TARGET,
    TABLE_KEY,
)
from tests.apptest import app_as, link_names, texts
from tests.conftest import make_user
from tests.queue_factory import lead_now, make_lead

PAGE = "pages/team_queue.py"


@pytest.fixture
def team(app_db):
    """Leads of team East (rep "rep", rep Ben, one unassigned) and one of team West."""
    with read_session(app_db) as session:
        rep = find_active_actor(session, "rep")
    ben = make_user(app_db, "ben", Role.REP, team="East")
    cy = make_user(app_db, "cy", Role.REP, team="West")
    return {
        "rep": rep,
        "ben": ben,
        "cy": cy,
        "late": make_lead(app_db, rep, first="Late", due_in=timedelta(hours=-4)),
        "soon": make_lead(app_db, rep, first="Soon"),
        "waiting": make_lead(app_db, None, team_id=rep.team_id, first="Waiting"),
        "west": make_lead(app_db, cy, first="Wendy"),
    }


def _leads_shown(at) -> list[str]:
    return link_names(at.dataframe[0].value["Lead"])


def _select(at, rows: list[int]):
    at.session_state[TABLE_KEY] = {"selection": {"rows": rows, "columns": [], "cells": []}}
    return at.run()


def _reassign_to(at, label: str):
    picker = next(s for s in at.selectbox if s.label.startswith("Give the"))
    picker.select_index(picker.options.index(label))
    at.run()
    next(b for b in at.button if b.label.startswith("Reassign")).click()
    return at.run()


def test_the_reassign_picker_starts_empty_and_the_button_asks_for_a_pick(team):
    at = _select(app_as("sales_manager", PAGE), [0])

    picker = next(s for s in at.selectbox if s.label.startswith("Give the"))
    assert picker.value is None
    button = next(b for b in at.button if b.label == PICK_TARGET)
    assert button.disabled
    assert not [b for b in at.button if b.label.startswith("Reassign")]


def test_selections_clear_after_a_reassignment(app_db, team):
    at = _select(app_as("sales_manager", PAGE), [0])

    at = _reassign_to(at, "Ben (East)")

    assert not at.exception, at.exception
    assert [t.value for t in at.text] == []
    assert PICK_ROWS in texts(at)
    assert not [s for s in at.selectbox if s.label.startswith("Give the")]


def test_a_breached_lead_is_reassigned_from_the_breach_list(app_db, team):
    at = app_as("sales_manager", PAGE)
    breaches = at.dataframe[1].value
    assert link_names(breaches["Lead"]) == ["Late Lee"]
    assert list(breaches["Missed by"]) == [team["rep"].name]
    at.session_state[BREACH_TABLE_KEY] = {"selection": {"rows": [0], "columns": [], "cells": []}}
    at.run()

    at = _reassign_to(at, "Ben (East)")

    assert not at.exception, at.exception
    assert "Reassigned 1 lead to Ben (East)." in texts(at)
    assert _owner(app_db, team, "late") == team["ben"].id
    assert lead_now(app_db, team["late"].id).touch_missed_by_id == team["rep"].id


def _owner(engine, team, name) -> int | None:
    return lead_now(engine, team[name].id).owner_id


def test_a_manager_sees_only_their_team_overdue_first(team):
    at = app_as("sales_manager", PAGE)

    assert not at.exception, at.exception
    assert _leads_shown(at) == ["Late Lee", "Soon Lee", "Waiting Lee"]
    assert {m.label: m.value for m in at.metric}["Overdue"] == "1"
    assert PICK_ROWS in texts(at)
    assert "Wendy" not in " ".join(at.selectbox[1].options)


def test_a_manager_reassigns_one_lead_to_another_rep(app_db, team):
    at = _select(app_as("sales_manager", PAGE), [0])
    assert [t.value for t in at.text] == ["Selected: Late Lee"]

    at = _reassign_to(at, "Ben (East)")

    assert not at.exception, at.exception
    assert "Reassigned 1 lead to Ben (East)." in texts(at)
    assert _owner(app_db, team, "late") == team["ben"].id
    assert _owner(app_db, team, "soon") == team["rep"].id


def test_a_manager_reassigns_many_leads_at_once(app_db, team):
    at = _select(app_as("sales_manager", PAGE), [1, 2])

    at = _reassign_to(at, "Ben (East)")

    assert not at.exception, at.exception
    assert "Reassigned 2 leads to Ben (East)." in texts(at)
    assert _owner(app_db, team, "soon") == _owner(app_db, team, "waiting") == team["ben"].id
    assert _owner(app_db, team, "late") == team["rep"].id


def test_a_manager_is_offered_only_their_teams_reps(team):
    at = _select(app_as("sales_manager", PAGE), [0])

    picker = next(s for s in at.selectbox if s.label.startswith("Give the"))
    assert picker.options == ["Ben (East)", "Rep (East)", "East team queue, unassigned"]


def test_a_lead_changed_meanwhile_is_named_and_nothing_moves(app_db, team):
    at = _select(app_as("sales_leader", PAGE), [0, 1])

    with write_session(app_db) as session:
        leader = find_active_actor(session, "sales_leader")
        reassign_leads(session, actor=leader, versions={team["soon"].id: 1}, owner_id=team["cy"].id)
    at = _reassign_to(at, "Ben (East)")

    assert not at.exception, at.exception
    assert "Soon Lee was reassigned by Sales_Leader" in texts(at)
    assert _owner(app_db, team, "late") == team["rep"].id


def test_a_sales_leader_sees_every_team_and_the_breaches(team):
    at = app_as("sales_leader", PAGE)

    assert not at.exception, at.exception
    assert sorted(_leads_shown(at)) == ["Late Lee", "Soon Lee", "Waiting Lee", "Wendy Lee"]
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Untouched past the first-touch deadline"] == "1"
    assert metrics["Undecided past the decision deadline"] == "0"
    assert link_names(at.dataframe[1].value["Lead"]) == ["Late Lee"]
    assert [b.proto.label for b in at.get("download_button")] == [
        "Download the queue (CSV)",
        "Download the decisions (CSV)",
    ]


def test_filters_narrow_the_table(team):
    at = app_as("sales_leader", PAGE)
    next(c for c in at.checkbox if c.label == "Overdue only").check()
    at.run()

    assert _leads_shown(at) == ["Late Lee"]


@pytest.mark.parametrize("role", ["rep", "marketing", "marketing_leader"])
def test_roles_outside_sales_management_cannot_open_the_page(app_db, role):
    at = app_as(role)

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_a_manager_assigns_the_waiting_leads_with_one_click(app_db, team):
    at = app_as("sales_manager", PAGE)
    assert "1 lead waits unassigned in the team queue." in texts(at)

    at = at.button(key=ASSIGN_KEY).click().run()

    assert not at.exception, at.exception
    assert "1 assigned: no lead waits in the team queue any more." in texts(at)
    assert NONE_WAITING in texts(at)
    assert _owner(app_db, team, "waiting") in (team["rep"].id, team["ben"].id)


def test_assigning_when_every_rep_is_full_says_why_leads_still_wait(app_db, team):
    with write_session(app_db) as session:
        for rep in session.exec(select(User).where(User.role == Role.REP)):
            rep.daily_cap = 0
    make_lead(app_db, None, team_id=team["rep"].team_id, first="Second")
    at = app_as("sales_manager", PAGE)

    at = at.button(key=ASSIGN_KEY).click().run()

    assert not at.exception, at.exception
    assert "0 assigned, 2 still waiting: every rep is away or at their cap." in texts(at)
    assert "2 leads wait unassigned in the team queue." in texts(at)
    assert _owner(app_db, team, "waiting") is None
