"""Queue actions: each one's stage events, touches, refusals and the message it returns."""

from __future__ import annotations

import pytest

from leaddash.db import write_session
from leaddash.errors import Conflict, InvalidInput
from leaddash.models import AuditLog, Role, Stage, Touch
from leaddash.queue import actions
from leaddash.reasons import ensure_default_reasons
from tests.conftest import make_user
from tests.queue_factory import count, events_of, lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


@pytest.fixture
def rep(engine):
    with write_session(engine) as session:
        ensure_default_reasons(session)
    return make_user(engine, "sam", Role.REP, team="East")


def act(engine, action, actor, lead, **kwargs):
    """Run one action in its own transaction, with the version the caller last saw."""
    with write_session(engine) as session:
        return action(
            session,
            actor=actor,
            lead_id=lead.id,
            expected_version=lead_now(engine, lead.id).version,
            **kwargs,
        )


def test_accept_takes_an_unassigned_team_lead(engine, rep):
    lead = make_lead(engine, None, team_id=rep.team_id)
    result = act(engine, actions.accept_lead, rep, lead)
    now = lead_now(engine, lead.id)
    assert (now.stage, now.owner_id) == (Stage.ACCEPTED, rep.id)
    assert now.accepted_at is not None and now.assigned_at is not None
    assert result.message == "You accepted Ann Lee: it is yours to call now."
    assert events_of(engine, lead.id) == [(Stage.MQL, Stage.ACCEPTED)]


def test_first_attempt_accepts_the_mql_and_counts_toward_the_minimum(engine, rep):
    lead = make_lead(engine, rep)
    result = act(
        engine, actions.log_attempt, rep, lead, channel="call", outcome="voicemail", note="vm"
    )
    now = lead_now(engine, lead.id)
    assert (now.stage, now.attempts) == (Stage.ACCEPTED, 1)
    assert now.first_touch_at is not None
    assert count(engine, Touch, lead.id) == 1
    assert result.message == (
        "Attempt 1 (call, voicemail) logged for Ann Lee. 2 more before you may close it as "
        "unable to reach."
    )


def test_validate_without_a_touch_records_the_call(engine, rep):
    lead = make_lead(engine, rep)
    result = act(engine, actions.validate_lead, rep, lead)
    now = lead_now(engine, lead.id)
    assert (now.stage, now.attempts, now.first_touch_at == now.decided_at) == (
        Stage.VALIDATED,
        1,
        True,
    )
    assert events_of(engine, lead.id) == [
        (Stage.MQL, Stage.ACCEPTED),
        (Stage.ACCEPTED, Stage.VALIDATED),
    ]
    assert result.message == "Ann Lee meets the definition: validated. It has left your queue."


def test_disqualify_needs_an_agreed_reason(engine, rep):
    lead = make_lead(engine, rep)
    with pytest.raises(InvalidInput, match="Pick a reason for disqualifying this lead: No fit"):
        act(engine, actions.disqualify_lead, rep, lead, reason_code=None)
    result = act(engine, actions.disqualify_lead, rep, lead, reason_code="no_need")
    assert lead_now(engine, lead.id).stage == Stage.DISQUALIFIED
    assert result.message == (
        "Ann Lee disqualified (No need or no project). It has left your queue."
    )


def test_unable_to_reach_waits_for_the_minimum_attempts(engine, rep):
    lead = make_lead(engine, rep)
    act(engine, actions.log_attempt, rep, lead, channel="call", outcome="no_answer")
    with pytest.raises(InvalidInput) as refused:
        act(engine, actions.disqualify_lead, rep, lead, reason_code="unable_to_reach")
    assert refused.value.message == (
        '"Unable to reach" needs 3 logged attempts and Ann Lee has 1: log 2 more attempt(s) first.'
    )
    assert lead_now(engine, lead.id).stage == Stage.ACCEPTED
    for channel, outcome in (("email", "email_sent"), ("call", "no_answer")):
        act(engine, actions.log_attempt, rep, lead, channel=channel, outcome=outcome)
    act(engine, actions.disqualify_lead, rep, lead, reason_code="unable_to_reach")
    assert lead_now(engine, lead.id).stage == Stage.DISQUALIFIED


def test_reject_only_before_contact(engine, rep):
    fresh, called = make_lead(engine, rep), make_lead(engine, rep, first="Bo")
    act(engine, actions.reject_lead, rep, fresh, reason_code="bad_data")
    assert events_of(engine, fresh.id) == [(Stage.MQL, Stage.REJECTED)]
    act(engine, actions.log_attempt, rep, called, channel="email", outcome="email_sent")
    with pytest.raises(Conflict, match="Bo Lee has already been contacted"):
        act(engine, actions.reject_lead, rep, called, reason_code="bad_data")


def test_recycle_with_reason_leaves_the_queue(engine, rep):
    lead = make_lead(engine, rep)
    act(engine, actions.recycle_lead, rep, lead, reason_code="not_now", note="Q3 budget")
    now = lead_now(engine, lead.id)
    assert (now.stage, now.decided_at is not None) == (Stage.RECYCLED, True)


def test_decided_lead_refuses_another_decision_naming_its_state(engine, rep):
    lead = make_lead(engine, rep)
    act(engine, actions.reject_lead, rep, lead, reason_code="bad_data")
    with pytest.raises(Conflict) as refused:
        act(engine, actions.validate_lead, rep, lead)
    assert refused.value.message == (
        "Ann Lee is already rejected, so it cannot be validated. Nothing was saved."
    )


def test_overlong_note_is_refused_with_its_length(engine, rep):
    lead = make_lead(engine, rep)
    with pytest.raises(InvalidInput, match="under 2000 characters") as refused:
        act(
            engine,
            actions.log_attempt,
            rep,
            lead,
            channel="call",
            outcome="no_answer",
            note="x" * 2001,
        )
    assert refused.value.field == "note"
    assert count(engine, AuditLog, lead.id) == 1  # only its creation
