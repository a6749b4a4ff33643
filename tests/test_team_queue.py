"""Team queue reads, SLA breaches and reassignment, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leaddash.auth import CLI_ACTOR
from leaddash.db import read_session, write_session
from leaddash.errors import Conflict, Forbidden, InvalidInput
from leaddash.models import AuditLog, Lead, Role, Stage, StageEvent, utcnow
from leaddash.queue.team import (
    BREACH_COLUMNS,
    QUEUE_COLUMNS,
    UNASSIGNED,
    QueueFilter,
    assignable_reps,
    count_breaches,
    reassign_leads,
    sla_breaches,
    team_queue,
    visible_teams,
)
from leaddash.users import set_active
from tests.conftest import make_user
from tests.queue_factory import lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


@pytest.fixture
def people(engine):
    """Two teams: East (manager, ana, ben) and West (manager, cy); a sales leader; a rep."""
    return {
        "east_manager": make_user(engine, "eve", Role.SALES_MANAGER, team="East"),
        "ana": make_user(engine, "ana", Role.REP, team="East"),
        "ben": make_user(engine, "ben", Role.REP, team="East"),
        "west_manager": make_user(engine, "wes", Role.SALES_MANAGER, team="West"),
        "cy": make_user(engine, "cy", Role.REP, team="West"),
        "leader": make_user(engine, "lee", Role.SALES_LEADER),
    }


def _sourced(engine, owner, source, **fields):
    """Return a new lead from `source` (the shared factory always says "webinar")."""
    lead = make_lead(engine, owner, **fields)
    with write_session(engine) as session:
        row = session.get(Lead, lead.id)
        row.source = source
    return row


def _queue(engine, actor, **where):
    with read_session(engine) as session:
        return team_queue(session, actor=actor, where=QueueFilter(**where))


def _reassign(engine, actor, leads, **target):
    with write_session(engine) as session:
        return reassign_leads(
            session, actor=actor, versions={lead.id: lead.version for lead in leads}, **target
        )


def test_a_manager_sees_their_team_overdue_first_with_owner_names(engine, people):
    ana = people["ana"]
    later = make_lead(engine, ana, first="Later", due_in=timedelta(hours=5))
    late = make_lead(engine, ana, first="Late", due_in=timedelta(hours=-2))
    waiting = make_lead(engine, None, team_id=ana.team_id, first="Waiting")
    make_lead(engine, people["cy"], first="West")

    frame = _queue(engine, people["east_manager"])

    assert list(frame.columns) == QUEUE_COLUMNS
    assert list(frame["id"]) == [late.id, waiting.id, later.id]
    assert list(frame["owner"]) == ["Ana", "Unassigned", "Ana"]
    assert list(frame["overdue"]) == [True, False, False]
    assert frame["due_text"][0].startswith("overdue by 2 h") or frame["due_text"][0].startswith(
        "overdue by 1 h 59"
    )
    assert frame["due_text"][2].endswith("left")
    assert set(frame["team"]) == {"East"}


def test_a_manager_cannot_ask_for_another_team(engine, people):
    west = people["cy"].team_id

    with read_session(engine) as session, pytest.raises(Forbidden, match="own team"):
        team_queue(session, actor=people["east_manager"], where=QueueFilter(team_id=west))


def test_a_rep_cannot_see_the_team_queue(engine, people):
    with read_session(engine) as session, pytest.raises(Forbidden, match="A rep may not"):
        team_queue(session, actor=people["ana"])


def test_a_sales_leader_sees_every_team_or_one(engine, people):
    east = make_lead(engine, people["ana"])
    west = make_lead(engine, people["cy"])

    assert set(_queue(engine, people["leader"])["id"]) == {east.id, west.id}
    assert list(_queue(engine, people["leader"], team_id=people["cy"].team_id)["id"]) == [west.id]
    with read_session(engine) as session:
        assert [n for _, n in visible_teams(session, actor=people["leader"])] == ["East", "West"]
        assert [n for _, n in visible_teams(session, actor=people["east_manager"])] == ["East"]


def test_filters_narrow_the_queue(engine, people):
    ana, ben = people["ana"], people["ben"]
    webinar = _sourced(engine, ana, "Webinar", segment="SMB")
    sample = _sourced(engine, ben, "Organic", segment="SMB", is_sample=True)
    overdue = _sourced(
        engine,
        ben,
        "Organic",
        segment="Enterprise",
        due_in=timedelta(minutes=-5),
        stage=Stage.ACCEPTED,
    )
    waiting = _sourced(engine, None, "Organic", team_id=ana.team_id)
    manager = people["east_manager"]

    assert list(_queue(engine, manager, owner=ana.id)["id"]) == [webinar.id]
    assert list(_queue(engine, manager, owner=UNASSIGNED)["id"]) == [waiting.id]
    assert set(_queue(engine, manager, source="Organic")["id"]) == {
        sample.id,
        overdue.id,
        waiting.id,
    }
    assert list(_queue(engine, manager, segment="Enterprise")["id"]) == [overdue.id]
    assert list(_queue(engine, manager, stage=Stage.ACCEPTED)["id"]) == [overdue.id]
    assert list(_queue(engine, manager, overdue_only=True)["id"]) == [overdue.id]
    assert list(_queue(engine, manager, sample_only=True)["id"]) == [sample.id]


def test_decided_leads_leave_the_team_queue(engine, people):
    make_lead(engine, people["ana"], stage=Stage.VALIDATED)

    assert _queue(engine, people["east_manager"]).empty
    assert list(_queue(engine, people["east_manager"]).columns) == QUEUE_COLUMNS


def test_breaches_list_untouched_and_undecided_leads_with_how_late(engine, people):
    ana = people["ana"]
    untouched = make_lead(engine, ana, first="Quiet", due_in=timedelta(hours=-3, minutes=-5))
    undecided = make_lead(
        engine,
        ana,
        first="Slow",
        stage=Stage.ACCEPTED,
        due_in=timedelta(days=-6),
        first_touch_at=utcnow() - timedelta(days=6),
    )
    make_lead(engine, ana, first="Fine")
    make_lead(engine, people["cy"], first="West", due_in=timedelta(hours=-1))

    with read_session(engine) as session:
        frame = sla_breaches(session, actor=people["east_manager"])
        counts = count_breaches(session, actor=people["east_manager"])

    assert list(frame.columns) == BREACH_COLUMNS
    assert list(frame["id"]) == [undecided.id, untouched.id]
    assert list(frame["breach"]) == ["no decision", "untouched"]
    assert frame["late_by"][0].startswith("1 d")
    assert frame["late_by"][1] in ("3 h 5 min", "3 h 4 min")
    assert list(frame["owner"]) == ["Ana", "Ana"]
    assert counts == {"untouched": 1, "no decision": 1}


def test_a_manager_reassigns_many_leads_within_the_team(engine, people):
    ana, ben = people["ana"], people["ben"]
    leads = [make_lead(engine, ana), make_lead(engine, None, team_id=ana.team_id)]

    moved = _reassign(engine, people["east_manager"], leads, owner_id=ben.id)

    assert moved == 2
    for lead in leads:
        now = lead_now(engine, lead.id)
        assert (now.owner_id, now.team_id, now.stage) == (ben.id, ben.team_id, Stage.MQL)
        assert now.assigned_at is not None and now.version == lead.version + 1
    with read_session(engine) as session:
        audits = session.exec(select(AuditLog).where(AuditLog.action == "lead.reassign")).all()
        events = session.exec(select(StageEvent).where(StageEvent.to_stage != Stage.MQL)).all()
    assert sorted(a.entity_id for a in audits) == sorted(lead.id for lead in leads)
    assert audits[0].after["owner_id"] == ben.id
    assert events == []


def test_a_lead_goes_back_to_the_team_queue_unassigned(engine, people):
    lead = make_lead(engine, people["ana"])

    _reassign(engine, people["east_manager"], [lead])

    now = lead_now(engine, lead.id)
    assert (now.owner_id, now.team_id, now.assigned_at) == (None, lead.team_id, None)


def test_a_sales_leader_moves_a_lead_to_another_team(engine, people):
    lead = make_lead(engine, people["ana"])
    west = people["cy"].team_id

    _reassign(engine, people["leader"], [lead], team_id=west)
    assert (lead_now(engine, lead.id).owner_id, lead_now(engine, lead.id).team_id) == (None, west)
    _reassign(engine, people["leader"], [lead_now(engine, lead.id)], owner_id=people["ana"].id)
    assert lead_now(engine, lead.id).owner_id == people["ana"].id


def test_a_manager_cannot_give_a_lead_to_another_teams_rep(engine, people):
    lead = make_lead(engine, people["ana"])

    with pytest.raises(Forbidden, match="Cy is in another team"):
        _reassign(engine, people["east_manager"], [lead], owner_id=people["cy"].id)
    with pytest.raises(Forbidden, match="own team"):
        _reassign(engine, people["east_manager"], [lead], team_id=people["cy"].team_id)
    assert lead_now(engine, lead.id).owner_id == people["ana"].id


def test_a_manager_cannot_move_another_teams_lead(engine, people):
    west_lead = make_lead(engine, people["cy"], first="Wendy")

    with pytest.raises(Forbidden, match="Wendy Lee belongs to another team"):
        _reassign(engine, people["east_manager"], [west_lead], owner_id=people["ana"].id)
    assert lead_now(engine, west_lead.id).owner_id == people["cy"].id


def test_a_rep_cannot_reassign(engine, people):
    lead = make_lead(engine, people["ana"])

    with pytest.raises(Forbidden, match="A rep may not reassign leads"):
        _reassign(engine, people["ana"], [lead], owner_id=people["ben"].id)


def test_a_deactivated_rep_cannot_receive_leads(engine, people):
    lead = make_lead(engine, people["ana"])
    with write_session(engine) as session:
        set_active(session, actor=CLI_ACTOR, username="ben", active=False)

    with pytest.raises(InvalidInput, match="Ben is deactivated"):
        _reassign(engine, people["east_manager"], [lead], owner_id=people["ben"].id)
    with read_session(engine) as session:
        reps = assignable_reps(session, actor=people["east_manager"])
    assert [r.name for r in reps] == ["Ana"]


def test_a_stale_lead_stops_the_whole_reassignment_and_is_named(engine, people):
    ana, ben = people["ana"], people["ben"]
    first = make_lead(engine, ana, first="First")
    changed = make_lead(engine, ana, first="Changed")
    _reassign(engine, people["leader"], [changed], owner_id=ben.id)

    with pytest.raises(Conflict, match="Changed Lee was reassigned by Lee"):
        _reassign(engine, people["east_manager"], [first, changed], owner_id=ben.id)

    assert lead_now(engine, first.id).owner_id == ana.id
    assert lead_now(engine, first.id).version == first.version


def test_a_decided_lead_cannot_be_reassigned(engine, people):
    lead = make_lead(engine, people["ana"], stage=Stage.VALIDATED)

    with pytest.raises(InvalidInput, match="already validated"):
        _reassign(engine, people["east_manager"], [lead], owner_id=people["ben"].id)


def test_nothing_selected_says_what_to_do(engine, people):
    with write_session(engine) as session, pytest.raises(InvalidInput, match="Select at least"):
        reassign_leads(session, actor=people["east_manager"], versions={}, owner_id=None)


def test_the_queue_stays_small_when_the_limit_is_reached(engine, people):
    for _ in range(3):
        make_lead(engine, people["ana"])

    with read_session(engine) as session:
        frame = team_queue(session, actor=people["leader"], limit=2)

    assert len(frame) == 2
