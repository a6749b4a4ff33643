"""Integrity of queue actions: one transaction each, one winner of a race, owners only."""

from __future__ import annotations

import threading

import pytest

from leaddash.db import write_session
from leaddash.errors import Conflict, Forbidden
from leaddash.models import AuditLog, Role, Stage, StageEvent, Touch
from leaddash.queue import actions
from leaddash.reasons import ensure_default_reasons
from tests.conftest import make_user
from tests.queue_factory import count, events_of, lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


@pytest.fixture
def reps(engine):
    with write_session(engine) as session:
        ensure_default_reasons(session)
    return make_user(engine, "sam", Role.REP, team="East"), make_user(
        engine, "kim", Role.REP, team="East"
    )


class Boom(Exception):
    """A failure forced after the action wrote its event."""


def test_validate_writes_its_events_touch_and_audit_rows_together(engine, reps):
    lead = make_lead(engine, reps[0])
    with write_session(engine) as session:
        actions.validate_lead(
            session, actor=reps[0], lead_id=lead.id, expected_version=lead.version
        )
    # accept + validate events, the recorded call, one lead update per flush step
    assert count(engine, StageEvent, lead.id) == 3
    assert count(engine, Touch, lead.id) == 1
    assert count(engine, AuditLog, lead.id) == 2  # the lead's creation, then its one update


@pytest.mark.parametrize(
    "action, kwargs",
    [
        (actions.validate_lead, {}),
        (actions.disqualify_lead, {"reason_code": "no_fit"}),
        (actions.log_attempt, {"channel": "call", "outcome": "no_answer"}),
    ],
)
def test_a_failure_after_the_event_leaves_nothing(engine, reps, action, kwargs):
    lead = make_lead(engine, reps[0])
    audit_before = count(engine, AuditLog, lead.id)
    with pytest.raises(Boom), write_session(engine) as session:
        action(session, actor=reps[0], lead_id=lead.id, expected_version=lead.version, **kwargs)
        raise Boom
    now = lead_now(engine, lead.id)
    assert (now.stage, now.version, now.attempts) == (Stage.MQL, lead.version, 0)
    assert events_of(engine, lead.id) == []
    assert count(engine, Touch, lead.id) == 0
    assert count(engine, AuditLog, lead.id) == audit_before


def test_two_people_acting_at_once_one_wins_the_other_is_told(engine, reps):
    manager = make_user(engine, "max", Role.SALES_MANAGER, team="East")
    lead = make_lead(engine, reps[0])
    start, outcomes = threading.Barrier(2), {}

    def decide(name, actor, action, **kwargs):
        start.wait()
        try:
            with write_session(engine) as session:
                action(
                    session, actor=actor, lead_id=lead.id, expected_version=lead.version, **kwargs
                )
            outcomes[name] = "saved"
        except Conflict as exc:
            outcomes[name] = exc.message

    threads = [
        threading.Thread(target=decide, args=("rep", reps[0], actions.validate_lead)),
        threading.Thread(
            target=decide,
            args=("manager", manager, actions.disqualify_lead),
            kwargs={"reason_code": "no_need"},
        ),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes.values()).count("saved") == 1
    refused = next(m for m in outcomes.values() if m != "saved")
    winner = "validated by Sam" if outcomes["rep"] == "saved" else "disqualified by Max"
    assert refused.startswith(f"Ann Lee was {winner} at ")
    assert refused.endswith("Nothing was saved; the queue now shows it as it is.")
    decisions = [e for e in events_of(engine, lead.id) if e[1] != Stage.ACCEPTED]
    assert len(decisions) == 1


def test_a_rep_acting_on_another_reps_lead_is_refused_by_the_service(engine, reps):
    lead = make_lead(engine, reps[0])
    with (
        pytest.raises(Forbidden, match="Ann Lee is assigned to Sam"),
        write_session(engine) as session,
    ):
        actions.validate_lead(
            session, actor=reps[1], lead_id=lead.id, expected_version=lead.version
        )
    assert lead_now(engine, lead.id).stage == Stage.MQL
