"""The SLA sweep (docs/metrics.md, "SLA alerts"): each step told once at its moment, in
business time; met and cancelled milestones skipped; the ladder's last step putting the
lead back in its team's queue; two sweeps at once never telling the same step twice."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from leaddash.core.times import as_utc
from leaddash.db import read_session, write_session
from leaddash.fact_tables import LeadPass
from leaddash.facts.refresh import refresh_facts
from leaddash.models import AgreementKind, AuditLog, Lead, Role, Stage
from leaddash.queue.sla_sweep import (
    RETURN_ACTION,
    SlaAlert,
    advance_steps,
    due_step_query,
    find_due_steps,
    ladders,
    missing_warning_query,
    sweep,
)
from leaddash.routing.promotion import deadlines_under
from leaddash.sla import business_deadline, default_sla_content, read_sla
from tests.conftest import make_user
from tests.pass_factory import activate

pytestmark = pytest.mark.postgresql  # row locks and RETURNING differ by backend

MINUTE = timedelta(minutes=1)


def local(text: str) -> datetime:
    """Return the aware UTC datetime of a New York wall-clock time."""
    return pd.Timestamp(text, tz="America/New_York").tz_convert("UTC").to_pydatetime()


MQL = local("2026-03-06 16:00")  # a Friday, an hour before closing


def sla(*, ladder: list[float] | None = None, back: bool = False) -> dict:
    """Return the default SLA (4 business hours, 5 business days, New York, 75%) with the
    escalation ladder `ladder` (default [4, 24]) and `back` = return_to_team_queue."""
    content = default_sla_content()
    content["sales"]["escalation"] = {
        "after_breach_hours": [4, 24] if ladder is None else ladder,
        "return_to_team_queue": back,
    }
    return content


def add_lead(engine: Engine, content: dict, owner, *, stage: str = Stage.MQL, **fields) -> int:
    """Store an MQL of MQL time under `content`, owned by `owner`; return its id."""
    due = deadlines_under(content, MQL)
    values = {
        "touch_due_at": due.touch_due,
        "decision_due_at": due.decision_due,
        "touch_warn_at": due.touch_warn,
        "decision_warn_at": due.decision_warn,
    } | fields
    with write_session(engine) as session:
        lead = Lead(
            first_name="Ann",
            last_name="Lee",
            company="Acme",
            stage=stage,
            stage_changed_at=MQL,
            mql_at=MQL,
            owner_id=owner.id,
            team_id=owner.team_id,
            assigned_at=MQL,
            **values,
        )
        session.add(lead)
        session.flush()
        refresh_facts(session, lead_ids=[lead.id])
        return lead.id


def swept(engine: Engine, now: datetime) -> list[SlaAlert]:
    with write_session(engine) as session:
        return sweep(session, now)


@pytest.fixture
def rita(engine):
    return make_user(engine, "rita", Role.REP, team="East")


def alert(lead_id, rita, milestone, kind, step, due) -> SlaAlert:
    return SlaAlert(lead_id, milestone, kind, step, rita.id, rita.team_id, due, "Ann Lee")


def test_each_step_is_told_once_at_its_moment_in_business_time(engine, rita):
    content = sla()
    activate(engine, AgreementKind.SLA, content)
    lead_id = add_lead(engine, content, rita)
    due = deadlines_under(content, MQL)
    first = business_deadline(due.touch_due, 4, content["calendar"])
    second = business_deadline(due.touch_due, 24, content["calendar"])
    touch = ("first_touch", due.touch_due)

    told = {
        "weekend": swept(engine, local("2026-03-08 12:00")),
        "before warning": swept(engine, due.touch_warn - MINUTE),
        "warning": swept(engine, due.touch_warn),
        "warning again": swept(engine, due.touch_warn + MINUTE),
        "at the deadline": swept(engine, due.touch_due),
        "breach": swept(engine, due.touch_due + MINUTE),
        "before the first escalation": swept(engine, first - MINUTE),
        "first escalation": swept(engine, first),
        "second escalation": swept(engine, second),
        "after the ladder": swept(engine, second + timedelta(days=30)),
    }

    assert told == {
        "weekend": [],
        "before warning": [],
        "warning": [alert(lead_id, rita, touch[0], "warning", 1, touch[1])],
        "warning again": [],
        "at the deadline": [],
        "breach": [alert(lead_id, rita, touch[0], "breach", 2, touch[1])],
        "before the first escalation": [],
        "first escalation": [alert(lead_id, rita, touch[0], "escalation", 3, touch[1])],
        "second escalation": [alert(lead_id, rita, touch[0], "escalation", 4, touch[1])],
        "after the ladder": [alert(lead_id, rita, "decision", "breach", 2, due.decision_due)],
    }


def test_the_first_escalation_waits_for_business_hours_not_wall_clock_hours(engine, rita):
    content = sla()
    activate(engine, AgreementKind.SLA, content)
    add_lead(engine, content, rita, touch_alert_step=2)
    due = deadlines_under(content, MQL)  # Monday 12:00: 4 business hours is 16:00

    assert swept(engine, due.touch_due + timedelta(hours=4) - MINUTE) == []
    evening = local("2026-03-09 23:00")  # 11 wall-clock hours later, only 5 business hours
    assert [a.step for a in swept(engine, evening)] == [3]


def test_a_sweep_that_was_down_tells_only_the_latest_step(engine, rita):
    content = sla()
    activate(engine, AgreementKind.SLA, content)
    lead_id = add_lead(engine, content, rita)
    due = deadlines_under(content, MQL)
    late = business_deadline(due.touch_due, 25, content["calendar"])

    assert swept(engine, late) == [
        alert(lead_id, rita, "first_touch", "escalation", 4, due.touch_due)
    ]
    assert swept(engine, late + MINUTE) == []


def test_met_and_cancelled_milestones_are_never_told(engine, rita):
    content = sla()
    activate(engine, AgreementKind.SLA, content)
    due = deadlines_under(content, MQL)
    touched = add_lead(engine, content, rita, stage=Stage.ACCEPTED, first_touch_at=due.touch_warn)
    add_lead(engine, content, rita, stage=Stage.REJECTED, decided_at=due.touch_warn)
    add_lead(engine, content, rita, stage=Stage.RECYCLED, decided_at=due.touch_due + MINUTE)

    told = swept(engine, due.decision_due + timedelta(days=30))

    assert told == [alert(touched, rita, "decision", "breach", 2, due.decision_due)]


def test_the_decision_is_warned_and_breached_but_not_escalated(engine, rita):
    content = sla()
    activate(engine, AgreementKind.SLA, content)
    due = deadlines_under(content, MQL)
    lead_id = add_lead(engine, content, rita, stage=Stage.ACCEPTED, first_touch_at=MQL)

    told = [
        swept(engine, due.decision_warn),
        swept(engine, due.decision_due + MINUTE),
        swept(engine, due.decision_due + timedelta(days=30)),
    ]

    assert told == [
        [alert(lead_id, rita, "decision", "warning", 1, due.decision_due)],
        [alert(lead_id, rita, "decision", "breach", 2, due.decision_due)],
        [],
    ]


def test_the_last_step_puts_the_lead_back_in_its_team_queue_when_the_sla_says_so(engine, rita):
    content = sla(ladder=[4], back=True)
    activate(engine, AgreementKind.SLA, content)
    lead_id = add_lead(engine, content, rita, touch_alert_step=2)
    due = deadlines_under(content, MQL)
    last = business_deadline(due.touch_due, 4, content["calendar"])

    told = swept(engine, last)

    assert told == [alert(lead_id, rita, "first_touch", "escalation", 3, due.touch_due)]
    with read_session(engine) as session:
        lead = session.get(Lead, lead_id)
        audit = session.exec(select(AuditLog).where(AuditLog.action == RETURN_ACTION)).all()
        facts = session.exec(select(LeadPass.owner_id).where(LeadPass.lead_id == lead_id)).all()
    assert (lead.owner_id, lead.assigned_at, lead.team_id, lead.version) == (
        None,
        None,
        rita.team_id,
        2,
    )
    assert [(a.entity_id, a.before["owner_id"], a.after["owner_id"]) for a in audit] == [
        (lead_id, rita.id, None)
    ]
    assert facts == [None]


def test_without_return_to_team_queue_the_owner_keeps_the_lead(engine, rita):
    content = sla(ladder=[4], back=False)
    activate(engine, AgreementKind.SLA, content)
    lead_id = add_lead(engine, content, rita, touch_alert_step=2)
    due = deadlines_under(content, MQL)

    swept(engine, business_deadline(due.touch_due, 4, content["calendar"]))

    with read_session(engine) as session:
        assert session.get(Lead, lead_id).owner_id == rita.id


def test_missing_warning_points_are_computed_by_the_sweep(engine, rita):
    content = sla()
    activate(engine, AgreementKind.SLA, content)
    lead_id = add_lead(engine, content, rita, touch_warn_at=None, decision_warn_at=None)
    due = deadlines_under(content, MQL)

    assert swept(engine, MQL) == []

    with read_session(engine) as session:
        lead = session.get(Lead, lead_id)
        stored = (lead.touch_warn_at, lead.decision_warn_at)
    assert tuple(as_utc(t) for t in stored) == (due.touch_warn, due.decision_warn)


def test_nothing_is_told_without_an_active_sla(engine, rita):
    add_lead(engine, sla(), rita)

    assert swept(engine, MQL + timedelta(days=60)) == []


def test_a_sweep_rolled_back_leaves_the_step_to_the_next_one(engine, rita):
    content = sla()
    activate(engine, AgreementKind.SLA, content)
    add_lead(engine, content, rita)
    due = deadlines_under(content, MQL)

    with pytest.raises(RuntimeError), write_session(engine) as session:
        assert len(sweep(session, due.touch_warn)) == 1
        raise RuntimeError("the notifications could not be written")

    assert [a.kind for a in swept(engine, due.touch_warn)] == ["warning"]


def test_a_sweep_that_read_before_another_committed_tells_nothing_again(engine, rita):
    content = sla()
    activate(engine, AgreementKind.SLA, content)
    add_lead(engine, content, rita)
    due = deadlines_under(content, MQL)
    with read_session(engine) as session:
        stale = find_due_steps(session, due.touch_warn)

    first = swept(engine, due.touch_warn)
    with write_session(engine) as session:
        second = advance_steps(session, stale)

    assert (len(stale), len(first), second) == (1, 1, [])


def test_two_sweeps_at_once_tell_each_step_once(engine, rita):
    content = sla()
    activate(engine, AgreementKind.SLA, content)
    leads = [add_lead(engine, content, rita) for _ in range(20)]
    due = deadlines_under(content, MQL)
    start = threading.Barrier(2)
    results: list[list[SlaAlert]] = []

    def run() -> None:
        start.wait()
        results.append(swept(engine, due.touch_due + MINUTE))

    workers = [threading.Thread(target=run) for _ in range(2)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()

    told = sorted(a.lead_id for result in results for a in result)
    assert told == sorted(leads)
    assert len(results) == 2


def plan(engine: Engine, query) -> str:
    """Return SQLite's query plan for `query` (IN lists expanded), one step a line."""
    compiled = query.compile(engine, compile_kwargs={"render_postcompile": True})
    values = tuple(str(compiled.params[name]) for name in compiled.positiontup)
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {compiled}", values).all()
    return "\n".join(row[-1] for row in rows)


@pytest.mark.parametrize("ladder", ladders(read_sla(sla())), ids=lambda ladder: ladder.milestone)
def test_the_sweeps_searches_read_the_alert_indexes(sqlite_engine, ladder):
    index = {"first_touch": "ix_lead_touch_alerts", "decision": "ix_lead_decision_alerts"}

    assert index[ladder.milestone] in plan(sqlite_engine, due_step_query(ladder, MQL))
    assert index[ladder.milestone] in plan(sqlite_engine, missing_warning_query(ladder))
