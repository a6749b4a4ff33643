"""Qualification of imported leads and routing of MQLs: rules, rotation, caps, away reps."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import Engine
from sqlmodel import select

from leaddash.auth import CLI_ACTOR
from leaddash.db import read_session, write_session
from leaddash.models import (
    Activity,
    AgreementVersion,
    AuditLog,
    Lead,
    Role,
    RoutingRule,
    StageEvent,
    User,
)
from leaddash.rescoring import rescore
from leaddash.routing import QualifySummary, qualify_and_route, route_leads
from leaddash.sla import business_days_deadline, business_deadline, default_sla_content
from tests.conftest import make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

# 10:00 in New York (the default SLA's time zone) on a Tuesday.
NOW = datetime(2026, 3, 3, 15, tzinfo=UTC)
DEFINITION = {
    "fit_rules": [{"id": "F1", "field": "employees", "op": "gte", "value": 50}],
    "disqualifiers": [],
    "scoring": {"activities": {"form_fill": {"points": 20, "cap": None}}, "half_life_days": None},
    "threshold": 40,
    "reasons": [{"code": "no_fit", "clause": "F1"}],
    "sample_below_threshold": {"rate": 0.0, "band": 0},
}


def add_agreements(engine: Engine, *, sample_rate: float = 0.0) -> AgreementVersion:
    """Write an active definition v3 (threshold 40, 20 points a form) and the default SLA."""
    content = {**DEFINITION, "sample_below_threshold": {"rate": sample_rate, "band": 20}}
    with write_session(engine) as session:
        version = AgreementVersion(
            kind="definition",
            number=3,
            title="Def",
            status="active",
            content=content,
            effective_from=NOW - timedelta(days=9),
        )
        session.add_all(
            [
                version,
                AgreementVersion(
                    kind="sla",
                    number=1,
                    title="SLA",
                    status="active",
                    content=default_sla_content(),
                    effective_from=NOW - timedelta(days=9),
                ),
            ]
        )
        return version


def add_leads(engine: Engine, *specs: dict[str, Any]) -> list[int]:
    """Write leads (keys: forms, employees, segment, country, stage, …); return their ids."""
    ids = []
    with write_session(engine) as session:
        for spec in specs:
            spec = {"employees": 200, "stage": "inquiry", **spec}
            forms = spec.pop("forms", 0)
            lead = Lead(created_at=NOW - timedelta(days=1), **spec)
            session.add(lead)
            session.flush()
            session.add_all(
                Activity(
                    lead_id=lead.id, type="form_fill", occurred_at=NOW - timedelta(hours=i + 1)
                )
                for i in range(forms)
            )
            ids.append(lead.id)
    return ids


def add_rule(engine: Engine, team: str, priority: int = 100, **conditions: Any) -> None:
    with write_session(engine) as session:
        team_id = session.exec(
            select(User.team_id).where(User.username == team.lower() + "1")
        ).first()
        session.add(RoutingRule(priority=priority, team_id=team_id, **conditions))


def add_team(engine: Engine, team: str, reps: int, **settings: Any) -> list[int]:
    """Create `reps` reps named <team>1… in `team`; return their ids."""
    ids = [make_user(engine, f"{team.lower()}{i + 1}", Role.REP, team=team).id for i in range(reps)]
    if settings:
        with write_session(engine) as session:
            for user in session.exec(select(User).where(User.id.in_(ids))):
                for key, value in settings.items():
                    setattr(user, key, value)
    return ids


def leads(engine: Engine) -> dict[int, Lead]:
    with read_session(engine) as session:
        return {lead.id: lead for lead in session.exec(select(Lead)).all()}


def build_routing(engine: Engine) -> SimpleNamespace:
    """Teams East (3 reps) and Enterprise (1 rep), rules: Enterprise segment first, then
    DE to East; nothing else matches."""
    east, enterprise = add_team(engine, "East", 3), add_team(engine, "Enterprise", 1)
    add_rule(engine, "Enterprise", 10, segment="Enterprise")
    add_rule(engine, "East", 20, country="DE")
    return SimpleNamespace(east=east, enterprise=enterprise)


def mqls(engine: Engine, count: int, **spec: Any) -> list[int]:
    return add_leads(engine, *({"stage": "mql", "country": "DE", **spec} for _ in range(count)))


# --- qualification ------------------------------------------------------------------------


def test_leads_that_meet_the_definition_become_mqls_of_the_active_version(engine):
    version = add_agreements(engine)
    hot, cold, misfit = add_leads(engine, {"forms": 2}, {"forms": 1}, {"forms": 3, "employees": 10})
    with write_session(engine) as session:
        summary = qualify_and_route(session, lead_ids=[hot, cold, misfit], at=NOW)
    assert summary == QualifySummary(
        scored=3, new_mqls=1, samples=0, routed=0, unassigned=0, version_id=version.id, unmatched=1
    )
    rows = leads(engine)
    assert [rows[i].stage for i in (hot, cold, misfit)] == ["mql", "inquiry", "inquiry"]
    assert (rows[hot].score, rows[cold].score, rows[misfit].fit_ok) == (40, 20, False)
    sla = default_sla_content()
    calendar, hours, days = (
        sla["calendar"],
        sla["sales"]["first_touch_hours"],
        sla["sales"]["decision_days"],
    )
    assert rows[hot].definition_version_id == version.id and not rows[hot].is_sample
    assert rows[hot].mql_at == NOW and rows[hot].stage_changed_at == NOW
    assert rows[hot].touch_due_at == business_deadline(NOW, hours, calendar)
    assert rows[hot].decision_due_at == business_days_deadline(NOW, days, calendar)


def test_each_new_mql_gets_a_stage_event_naming_the_version(engine):
    version = add_agreements(engine)
    ids = add_leads(engine, {"forms": 2}, {"forms": 3})
    with write_session(engine) as session:
        qualify_and_route(session, lead_ids=ids, at=NOW)
    with read_session(engine) as session:
        events = session.exec(select(StageEvent).order_by(StageEvent.lead_id)).all()
    assert [
        (e.lead_id, e.from_stage, e.to_stage, e.note, e.definition_version_id) for e in events
    ] == [(i, "inquiry", "mql", "Qualified by definition v3", version.id) for i in ids]


def test_fitting_leads_just_below_the_threshold_are_routed_as_a_marked_sample(engine):
    add_agreements(engine, sample_rate=1.0)
    east = add_team(engine, "East", 1)
    add_rule(engine, "East")
    near, far, misfit = add_leads(engine, {"forms": 1}, {"forms": 0}, {"forms": 1, "employees": 5})
    with write_session(engine) as session:
        summary = qualify_and_route(session, lead_ids=[near, far, misfit], at=NOW, seed=7)
    assert (summary.new_mqls, summary.samples, summary.routed) == (1, 1, 1)
    rows = leads(engine)
    assert (rows[near].stage, rows[near].is_sample, rows[near].owner_id) == ("mql", True, east[0])
    assert rows[far].stage == rows[misfit].stage == "inquiry"
    with read_session(engine) as session:
        note = session.exec(select(StageEvent.note).where(StageEvent.lead_id == near)).one()
    assert note == "Below-threshold sample for recall (definition v3)"


def test_the_sample_is_the_same_for_the_same_seed(engine):
    add_agreements(engine, sample_rate=0.5)
    ids = add_leads(engine, *({"forms": 1} for _ in range(40)))
    with write_session(engine) as session:
        summary = qualify_and_route(session, lead_ids=ids, at=NOW, seed=11)
    sampled = sorted(i for i, lead in leads(engine).items() if lead.is_sample)
    assert 5 < summary.samples == len(sampled) < 35
    with write_session(engine) as session:
        for lead in session.exec(select(Lead)):
            lead.stage, lead.is_sample = "inquiry", False
    with write_session(engine) as session:
        qualify_and_route(session, lead_ids=ids, at=NOW, seed=11)
    assert sorted(i for i, lead in leads(engine).items() if lead.is_sample) == sampled


def test_without_an_active_definition_nothing_is_scored_and_the_summary_says_so(engine):
    ids = add_leads(engine, {"forms": 5})
    with write_session(engine) as session:
        summary = qualify_and_route(session, lead_ids=ids, at=NOW)
    assert summary == QualifySummary()
    assert summary.sentence().startswith("No lead definition is active")
    assert leads(engine)[ids[0]].stage == "inquiry"


def test_only_inquiries_among_the_given_leads_are_scored(engine):
    add_agreements(engine)
    given, other, decided = add_leads(
        engine, {"forms": 2}, {"forms": 2}, {"forms": 2, "stage": "validated"}
    )
    with write_session(engine) as session:
        summary = qualify_and_route(session, lead_ids=[given, decided], at=NOW)
    rows = leads(engine)
    assert summary.scored == 1
    assert [rows[i].stage for i in (given, other, decided)] == ["mql", "inquiry", "validated"]


def test_qualifying_leaves_one_audit_row_with_the_counts(engine):
    add_agreements(engine)
    ids = add_leads(engine, {"forms": 2}, {"forms": 0})
    with write_session(engine) as session:
        qualify_and_route(session, lead_ids=ids, at=NOW, actor=CLI_ACTOR)
    with read_session(engine) as session:
        rows = session.exec(select(AuditLog).where(AuditLog.action == "lead.qualify")).all()
    assert len(rows) == 1
    assert (rows[0].after["scored"], rows[0].after["new_mqls"]) == (2, 1)


# --- routing ------------------------------------------------------------------------------


def test_the_matching_rule_with_the_lowest_priority_number_picks_the_team(engine):
    team = build_routing(engine)
    german_enterprise, german, french = add_leads(
        engine,
        {"stage": "mql", "country": "DE", "segment": "Enterprise"},
        {"stage": "mql", "country": "de"},
        {"stage": "mql", "country": "FR"},
    )
    with write_session(engine) as session:
        summary = route_leads(session, lead_ids=[german_enterprise, german, french], at=NOW)
    rows = leads(engine)
    assert rows[german_enterprise].owner_id == team.enterprise[0]
    assert rows[german].owner_id in team.east
    assert (rows[french].team_id, rows[french].owner_id) == (None, None)
    assert (summary.routed, summary.unassigned, summary.unmatched) == (2, 0, 1)


def test_employee_bounds_limit_a_rule(engine):
    add_team(engine, "East", 1)
    add_team(engine, "West", 1)
    add_rule(engine, "East", 10, min_employees=100, max_employees=999)
    add_rule(engine, "West", 20)
    small, mid, unknown = (
        mqls(engine, 1, employees=50)
        + mqls(engine, 1, employees=500)
        + mqls(engine, 1, employees=None)
    )
    with write_session(engine) as session:
        route_leads(session, lead_ids=[small, mid, unknown], at=NOW)
    rows, names = leads(engine), _usernames(engine)
    assert [names[rows[i].owner_id] for i in (small, mid, unknown)] == ["west1", "east1", "west1"]


def test_a_batch_is_dealt_round_robin_fewest_assigned_first(engine):
    team = build_routing(engine)
    earlier = mqls(engine, 1)
    with write_session(engine) as session:
        route_leads(session, lead_ids=earlier, at=NOW - timedelta(hours=1))
    batch = mqls(engine, 7)
    with write_session(engine) as session:
        route_leads(session, lead_ids=batch, at=NOW)
    rows = leads(engine)
    first = rows[earlier[0]].owner_id
    others = [r for r in team.east if r != first]
    assert [rows[i].owner_id for i in batch] == [*others, first, *others, first, others[0]]
    assert Counter(rows[i].owner_id for i in earlier + batch) == Counter(
        {first: 3, others[0]: 3, others[1]: 2}
    )
    assert all(rows[i].assigned_at == NOW for i in batch)


def test_a_daily_cap_counts_leads_assigned_earlier_the_same_day(engine):
    add_agreements(engine)  # New York time: the day began at 05:00 UTC
    ann, bob = add_team(engine, "East", 2, daily_cap=2)
    add_rule(engine, "East")
    today = mqls(engine, 1, owner_id=ann, assigned_at=NOW.replace(hour=6))
    yesterday = mqls(engine, 2, owner_id=bob, assigned_at=NOW.replace(hour=4))
    batch = mqls(engine, 4)
    with write_session(engine) as session:
        summary = route_leads(session, lead_ids=today + yesterday + batch, at=NOW)
    owners = Counter(lead.owner_id for i, lead in leads(engine).items() if i in batch)
    assert owners == Counter({bob: 2, ann: 1, None: 1})
    assert (summary.routed, summary.unassigned) == (3, 1)


def test_away_reps_get_no_leads(engine):
    team = build_routing(engine)
    with write_session(engine) as session:
        session.get(User, team.east[0]).is_away = True
    batch = mqls(engine, 4)
    with write_session(engine) as session:
        route_leads(session, lead_ids=batch, at=NOW)
    owners = Counter(lead.owner_id for lead in leads(engine).values())
    assert owners == Counter({team.east[1]: 2, team.east[2]: 2})


def test_when_every_rep_is_full_leads_wait_unassigned_in_the_team_queue(engine):
    add_team(engine, "East", 2, daily_cap=0)
    add_rule(engine, "East")
    batch = mqls(engine, 3)
    with write_session(engine) as session:
        summary = route_leads(session, lead_ids=batch, at=NOW)
    team_id = _team_of(engine, "east1")
    assert [
        (lead.stage, lead.team_id, lead.owner_id, lead.assigned_at)
        for lead in leads(engine).values()
    ] == [("mql", team_id, None, None)] * 3
    assert (summary.routed, summary.unassigned, summary.unmatched) == (0, 3, 0)


def test_leads_waiting_in_a_team_queue_go_to_a_rep_once_one_is_free(engine):
    (ann,) = add_team(engine, "East", 1, daily_cap=0)
    add_rule(engine, "East")
    batch = mqls(engine, 1)
    with write_session(engine) as session:
        route_leads(session, lead_ids=batch, at=NOW)
        session.get(User, ann).daily_cap = 5
    with write_session(engine) as session:
        route_leads(session, lead_ids=batch, at=NOW)
    assert leads(engine)[batch[0]].owner_id == ann


def test_imported_mqls_are_routed_by_qualification(engine):
    add_agreements(engine)
    team = build_routing(engine)
    ids = add_leads(engine, *({"forms": 2, "country": "DE"} for _ in range(3)))
    with write_session(engine) as session:
        summary = qualify_and_route(session, lead_ids=ids, at=NOW)
    assert sorted(lead.owner_id for lead in leads(engine).values()) == sorted(team.east)
    assert summary.sentence() == (
        "Scored 3 leads: 3 new MQLs (0 of them below-threshold samples); 3 went to a rep."
    )


def test_rescoring_routes_the_leads_it_promotes(engine):
    version = add_agreements(engine)
    team = build_routing(engine)
    ids = add_leads(engine, {"forms": 2, "country": "DE"})
    with write_session(engine) as session:
        rescore(session, session.get(AgreementVersion, version.id), as_of=NOW)
    assert leads(engine)[ids[0]].owner_id in team.east


def _usernames(engine: Engine) -> dict[int, str]:
    with read_session(engine) as session:
        return dict(session.exec(select(User.id, User.username)).all())


def _team_of(engine: Engine, username: str) -> int:
    with read_session(engine) as session:
        return session.exec(select(User.team_id).where(User.username == username)).one()
