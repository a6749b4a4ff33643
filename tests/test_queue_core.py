"""The queue core: row locks with a clear conflict message, who may act, stage moves."""

from __future__ import annotations

import pytest

from leaddash.audit import act_as
from leaddash.db import write_session
from leaddash.errors import Conflict, Forbidden, NotFound
from leaddash.models import AuditLog, Role, Stage
from leaddash.queue.core import check_can_act, lock_lead, move_stage
from tests.conftest import make_user
from tests.queue_factory import count, events_of, lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


@pytest.fixture
def people(engine):
    return {
        "rep": make_user(engine, "sam", Role.REP, team="East"),
        "other": make_user(engine, "kim", Role.REP, team="East"),
        "west": make_user(engine, "lou", Role.REP, team="West"),
        "manager": make_user(engine, "max", Role.SALES_MANAGER, team="East"),
        "leader": make_user(engine, "lea", Role.SALES_LEADER),
        "marketing": make_user(engine, "mia", Role.MARKETING),
    }


def test_move_stage_writes_event_and_audit_in_the_transaction(engine, people):
    lead = make_lead(engine, people["rep"])
    with write_session(engine) as session:
        locked = lock_lead(session, lead_id=lead.id, expected_version=lead.version)
        act_as(session, people["rep"], "lead.accept")
        move_stage(
            session, locked, to_stage=Stage.ACCEPTED, actor=people["rep"], at=locked.updated_at
        )
    assert lead_now(engine, lead.id).stage == Stage.ACCEPTED
    assert lead_now(engine, lead.id).version == lead.version + 1
    assert events_of(engine, lead.id) == [(Stage.MQL, Stage.ACCEPTED)]
    assert count(engine, AuditLog, lead.id) == 2  # created, then accepted


def test_stale_version_names_who_did_what(engine, people):
    lead = make_lead(engine, people["rep"])
    with write_session(engine) as session:
        locked = lock_lead(session, lead_id=lead.id, expected_version=lead.version)
        act_as(session, people["manager"], "lead.validate")
        move_stage(
            session, locked, to_stage=Stage.VALIDATED, actor=people["manager"], at=locked.updated_at
        )
    with write_session(engine) as session, pytest.raises(Conflict) as refused:
        lock_lead(session, lead_id=lead.id, expected_version=lead.version)
    assert refused.value.message.startswith("Ann Lee was validated by Max at ")
    assert refused.value.message.endswith(
        "after you opened it. Nothing was saved; the queue now shows it as it is."
    )


def test_missing_lead_is_not_found(engine):
    with write_session(engine) as session, pytest.raises(NotFound, match="no lead number 99"):
        lock_lead(session, lead_id=99, expected_version=None)


@pytest.mark.parametrize(
    "who, taking, allowed",
    [
        ("rep", False, True),
        ("other", False, False),
        ("west", False, False),
        ("manager", False, True),
        ("leader", False, True),
        ("marketing", False, False),
    ],
)
def test_who_may_act_on_a_reps_lead(engine, people, who, taking, allowed):
    lead = make_lead(engine, people["rep"])
    with write_session(engine) as session:
        if allowed:
            check_can_act(session, people[who], lead, taking=taking)
        else:
            with pytest.raises(Forbidden):
                check_can_act(session, people[who], lead, taking=taking)


def test_rep_may_take_an_unassigned_lead_of_their_team_only(engine, people):
    lead = make_lead(engine, None, team_id=people["rep"].team_id)
    with write_session(engine) as session:
        check_can_act(session, people["rep"], lead, taking=True)
        with pytest.raises(Forbidden, match="is not assigned to you"):
            check_can_act(session, people["rep"], lead)
        with pytest.raises(Forbidden):
            check_can_act(session, people["west"], lead, taking=True)


def test_other_reps_lead_is_refused_naming_the_owner(engine, people):
    lead = make_lead(engine, people["rep"])
    with write_session(engine) as session, pytest.raises(Forbidden) as refused:
        check_can_act(session, people["other"], lead)
    assert refused.value.message == (
        "Ann Lee is assigned to Sam. A rep works only their own "
        "leads; ask your manager if it should be yours."
    )
