"""A touch records what it came to, the lead its first contact and callback time, and the
rep's refusals name the field (leaddash.queue.actions.log_attempt and the decisions)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leaddash.db import read_session, write_session
from leaddash.errors import InvalidInput
from leaddash.models import Role, Touch, utcnow
from leaddash.queue import actions
from leaddash.reasons import ensure_default_reasons
from tests.conftest import make_user
from tests.queue_factory import count, lead_now, make_lead


@pytest.fixture
def rep(engine):
    with write_session(engine) as session:
        ensure_default_reasons(session)
    return make_user(engine, "sam", Role.REP, team="East")


def act(engine, action, actor, lead, **kwargs):
    with write_session(engine) as session:
        return action(
            session,
            actor=actor,
            lead_id=lead.id,
            expected_version=lead_now(engine, lead.id).version,
            **kwargs,
        )


def outcomes(engine, lead_id: int) -> list[str | None]:
    with read_session(engine) as session:
        query = select(Touch.outcome).where(Touch.lead_id == lead_id).order_by(Touch.id)
        return list(session.exec(query).all())


def test_first_contact_is_the_first_connected_touch(engine, rep):
    lead = make_lead(engine, rep)
    start = utcnow().replace(microsecond=0)
    for minutes, outcome in ((0, "no_answer"), (10, "voicemail"), (20, "connected")):
        act(
            engine,
            actions.log_attempt,
            rep,
            lead,
            channel="call",
            outcome=outcome,
            at=start + timedelta(minutes=minutes),
        )

    now = lead_now(engine, lead.id)
    assert outcomes(engine, lead.id) == ["no_answer", "voicemail", "connected"]
    assert now.first_touch_at == start
    assert now.first_contact_at == start + timedelta(minutes=20)


def test_a_callback_time_is_kept_until_the_next_touch(engine, rep):
    lead = make_lead(engine, rep)
    start = utcnow().replace(microsecond=0)
    callback = start + timedelta(days=1)
    result = act(
        engine,
        actions.log_attempt,
        rep,
        lead,
        channel="call",
        outcome="voicemail",
        callback_at=callback,
        at=start,
    )
    assert lead_now(engine, lead.id).callback_at == callback
    assert result.message.endswith(f"Call back at {callback:%Y-%m-%d %H:%M} UTC.")

    act(engine, actions.log_attempt, rep, lead, channel="email", outcome="email_sent")
    assert lead_now(engine, lead.id).callback_at is None


def test_a_decision_clears_the_callback_and_records_the_contact(engine, rep):
    lead = make_lead(engine, rep)
    start = utcnow().replace(microsecond=0)
    act(
        engine,
        actions.log_attempt,
        rep,
        lead,
        channel="call",
        outcome="no_answer",
        callback_at=start + timedelta(hours=2),
        at=start,
    )
    act(engine, actions.validate_lead, rep, lead, at=start + timedelta(hours=2))

    now = lead_now(engine, lead.id)
    assert now.callback_at is None
    assert now.first_contact_at == start + timedelta(hours=2)
    assert now.attempts == 1  # the contact is recorded, no touch is invented


def test_a_decision_without_any_touch_logs_a_connected_call(engine, rep):
    lead = make_lead(engine, rep)
    act(engine, actions.validate_lead, rep, lead)

    now = lead_now(engine, lead.id)
    assert outcomes(engine, lead.id) == ["connected"]
    assert now.first_contact_at == now.first_touch_at == now.decided_at


def test_unable_to_reach_records_no_contact(engine, rep):
    lead = make_lead(engine, rep)
    for _ in range(3):
        act(engine, actions.log_attempt, rep, lead, channel="call", outcome="no_answer")
    act(engine, actions.disqualify_lead, rep, lead, reason_code="unable_to_reach")

    assert lead_now(engine, lead.id).first_contact_at is None


@pytest.mark.parametrize(
    "channel, outcome, message",
    [
        ("call", None, "Say how the call went: connected, no answer, voicemail."),
        ("email", None, "Say how the email went: email sent, bounced."),
        (
            "email",
            "voicemail",
            "An email cannot come to voicemail: pick one of email sent, bounced.",
        ),
        (
            "call",
            "maybe",
            "A call cannot come to 'maybe': pick one of connected, no answer, voicemail.",
        ),
    ],
)
def test_a_missing_or_foreign_outcome_is_refused(engine, rep, channel, outcome, message):
    lead = make_lead(engine, rep)
    with pytest.raises(InvalidInput) as refused:
        act(engine, actions.log_attempt, rep, lead, channel=channel, outcome=outcome)

    assert (refused.value.message, refused.value.field) == (message, "outcome")
    assert count(engine, Touch, lead.id) == 0


def test_a_callback_before_the_attempt_is_refused(engine, rep):
    lead = make_lead(engine, rep)
    start = utcnow().replace(microsecond=0)
    with pytest.raises(InvalidInput) as refused:
        act(
            engine,
            actions.log_attempt,
            rep,
            lead,
            channel="call",
            outcome="no_answer",
            callback_at=start - timedelta(minutes=1),
            at=start,
        )

    assert refused.value.field == "callback_at"
    assert "is not after this attempt" in refused.value.message
    assert count(engine, Touch, lead.id) == 0
