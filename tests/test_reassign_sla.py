"""Who missed what after a reassignment, and misrouted leads sent back to routing, on
SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from leaddash.analytics.breaches import breaches
from leaddash.analytics.filters import Filters
from leaddash.db import read_session, write_session
from leaddash.errors import InvalidInput
from leaddash.models import AgreementKind, AgreementVersion, AuditLog, Lead, Role, RoutingRule
from leaddash.queue.actions import reject_lead
from leaddash.queue.team import NO_OWNER, reassign_leads, sla_breaches
from leaddash.sla import business_deadline, default_sla_content, warning_point
from tests.conftest import make_user
from tests.event_history import activate_sla, at
from tests.queue_factory import lead_now, make_lead

pytestmark = pytest.mark.postgresql

# A Tuesday, inside New York's 9–17 working day (14:00 UTC is 09:00 EST).
MQL_AT = at("2026-03-03 14:00")
TOUCH_DUE = at("2026-03-03 18:00")  # 4 business hours later
NOW = at("2026-03-05 15:00")  # two days past it


@pytest.fixture
def people(engine):
    """East (manager eve, reps ana and ben), West (rep cy), a sales leader, the SLA."""
    activate_sla(engine)
    return {
        "eve": make_user(engine, "eve", Role.SALES_MANAGER, team="East"),
        "ana": make_user(engine, "ana", Role.REP, team="East"),
        "ben": make_user(engine, "ben", Role.REP, team="East"),
        "cy": make_user(engine, "cy", Role.REP, team="West"),
        "lee": make_user(engine, "lee", Role.SALES_LEADER),
    }


def _late_lead(engine, owner, **fields):
    """Return an untouched MQL of `owner`, assigned at MQL time, past its touch deadline."""
    lead = make_lead(engine, owner, **fields)
    with write_session(engine) as session:
        row = session.get(Lead, lead.id)
        row.mql_at = row.assigned_at = MQL_AT
        row.touch_due_at, row.decision_due_at = TOUCH_DUE, at("2026-03-10 22:00")
    return lead_now(engine, lead.id)


def _reassign(engine, actor, lead, when=NOW, **target):
    with write_session(engine) as session:
        reassign_leads(session, actor=actor, versions={lead.id: lead.version}, at=when, **target)
    return lead_now(engine, lead.id)


def _breaches(engine, actor, now):
    with read_session(engine) as session:
        return sla_breaches(session, actor=actor, now=now)


def _terms(engine):
    with read_session(engine) as session:
        version = session.exec(
            select(AgreementVersion).where(AgreementVersion.kind == AgreementKind.SLA)
        ).one()
        return version.content


def test_an_untouched_lead_gets_the_reassigned_window_from_the_reassignment(engine, people):
    lead = _late_lead(engine, people["ana"])

    moved = _reassign(engine, people["eve"], lead, owner_id=people["ben"].id)

    terms = _terms(engine)
    hours = terms["sales"]["reassigned_touch_hours"]
    due = business_deadline(NOW, float(hours), terms["calendar"])
    assert moved.owner_id == people["ben"].id
    assert moved.touch_due_at == due
    assert moved.touch_warn_at == warning_point(
        NOW, due, terms["sales"]["warning_share"], terms["calendar"]
    )
    assert moved.touch_missed_by_id == people["ana"].id
    assert moved.decision_due_at == at("2026-03-10 22:00")  # the decision clock runs on


def test_the_window_is_the_slas_reassigned_hours_when_set(engine, people):
    with write_session(engine) as session:
        version = session.exec(select(AgreementVersion)).one()
        content = default_sla_content()
        content["sales"]["reassigned_touch_hours"] = 1.5
        version.content = content
    lead = _late_lead(engine, people["ana"])

    moved = _reassign(engine, people["eve"], lead, owner_id=people["ben"].id)

    assert moved.touch_due_at == business_deadline(NOW, 1.5, content["calendar"])


def test_the_breach_list_names_who_missed_it(engine, people):
    lead = _late_lead(engine, people["ana"])
    before = _breaches(engine, people["eve"], NOW)
    assert before.loc[before["id"] == lead.id, "missed_by"].tolist() == ["Ana"]

    moved = _reassign(engine, people["eve"], lead, owner_id=people["ben"].id)

    assert (
        lead.id not in _breaches(engine, people["eve"], NOW + timedelta(minutes=1))["id"].tolist()
    )
    later = moved.touch_due_at + timedelta(minutes=5)
    after = _breaches(engine, people["eve"], later)
    row = after[after["id"] == lead.id].iloc[0]
    assert (row["owner"], row["missed_by"]) == ("Ben", "Ben")


def test_a_lead_put_back_in_the_team_queue_keeps_the_previous_owners_miss(engine, people):
    lead = _late_lead(engine, people["ana"])

    moved = _reassign(engine, people["eve"], lead, team_id=people["ana"].team_id)

    assert moved.touch_due_at == TOUCH_DUE  # no new owner, no new window
    row = _breaches(engine, people["eve"], NOW).set_index("id").loc[lead.id]
    assert (row["owner"], row["missed_by"]) == ("Unassigned", "Ana")


def test_a_decision_breach_stays_with_the_owner_at_the_deadline(engine, people):
    lead = _late_lead(engine, people["ana"])
    with write_session(engine) as session:
        row = session.get(Lead, lead.id)
        row.first_touch_at = at("2026-03-03 15:00")
        row.decision_due_at = at("2026-03-04 22:00")
    lead = lead_now(engine, lead.id)

    moved = _reassign(engine, people["eve"], lead, owner_id=people["ben"].id)

    assert moved.decision_due_at == at("2026-03-04 22:00")
    assert moved.touch_due_at == TOUCH_DUE  # touched: nothing restarts
    row = _breaches(engine, people["eve"], NOW).set_index("id").loc[lead.id]
    assert (row["owner"], row["missed_by"]) == ("Ben", "Ana")


def test_a_lead_that_never_had_an_owner_was_missed_by_nobody(engine, people):
    lead = _late_lead(engine, None, team_id=people["ana"].team_id)

    row = _breaches(engine, people["eve"], NOW).set_index("id").loc[lead.id]

    assert row["missed_by"] == NO_OWNER


def _rule(engine, team_id, priority, **conditions):
    with write_session(engine) as session:
        session.add(RoutingRule(priority=priority, team_id=team_id, **conditions))


def _misroute(engine, rep, lead, team_id=None):
    with write_session(engine) as session:
        return reject_lead(
            session,
            actor=rep,
            lead_id=lead.id,
            expected_version=lead.version,
            reason_code="misrouted",
            note="They are in Canada",
            at=NOW,
            team_id=team_id,
        )


def test_misrouted_goes_to_the_team_another_rule_picks(engine, people):
    east, west = people["ana"].team_id, people["cy"].team_id
    _rule(engine, east, 1, country="US")
    _rule(engine, west, 2, country="US")
    lead = _late_lead(engine, people["ana"])

    result = _misroute(engine, people["ana"], lead)

    moved = lead_now(engine, lead.id)
    assert (moved.team_id, moved.owner_id, moved.stage) == (west, people["cy"].id, lead.stage)
    assert result.message == "Ann Lee sent back to routing: it went to Cy in West."
    assert moved.touch_missed_by_id == people["ana"].id
    with read_session(engine) as session:
        audit = session.exec(
            select(AuditLog).where(AuditLog.action == "lead.reroute", AuditLog.entity_id == lead.id)
        ).all()
    kept = [row.after for row in audit if row.after and "reason" in row.after]
    assert kept == [
        {
            "team_id": west,
            "owner_id": people["cy"].id,
            "reason": "misrouted",
            "note": "They are in Canada",
        }
    ]


def test_misrouted_with_no_other_rule_waits_in_the_team_the_rep_named(engine, people):
    east, west = people["ana"].team_id, people["cy"].team_id
    _rule(engine, east, 1, country="US")
    lead = _late_lead(engine, people["ana"])

    with pytest.raises(InvalidInput, match="pick the team it belongs to"):
        _misroute(engine, people["ana"], lead)
    with pytest.raises(InvalidInput, match="Pick another team"):
        _misroute(engine, people["ana"], lead, team_id=east)
    result = _misroute(engine, people["ana"], lead, team_id=west)

    moved = lead_now(engine, lead.id)
    assert (moved.team_id, moved.owner_id) == (west, None)
    assert result.message == "Ann Lee sent back to routing: it went to the West queue."


def test_other_rejections_still_go_back_to_marketing(engine, people):
    lead = _late_lead(engine, people["ana"])

    with write_session(engine) as session:
        reject_lead(
            session,
            actor=people["ana"],
            lead_id=lead.id,
            expected_version=lead.version,
            reason_code="bad_data",
            at=NOW,
        )

    assert lead_now(engine, lead.id).stage == "rejected"


def _analytics_breaches(engine, actor, kind):
    with read_session(engine) as session:
        return breaches(session, actor=actor, filters=Filters(), kind=kind, now=NOW)


def test_the_compliance_drill_down_names_who_missed_a_reassigned_lead(engine, people):
    decided_late = _late_lead(engine, people["ana"], first="Dee")
    with write_session(engine) as session:
        row = session.get(Lead, decided_late.id)
        row.first_touch_at = at("2026-03-03 15:00")
        row.decision_due_at = at("2026-03-04 22:00")
    _reassign(engine, people["eve"], lead_now(engine, decided_late.id), owner_id=people["ben"].id)
    untouched = _late_lead(engine, people["ana"], first="Uma")
    _reassign(engine, people["eve"], untouched, team_id=people["ana"].team_id)
    kept = _late_lead(engine, people["ana"], first="Kim")
    _reassign(
        engine, people["eve"], kept, when=MQL_AT + timedelta(hours=1), owner_id=people["ben"].id
    )

    late = _analytics_breaches(engine, people["lee"], "no_decision").set_index("lead_id")
    lost = _analytics_breaches(engine, people["lee"], "untouched").set_index("lead_id")

    assert late.loc[decided_late.id, "rep"] == "Ana"
    assert lost.loc[untouched.id, "rep"] == "Ana"  # back in the team queue, still hers
    assert lost.loc[kept.id, "rep"] == "Ben"  # reassigned before the deadline: Ben's window
