"""Dashboard filter choices: the values in the data, within the actor's scope."""

from __future__ import annotations

from datetime import date

from leaddash.analytics.options import filter_options
from leaddash.db import read_session, write_session
from leaddash.fact_tables import MixRollup
from leaddash.models import Role
from leaddash.ui.filters import default_range
from tests.conftest import make_user


def test_a_manager_gets_their_own_team_and_its_reps_a_leader_gets_all(engine):
    manager = make_user(engine, "mia", Role.SALES_MANAGER, team="East")
    make_user(engine, "sam", Role.REP, team="East")
    make_user(engine, "wes", Role.REP, team="West")
    leader = make_user(engine, "lee", Role.SALES_LEADER)
    with write_session(engine) as session:
        east = manager.team_id
        session.add_all(
            [
                MixRollup(
                    mql_month=202603,
                    team_id=east,
                    source="Webinar",
                    campaign="Q1",
                    segment="SMB",
                    mqls=3,
                ),
                MixRollup(mql_month=202603, team_id=east, source="Events", segment="SMB", mqls=1),
                MixRollup(mql_month=202603, team_id=east + 1, source="Partners", mqls=1),
            ]
        )

    with read_session(engine) as session:
        mine = filter_options(session, actor=manager)
        all_ = filter_options(session, actor=leader)

    assert [name for _, name in mine.teams] == ["East"]
    assert [name for _, name in mine.reps] == ["Sam"]
    assert [name for _, name in all_.reps] == ["Sam", "Wes"]
    assert (mine.sources, mine.campaigns, mine.segments) == (
        ("Events", "Webinar"),
        ("Q1",),
        ("SMB",),
    )
    assert all_.sources == ("Events", "Partners", "Webinar")


def test_the_default_range_starts_on_the_first_of_the_month_five_months_back():
    assert default_range(date(2026, 3, 17)) == (date(2025, 10, 1), date(2026, 3, 17))
