"""Rescoring open leads when a definition takes effect, and one lead's score explained."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any

import pandas as pd
import pytest
from sqlalchemy import Engine
from sqlmodel import select

from leaddash.agreements import sign
from leaddash.db import read_session, write_session
from leaddash.errors import InvalidInput
from leaddash.models import Activity, AgreementVersion, AuditLog, Lead, Role, StageEvent
from leaddash.rescoring import (
    ActivityLine,
    RuleCheck,
    TypePoints,
    explain_lead,
    rescore,
    rescore_open_leads,
)
from leaddash.sla import business_days_deadline, business_deadline, default_sla_content
from tests.conftest import make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

OLD = {
    "fit_rules": [{"id": "F1", "field": "employees", "op": "gte", "value": 50}],
    "disqualifiers": [
        {"id": "D1", "field": "email", "op": "contains", "value": "@gmail."},
        {"id": "D2", "field": "custom.customer", "op": "eq", "value": True},
    ],
    "scoring": {
        "activities": {
            "form_fill": {"points": 20, "cap": None},
            "web_visit": {"points": 5, "cap": 10},
        },
        "half_life_days": None,
    },
    "threshold": 60,
    "reasons": [{"code": "no_fit", "clause": "F1"}],
}
NEW = {
    **OLD,
    "threshold": 40,
    "scoring": {
        "activities": {
            "form_fill": {"points": 20, "cap": None},
            "web_visit": {"points": 10, "cap": 20},
        },
        "half_life_days": None,
    },
}
CREATED = datetime(2026, 3, 2, 10, tzinfo=UTC)

# name: (stage, stored score, forms, visits, employees); old → new score in the comments.
LEADS = {
    "rises": ("inquiry", 40, 2, 0, 200),  # 40 → 40: below 60, reaches 40: becomes MQL
    "kept": ("mql", 65, 3, 1, 200),  # 65 → 70: already MQL under v1, stays v1
    "decided": ("validated", 10, 5, 0, 200),  # decided: never rescored
    "misfit": ("inquiry", 0, 3, 0, 10),  # 60 but 10 employees: fails F1, stays inquiry
    "accepted": ("accepted", 20, 1, 0, 200),  # 20 → 20: unchanged
    "quiet": ("inquiry", 5, 0, 1, 200),  # 5 → 10: still an inquiry
    "customer": ("inquiry", 60, 3, 0, 200),  # 60, but an existing customer: D2
}


def _add_lead(session: Any, name: str, version_id: int) -> None:
    stage, score, forms, visits, employees = LEADS[name]
    qualified = stage != "inquiry"
    lead = Lead(
        external_id=name,
        email=f"{name}@acme.com",
        employees=employees,
        custom={"customer": True} if name == "customer" else {},
        created_at=CREATED,
        stage=stage,
        score=score,
        fit_ok=employees >= 50,
        fit_failed_clause=None if employees >= 50 else "F1",
        mql_at=CREATED + timedelta(hours=1) if qualified else None,
        definition_version_id=version_id if qualified else None,
    )
    session.add(lead)
    session.flush()
    kinds = ["form_fill"] * forms + ["web_visit"] * visits
    session.add_all(
        Activity(lead_id=lead.id, type=kind, occurred_at=CREATED + timedelta(minutes=i))
        for i, kind in enumerate(kinds)
    )


def build(engine: Engine, *, with_sla: bool = True) -> SimpleNamespace:
    """Write v1 (active), v2 (proposed), maybe an active SLA, and the six leads."""
    with write_session(engine) as session:
        old = AgreementVersion(
            kind="definition",
            number=1,
            title="Old",
            status="active",
            content=OLD,
            effective_from=CREATED - timedelta(days=30),
        )
        new = AgreementVersion(
            kind="definition", number=2, title="New", status="proposed", content=NEW
        )
        session.add_all([old, new])
        if with_sla:
            session.add(
                AgreementVersion(
                    kind="sla",
                    number=1,
                    title="SLA",
                    status="active",
                    content=default_sla_content(),
                    effective_from=CREATED - timedelta(days=30),
                )
            )
        session.flush()
        for name in LEADS:
            _add_lead(session, name, old.id)
        return SimpleNamespace(old=old, new=new)


def leads_by_name(engine: Engine) -> dict[str, Lead]:
    with read_session(engine) as session:
        return {lead.external_id: lead for lead in session.exec(select(Lead)).all()}


def mql_events(engine: Engine) -> list[StageEvent]:
    with read_session(engine) as session:
        return list(session.exec(select(StageEvent).where(StageEvent.to_stage == "mql")).all())


def activate(engine: Engine, version: AgreementVersion) -> SimpleNamespace:
    mia, sam = (
        make_user(engine, "mia", Role.MARKETING_LEADER),
        make_user(engine, "sam", Role.SALES_LEADER),
    )
    for actor in (mia, sam):
        with write_session(engine) as session:
            result = sign(
                session,
                actor=actor,
                version_id=version.id,
                expected_version=version.version,
                on_activate=rescore_open_leads,
            )
            version = result.version
    assert result.activated
    return SimpleNamespace(mia=mia, sam=sam)


def test_activation_makes_newly_qualifying_inquiries_mqls_of_the_new_version(engine):
    versions = build(engine)
    activate(engine, versions.new)
    lead = leads_by_name(engine)["rises"]
    assert (lead.stage, lead.definition_version_id, lead.owner_id) == ("mql", versions.new.id, None)
    assert lead.mql_at is not None and lead.stage_changed_at == lead.mql_at
    calendar = default_sla_content()["calendar"]
    assert lead.touch_due_at == business_deadline(lead.mql_at, 4, calendar)
    assert lead.decision_due_at == business_days_deadline(lead.mql_at, 5, calendar)
    [event] = mql_events(engine)
    assert (event.lead_id, event.from_stage, event.definition_version_id, event.occurred_at) == (
        lead.id,
        "inquiry",
        versions.new.id,
        lead.mql_at,
    )
    assert event.note == "Qualified when lead definition v2 took effect"


def test_activation_rescores_open_leads_but_never_rewrites_history(engine):
    versions = build(engine)
    activate(engine, versions.new)
    leads = leads_by_name(engine)
    kept = leads["kept"]
    assert (kept.stage, kept.score, kept.definition_version_id) == ("mql", 70, versions.old.id)
    assert (leads["decided"].stage, leads["decided"].score) == ("validated", 10)
    misfit = leads["misfit"]
    assert (misfit.stage, misfit.score, misfit.fit_ok, misfit.fit_failed_clause) == (
        "inquiry",
        60,
        False,
        "F1",
    )
    assert (leads["accepted"].stage, leads["accepted"].score) == ("accepted", 20)
    assert (leads["quiet"].stage, leads["quiet"].score) == ("inquiry", 10)
    customer = leads["customer"]
    assert (customer.stage, customer.fit_ok, customer.fit_failed_clause) == ("inquiry", False, "D2")


def test_activation_leaves_one_audit_row_with_the_counts_by_the_activating_signer(engine):
    versions = build(engine)
    people = activate(engine, versions.new)
    with read_session(engine) as session:
        [row] = session.exec(select(AuditLog).where(AuditLog.action == "definition.rescore"))
    assert (row.entity, row.entity_id, row.actor_id) == (
        "agreementversion",
        versions.new.id,
        people.sam.id,
    )
    assert {k: row.after[k] for k in ("version", "rescored", "changed", "new_mqls")} == {
        "version": 2,
        "rescored": 6,
        "changed": 4,
        "new_mqls": 1,
    }


@pytest.mark.parametrize("chunk", [1, 2, 20_000])
def test_rescoring_in_chunks_gives_the_same_answer(engine, chunk):
    versions = build(engine, with_sla=False)
    at = datetime(2026, 4, 1, 12, tzinfo=UTC)
    with write_session(engine) as session:
        summary = rescore(
            session, session.get(AgreementVersion, versions.new.id), as_of=at, chunk=chunk
        )
    assert (summary.rescored, summary.changed, summary.new_mqls) == (6, 4, 1)
    lead = leads_by_name(engine)["rises"]
    assert (lead.stage, lead.mql_at, lead.touch_due_at, lead.decision_due_at) == (
        "mql",
        at,
        None,
        None,
    )
    assert len(mql_events(engine)) == 1


def test_rescoring_twice_changes_nothing_more(engine):
    versions = build(engine)
    with write_session(engine) as session:
        first = rescore_open_leads(session, session.get(AgreementVersion, versions.new.id))
    with write_session(engine) as session:
        again = rescore(session, session.get(AgreementVersion, versions.new.id))
    assert first == 6
    assert (again.rescored, again.changed, again.new_mqls) == (6, 0, 0)


def test_only_a_definition_rescores(engine):
    build(engine)
    with write_session(engine) as session:
        sla = session.exec(select(AgreementVersion).where(AgreementVersion.kind == "sla")).one()
        with pytest.raises(InvalidInput, match="Only a lead definition can rescore leads"):
            rescore_open_leads(session, sla)


# --- explanations ------------------------------------------------------------------------

AS_OF = datetime(2026, 3, 1, 12, tzinfo=UTC)
EXPLAINED = {
    "fit_rules": [
        {"id": "F1", "field": "employees", "op": "gte", "value": 50, "label": "50+ employees"},
        {"id": "F2", "field": "country", "op": "in", "value": ["US", "CA"]},
    ],
    "disqualifiers": [
        {
            "id": "D1",
            "field": "email",
            "op": "contains",
            "value": "@gmail.",
            "label": "Personal email",
        },
    ],
    "scoring": {
        "activities": {
            "form_fill": {"points": 20, "cap": 40},
            "web_visit": {"points": 5, "cap": 10},
        },
        "half_life_days": 30,
    },
    "threshold": 40,
    "reasons": [{"code": "no_fit", "clause": "F1"}],
}


def acts(*rows: tuple[str, float]) -> pd.DataFrame:
    """Activities from (type, days before AS_OF)."""
    return pd.DataFrame(
        {"type": [r[0] for r in rows], "occurred_at": [AS_OF - timedelta(days=r[1]) for r in rows]}
    )


def test_explanation_shows_points_per_type_with_decay_and_caps():
    history = acts(
        ("form_fill", 0),
        ("form_fill", 30),
        ("form_fill", 0),
        ("web_visit", 30),
        ("podcast", 1),
        ("form_fill", -1),
    )
    lead = {"id": 7, "employees": 120, "country": "US", "email": "a@acme.com"}
    explained = explain_lead(lead, history, EXPLAINED, AS_OF)
    assert (explained.lead_id, explained.score, explained.is_mql, explained.fit_ok) == (
        7,
        42.5,
        True,
        True,
    )
    assert explained.points == (
        TypePoints("form_fill", count=3, points_each=20, decayed=50, cap=40, points=40),
        TypePoints("web_visit", count=1, points_each=5, decayed=2.5, cap=10, points=2.5),
    )
    assert [p.capped for p in explained.points] == [True, False]
    assert explained.sentence() == "MQL: fits, and scores 42.5 of 40 needed."


def test_explanation_lists_every_activity_newest_first_and_why_some_do_not_count():
    history = acts(("form_fill", 30), ("podcast", 1), ("form_fill", -1))
    naive_utc = AS_OF.replace(tzinfo=None)
    explained = explain_lead({"employees": 120, "country": "US"}, history, EXPLAINED, naive_utc)
    assert explained.activities == (
        ActivityLine(
            AS_OF + timedelta(days=1), "form_fill", 0.0, False, "after the scoring moment"
        ),
        ActivityLine(
            AS_OF - timedelta(days=1), "podcast", 0.0, False, "not scored by this definition"
        ),
        ActivityLine(AS_OF - timedelta(days=30), "form_fill", 10.0, True),
    )
    assert explained.lead_id is None and explained.score == 10


def test_explanation_names_the_failed_rules_and_the_disqualifier_that_wins():
    lead = pd.Series({"id": 3, "employees": 10, "country": "US", "email": "kid@gmail.com"})
    explained = explain_lead(lead, acts(("form_fill", 0)), EXPLAINED, AS_OF)
    assert explained.fit_rules == (
        RuleCheck("F1", "fit", "50+ employees", 10, passed=False),
        RuleCheck("F2", "fit", "Country: US, CA", "US", passed=True),
    )
    assert explained.disqualifiers == (
        RuleCheck("D1", "disqualifier", "Email contains “@gmail.”", "kid@gmail.com", passed=False),
    )
    assert (explained.fit_ok, explained.failed_clause, explained.disqualifier) == (
        False,
        "D1",
        "D1",
    )
    assert not explained.is_mql
    assert explained.sentence() == "Not an MQL: fails D1, and scores 20 of 40 needed."


def test_explanation_of_a_lead_without_activities_scores_zero():
    empty = pd.DataFrame(
        {"type": pd.Series(dtype=str), "occurred_at": pd.Series(dtype="datetime64[ns, UTC]")}
    )
    explained = explain_lead({"employees": 60, "country": "CA"}, empty, EXPLAINED, AS_OF)
    assert (explained.score, explained.activities, explained.fit_ok) == (0, (), True)
    assert [p.points for p in explained.points] == [0, 0]


def test_explanation_agrees_with_a_stored_lead_row(engine):
    build(engine)
    lead = leads_by_name(engine)["misfit"]
    history = acts(("form_fill", 1), ("form_fill", 2), ("form_fill", 3))
    explained = explain_lead(lead, history, OLD, AS_OF)
    assert (explained.lead_id, explained.failed_clause, explained.score) == (lead.id, "F1", 60)
