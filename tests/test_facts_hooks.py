"""Every writer of stage events, touches, owners or scores keeps the facts current: after a
sequence of every kind of action the LeadPass table equals a rebuild from scratch."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlmodel import select

from leaddash.auth import CLI_ACTOR
from leaddash.db import read_session, write_session
from leaddash.definitions import default_definition_content
from leaddash.fact_tables import LeadPass
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.imports import import_file, read_table
from leaddash.models import AgreementKind, AgreementStatus, AgreementVersion, Lead, Role
from leaddash.queue import actions
from leaddash.queue.disputes import raise_dispute, resolve_dispute
from leaddash.queue.team import reassign_leads
from leaddash.queue.waiting import assign_waiting_leads
from leaddash.reasons import ensure_default_reasons
from leaddash.rescoring import rescore
from tests.conftest import make_user
from tests.event_history import activate_sla, at, facts_table
from tests.queue_factory import lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

FIXTURES = Path(__file__).parent / "fixtures" / "imports"


def act(engine, action, actor, lead, **kwargs):
    """Run one queue action on the lead as the database holds it now."""
    with write_session(engine) as session:
        return action(
            session,
            actor=actor,
            lead_id=lead.id,
            expected_version=lead_now(engine, lead.id).version,
            **kwargs,
        )


def _setup(engine) -> dict:
    activate_sla(engine)
    people = {
        "ana": make_user(engine, "ana", Role.REP, team="East"),
        "bo": make_user(engine, "bo", Role.REP, team="East"),
        "eve": make_user(engine, "eve", Role.SALES_MANAGER, team="East"),
        "mia": make_user(engine, "mia", Role.MARKETING),
        "lee": make_user(engine, "lee", Role.SALES_LEADER),
    }
    with write_session(engine) as session:
        ensure_default_reasons(session)
        session.add(
            Lead(
                first_name="Ivy",
                stage="inquiry",
                title="VP Marketing",
                employees=500,
                country="US",
                industry="Software",
                email="ivy@acme.example",
                created_at=at("2026-03-02 15:00"),
            )
        )
    people["sal"] = make_lead(engine, people["ana"], first="Sal")  # an open MQL to rescore
    with write_session(engine) as session:
        rebuild_all_facts(session)
    return people


def _queue_actions(engine, p: dict) -> dict:
    ana = p["ana"]
    leads = {
        name: make_lead(engine, ana, first=name) for name in ("Val", "Dee", "Rae", "Rex", "Moe")
    }
    leads["Wes"] = make_lead(engine, None, team_id=ana.team_id, first="Wes")
    act(engine, actions.accept_lead, ana, leads["Val"])
    act(engine, actions.log_attempt, ana, leads["Val"], channel="call", outcome="no_answer")
    act(engine, actions.validate_lead, ana, leads["Val"])
    act(engine, actions.disqualify_lead, ana, leads["Dee"], reason_code="no_fit")
    act(engine, actions.reject_lead, ana, leads["Rae"], reason_code="bad_data")
    act(engine, actions.recycle_lead, ana, leads["Rex"], reason_code="not_now")
    return leads


def _team_and_disputes(engine, p: dict, leads: dict) -> None:
    with write_session(engine) as session:
        moe = leads["Moe"]
        reassign_leads(
            session,
            actor=p["eve"],
            versions={moe.id: lead_now(engine, moe.id).version},
            owner_id=p["bo"].id,
        )
    with write_session(engine) as session:
        assign_waiting_leads(session, actor=p["eve"], team_id=p["eve"].team_id)
    with write_session(engine) as session:
        dee = lead_now(engine, leads["Dee"].id)
        dispute = raise_dispute(
            session,
            actor=p["mia"],
            lead_id=dee.id,
            expected_version=dee.version,
            note="500 staff, VP title.",
        )
    with write_session(engine) as session:
        resolve_dispute(
            session,
            actor=p["lee"],
            dispute_id=dispute.id,
            expected_version=dispute.version,
            overturn=True,
            note="Agreed.",
        )


def _rescoring(engine) -> None:
    content = default_definition_content()
    content["threshold"] = 0
    with write_session(engine) as session:
        version = AgreementVersion(
            kind=AgreementKind.DEFINITION,
            number=1,
            title="v1",
            status=AgreementStatus.ACTIVE,
            content=content,
            effective_from=at("2026-01-01 00:00"),
        )
        session.add(version)
        session.flush()
        rescore(session, version)


def test_after_every_kind_of_action_the_facts_equal_a_rebuild(engine):
    people = _setup(engine)
    _rescoring(engine)  # first: it refreshes every open lead, which would hide a gap
    leads = _queue_actions(engine, people)
    _team_and_disputes(engine, people, leads)
    kept = facts_table(engine)

    with write_session(engine) as session:
        rebuild_all_facts(session)

    assert facts_table(engine) == kept
    with read_session(engine) as session:
        passes = {p.lead_id: p for p in session.exec(select(LeadPass))}
    assert passes[leads["Val"].id].validated_at is not None
    assert passes[leads["Dee"].id].exit_stage is None  # overturned: back in the queue
    assert passes[leads["Moe"].id].owner_id == people["bo"].id
    assert passes[leads["Wes"].id].owner_id is not None
    assert len(passes) == len(kept) == 8
    assert all(p.mql_at is not None for p in passes.values())  # Ivy qualified on rescoring


def _import(engine, name: str, kind: str) -> None:
    raw = (FIXTURES / name).read_bytes()
    with write_session(engine) as session:
        import_file(session, actor=CLI_ACTOR, kind=kind, table=read_table(raw, name))


def test_after_imports_of_leads_activities_and_outcomes_the_facts_equal_a_rebuild(engine):
    activate_sla(engine)
    with write_session(engine) as session:
        session.add(
            AgreementVersion(
                kind=AgreementKind.DEFINITION,
                number=1,
                title="v1",
                status=AgreementStatus.ACTIVE,
                content=default_definition_content(),
                effective_from=at("2026-01-01 00:00"),
            )
        )
    _import(engine, "leads_plain.csv", "leads")
    _import(engine, "activities.csv", "activities")
    _import(engine, "outcomes.csv", "outcomes")
    kept = facts_table(engine)

    with write_session(engine) as session:
        rebuild_all_facts(session)

    assert facts_table(engine) == kept
    with read_session(engine) as session:
        leads = session.exec(select(Lead.id)).all()
        won = session.exec(select(LeadPass).where(LeadPass.won_at.is_not(None))).all()
    assert len(kept) == len(leads) > 0
    assert len(won) == 1  # P-1 won on 2024-08-15
