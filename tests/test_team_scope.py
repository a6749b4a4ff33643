"""One team-scope rule (leaddash.auth.team_scope) for the dashboards and the team queue."""

from __future__ import annotations

import pytest

from leaddash.auth import DASHBOARDS, NO_TEAM, TEAM_QUEUE, team_scope
from leaddash.core.actor import Actor
from leaddash.errors import Forbidden
from leaddash.models import Role

EAST, WEST = 1, 2


def _actor(role: Role, team_id: int | None = EAST) -> Actor:
    return Actor(id=7, username=str(role), role=role, team_id=team_id)


@pytest.mark.parametrize("scope", [DASHBOARDS, TEAM_QUEUE])
@pytest.mark.parametrize("asked", [None, WEST])
def test_a_sales_leader_sees_the_team_asked_for_or_every_team(scope, asked):
    assert team_scope(_actor(Role.SALES_LEADER), scope, asked) == asked


@pytest.mark.parametrize("scope", [DASHBOARDS, TEAM_QUEUE])
@pytest.mark.parametrize("asked", [None, EAST])
def test_a_sales_manager_sees_their_own_team(scope, asked):
    assert team_scope(_actor(Role.SALES_MANAGER), scope, asked) == EAST


def test_a_sales_manager_asking_for_another_team_is_refused():
    with pytest.raises(
        Forbidden,
        match=r"^A sales manager sees only their own team's leads\. "
        r"Ask a sales leader about other teams\.$",
    ):
        team_scope(_actor(Role.SALES_MANAGER), TEAM_QUEUE, WEST)


def test_a_sales_manager_without_a_team_sees_empty_dashboards():
    assert team_scope(_actor(Role.SALES_MANAGER, team_id=None), DASHBOARDS) == NO_TEAM


def test_a_sales_manager_without_a_team_is_told_why_there_is_no_queue():
    with pytest.raises(
        Forbidden,
        match=r"^You are a sales manager without a team, so there is no queue to show\. "
        r"Ask an admin to put you in your team\.$",
    ):
        team_scope(_actor(Role.SALES_MANAGER, team_id=None), TEAM_QUEUE)


@pytest.mark.parametrize(
    ("scope", "what"),
    [(DASHBOARDS, "see team dashboards"), (TEAM_QUEUE, "see a team's lead queue")],
)
def test_a_rep_is_refused_both_scopes(scope, what):
    with pytest.raises(Forbidden, match=f"^A rep may not {what}. Ask someone with the right"):
        team_scope(_actor(Role.REP), scope)


def test_marketing_sees_every_dashboard_but_no_team_queue():
    marketing = _actor(Role.MARKETING, team_id=None)
    assert team_scope(marketing, DASHBOARDS) is None
    with pytest.raises(Forbidden, match="A marketing may not see a team's lead queue"):
        team_scope(marketing, TEAM_QUEUE)
