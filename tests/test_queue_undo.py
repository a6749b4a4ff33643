"""Undoing a decision: its author, within 30 seconds, puts the lead back with a compensating
stage event (the decision stays in the history) and the facts follow."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leaddash.db import read_session, write_session
from leaddash.errors import Conflict, Forbidden
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.models import AuditLog, Role, Stage, StageEvent, utcnow
from leaddash.queue import actions
from leaddash.reasons import ensure_default_reasons
from tests.conftest import make_user
from tests.event_history import activate_sla, facts_table
from tests.queue_factory import lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

DECISIONS = [
    (actions.validate_lead, {}, Stage.VALIDATED),
    (actions.disqualify_lead, {"reason_code": "no_fit"}, Stage.DISQUALIFIED),
    (actions.reject_lead, {"reason_code": "bad_data"}, Stage.REJECTED),
    (actions.recycle_lead, {"reason_code": "not_now"}, Stage.RECYCLED),
]


@pytest.fixture
def rep(engine):
    activate_sla(engine)
    with write_session(engine) as session:
        ensure_default_reasons(session)
    return make_user(engine, "sam", Role.REP, team="East")


def act(engine, action, actor, lead_id, **kwargs):
    """Run one action in its own transaction, with the version the caller last saw."""
    with write_session(engine) as session:
        return action(
            session,
            actor=actor,
            lead_id=lead_id,
            expected_version=lead_now(engine, lead_id).version,
            **kwargs,
        )


def stages(engine, lead_id) -> list[tuple[str | None, str]]:
    with read_session(engine) as session:
        rows = session.exec(
            select(StageEvent.from_stage, StageEvent.to_stage)
            .where(StageEvent.lead_id == lead_id)
            .order_by(StageEvent.id)
        ).all()
    return [tuple(r) for r in rows]


@pytest.mark.parametrize(("action", "extra", "decided"), DECISIONS)
def test_undo_within_30_seconds_puts_the_lead_back_and_keeps_the_decision(
    engine, rep, action, extra, decided
):
    lead = make_lead(engine, rep)
    if action is not actions.reject_lead:
        act(engine, actions.accept_lead, rep, lead.id)
    before = lead_now(engine, lead.id).stage
    decided_at = utcnow()
    act(engine, action, rep, lead.id, at=decided_at, **extra)
    history = stages(engine, lead.id)

    result = act(
        engine, actions.undo_decision, rep, lead.id, now=decided_at + timedelta(seconds=30)
    )

    now = lead_now(engine, lead.id)
    assert (now.stage, now.decided_at, result.stage) == (before, None, before)
    assert stages(engine, lead.id) == [*history, (decided, before)]
    assert result.message == "Undone: Ann Lee is back in your queue."
    with read_session(engine) as session:
        audit = session.exec(select(AuditLog).where(AuditLog.action == "lead.undo")).all()
    assert {a.entity for a in audit} == {"lead", "stageevent"}


def test_undo_after_30_seconds_is_refused_and_changes_nothing(engine, rep):
    lead = make_lead(engine, rep)
    decided_at = utcnow()
    act(engine, actions.validate_lead, rep, lead.id, at=decided_at)
    history = stages(engine, lead.id)
    late = decided_at + timedelta(seconds=31)
    with pytest.raises(Conflict, match="more than 30 seconds ago, so it can no longer be undone"):
        act(engine, actions.undo_decision, rep, lead.id, now=late)
    assert lead_now(engine, lead.id).stage == Stage.VALIDATED
    assert stages(engine, lead.id) == history


def test_undo_of_someone_elses_decision_is_refused_with_their_name(engine, rep):
    manager = make_user(engine, "meg", Role.SALES_MANAGER, team="East")
    lead = make_lead(engine, rep)
    decided_at = utcnow()
    act(engine, actions.validate_lead, rep, lead.id, at=decided_at)
    with pytest.raises(Forbidden, match="validated by Sam: only they can undo"):
        act(engine, actions.undo_decision, manager, lead.id, now=decided_at)
    assert lead_now(engine, lead.id).stage == Stage.VALIDATED


def test_undo_without_a_decision_is_refused(engine, rep):
    lead = make_lead(engine, rep)
    act(engine, actions.accept_lead, rep, lead.id)
    with pytest.raises(Conflict, match="Ann Lee has no decision to undo: it is accepted"):
        act(engine, actions.undo_decision, rep, lead.id)


def test_after_an_undo_the_facts_equal_a_rebuild(engine, rep):
    leads = [make_lead(engine, rep, first=name) for name in ("Val", "Dee", "Rae", "Rex")]
    decided_at = utcnow()
    for lead, (action, extra, _) in zip(leads, DECISIONS, strict=True):
        act(engine, action, rep, lead.id, at=decided_at, **extra)
        act(engine, actions.undo_decision, rep, lead.id, now=decided_at + timedelta(seconds=5))
    kept = facts_table(engine)

    with write_session(engine) as session:
        rebuild_all_facts(session)

    assert facts_table(engine) == kept
    assert len(kept) == len(leads)
