"""Disputes: raised by marketing on a rejection or disqualification, ruled by a sales leader."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leaddash.db import read_session, write_session
from leaddash.errors import Conflict, Forbidden, InvalidInput
from leaddash.models import AuditLog, Role, Stage, StageEvent
from leaddash.queue.actions import disqualify_lead, reject_lead, validate_lead
from leaddash.queue.disputes import (
    DECISION_COLUMNS,
    DISPUTE_COLUMNS,
    disputable_decisions,
    list_disputes,
    raise_dispute,
    resolve_dispute,
)
from tests.conftest import make_user
from tests.queue_factory import lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


@pytest.fixture
def people(engine):
    return {
        "rep": make_user(engine, "ana", Role.REP, team="East"),
        "west_rep": make_user(engine, "cy", Role.REP, team="West"),
        "manager": make_user(engine, "eve", Role.SALES_MANAGER, team="East"),
        "marketing": make_user(engine, "mia", Role.MARKETING),
        "leader": make_user(engine, "lee", Role.SALES_LEADER),
        "other_leader": make_user(engine, "liv", Role.SALES_LEADER),
    }


def _decided(engine, rep, *, how=disqualify_lead, reason="no_fit", first="Dora"):
    """Return a lead of `rep` that the rep has just disqualified (or rejected)."""
    lead = make_lead(engine, rep, first=first)
    with write_session(engine) as session:
        how(
            session,
            actor=rep,
            lead_id=lead.id,
            expected_version=lead.version,
            reason_code=reason,
            note="Said no on the call",
        )
    return lead_now(engine, lead.id)


def _raise(engine, actor, lead, note="They match the definition: 500 staff, VP title."):
    with write_session(engine) as session:
        return raise_dispute(
            session, actor=actor, lead_id=lead.id, expected_version=lead.version, note=note
        )


def _resolve(engine, actor, dispute, *, overturn, note="Checked the call notes."):
    with write_session(engine) as session:
        return resolve_dispute(
            session,
            actor=actor,
            dispute_id=dispute.id,
            expected_version=dispute.version,
            overturn=overturn,
            note=note,
        )


def _disputes(engine, actor, closed=False):
    with read_session(engine) as session:
        return list_disputes(session, actor=actor, closed=closed)


def test_marketing_disputes_a_disqualification_and_it_is_listed_open(engine, people):
    lead = _decided(engine, people["rep"])

    dispute = _raise(engine, people["marketing"], lead)

    frame = _disputes(engine, people["leader"])
    assert list(frame.columns) == DISPUTE_COLUMNS
    row = frame.iloc[0]
    assert (row["id"], row["lead"], row["decision"], row["status"]) == (
        dispute.id,
        "Dora Lee",
        "disqualified",
        "open",
    )
    assert row["reason"] == "No fit (company or role outside the definition)"
    assert (row["decided_by"], row["raised_by"]) == ("Ana", "Mia")
    assert row["marketing_note"] == "They match the definition: 500 staff, VP title."
    assert _disputes(engine, people["leader"], closed=True).empty


def test_a_dispute_needs_a_note(engine, people):
    lead = _decided(engine, people["rep"])

    with pytest.raises(InvalidInput, match="Say why marketing disagrees"):
        _raise(engine, people["marketing"], lead, note="   ")


def test_only_a_rejection_or_disqualification_can_be_disputed(engine, people):
    lead = make_lead(engine, people["rep"], first="Val")
    with write_session(engine) as session:
        validate_lead(session, actor=people["rep"], lead_id=lead.id, expected_version=lead.version)

    with pytest.raises(InvalidInput, match="Val Lee is validated now"):
        _raise(engine, people["marketing"], lead_now(engine, lead.id))


@pytest.mark.parametrize("role", ["rep", "leader", "manager"])
def test_sales_cannot_dispute_its_own_decisions(engine, people, role):
    lead = _decided(engine, people["rep"])

    with pytest.raises(Forbidden, match="may not dispute a sales decision"):
        _raise(engine, people[role], lead)


def test_a_decision_is_disputed_once(engine, people):
    lead = _decided(engine, people["rep"])
    dispute = _raise(engine, people["marketing"], lead)

    with pytest.raises(Conflict, match="Mia already disputed this decision on Dora Lee"):
        _raise(engine, people["marketing"], lead)
    _resolve(engine, people["leader"], dispute, overturn=False)
    with pytest.raises(Conflict, match="upheld by Lee: it is settled"):
        _raise(engine, people["marketing"], lead)


@pytest.mark.parametrize("role", ["rep", "marketing", "manager"])
def test_only_a_sales_leader_rules_on_a_dispute(engine, people, role):
    dispute = _raise(engine, people["marketing"], _decided(engine, people["rep"]))

    with pytest.raises(Forbidden, match="may not rule on disputes"):
        _resolve(engine, people[role], dispute, overturn=True)
    assert _disputes(engine, people["leader"]).iloc[0]["status"] == "open"


def test_upholding_keeps_the_decision_and_both_notes(engine, people):
    lead = _decided(engine, people["rep"])
    dispute = _raise(engine, people["marketing"], lead)

    _resolve(engine, people["leader"], dispute, overturn=False, note="Student, per the call.")

    assert lead_now(engine, lead.id).stage == Stage.DISQUALIFIED
    row = _disputes(engine, people["marketing"], closed=True).iloc[0]
    assert (row["status"], row["resolved_by"]) == ("upheld", "Lee")
    assert row["marketing_note"].startswith("They match the definition")
    assert row["resolution_note"] == "Student, per the call."
    assert _disputes(engine, people["marketing"]).empty


def test_overturning_a_disqualification_puts_the_lead_back_in_the_owners_queue(engine, people):
    lead = _decided(engine, people["rep"])
    dispute = _raise(engine, people["marketing"], lead)

    _resolve(engine, people["leader"], dispute, overturn=True, note="Fits: call them again.")

    now = lead_now(engine, lead.id)
    assert (now.stage, now.owner_id, now.decided_at) == (Stage.ACCEPTED, lead.owner_id, None)
    assert (now.touch_due_at, now.decision_due_at) == (lead.touch_due_at, lead.decision_due_at)
    with read_session(engine) as session:
        event = session.exec(select(StageEvent).order_by(StageEvent.id.desc())).first()
        actions = session.exec(
            select(AuditLog.action).where(AuditLog.entity == "dispute").order_by(AuditLog.id)
        ).all()
    assert (event.from_stage, event.to_stage) == (Stage.DISQUALIFIED, Stage.ACCEPTED)
    assert event.note == "Dispute overturned: Fits: call them again."
    assert event.actor_id == people["leader"].id
    assert actions == ["dispute.raise", "dispute.overturn"]


def test_overturning_a_rejection_puts_the_lead_back_as_an_mql(engine, people):
    lead = _decided(engine, people["rep"], how=reject_lead, reason="bad_data")
    dispute = _raise(engine, people["marketing"], lead)

    _resolve(engine, people["leader"], dispute, overturn=True)

    assert lead_now(engine, lead.id).stage == Stage.MQL
    assert _disputes(engine, people["leader"], closed=True).iloc[0]["status"] == "overturned"


def test_two_leaders_ruling_at_once_the_second_is_told_and_nothing_doubles(engine, people):
    lead = _decided(engine, people["rep"])
    dispute = _raise(engine, people["marketing"], lead)
    _resolve(engine, people["leader"], dispute, overturn=True)

    with pytest.raises(Conflict, match="Lee overturned this dispute a moment ago"):
        _resolve(engine, people["other_leader"], dispute, overturn=False)

    with read_session(engine) as session:
        reopened = session.exec(
            select(StageEvent).where(
                StageEvent.lead_id == lead.id, StageEvent.note.startswith("Dispute")
            )
        ).all()
    assert len(reopened) == 1
    assert _disputes(engine, people["leader"], closed=True).iloc[0]["resolved_by"] == "Lee"


def test_recent_decisions_list_what_can_still_be_disputed(engine, people):
    dora = _decided(engine, people["rep"], first="Dora")
    rita = _decided(engine, people["rep"], how=reject_lead, reason="bad_data", first="Rita")
    _raise(engine, people["marketing"], dora)

    with read_session(engine) as session:
        frame = disputable_decisions(session, actor=people["marketing"])
        found = disputable_decisions(session, actor=people["marketing"], search="rit")
        by_id = disputable_decisions(session, actor=people["marketing"], search=f"#{rita.id}")

    assert list(frame.columns) == DECISION_COLUMNS
    assert list(frame["lead_id"]) == [rita.id]
    assert frame.iloc[0]["reason"] == "Bad data (fake or incomplete contact details)"
    assert list(found["lead_id"]) == list(by_id["lead_id"]) == [rita.id]


def test_a_sales_manager_sees_only_their_own_teams_disputes(engine, people):
    _raise(engine, people["marketing"], _decided(engine, people["rep"], first="East"))
    _raise(engine, people["marketing"], _decided(engine, people["west_rep"], first="West"))

    assert list(_disputes(engine, people["manager"])["lead"]) == ["East Lee"]
    assert set(_disputes(engine, people["leader"])["lead"]) == {"East Lee", "West Lee"}
