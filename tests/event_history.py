"""Hand-built lead histories for fact and funnel tests: a lead, its stage events and
touches written as they happened, then the facts refreshed from them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine
from sqlmodel import select

from leaddash.db import read_session, write_session
from leaddash.fact_tables import LeadPass
from leaddash.facts.refresh import refresh_facts
from leaddash.models import (
    AgreementKind,
    AgreementStatus,
    AgreementVersion,
    Lead,
    StageEvent,
    Touch,
)
from leaddash.sla import default_sla_content

TOUCH = "touch"


def at(text: str) -> datetime:
    """Return an aware UTC datetime from "2026-03-02 15:00"."""
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@dataclass(frozen=True)
class Step:
    """One thing that happened: a stage change (to `stage`) or a touch (stage "touch")."""

    when: str
    stage: str
    reason: str | None = None
    by: int | None = None
    outcome: str | None = None  # a touch's outcome (None: unknown)


def activate_sla(engine: Engine, number: int = 1, since: str = "2025-01-01 00:00") -> int:
    """Store the default SLA (4 business hours to touch, 5 days to decide, New York
    Mon–Fri 9–17) as active from `since`; return its id."""
    with write_session(engine) as session:
        version = AgreementVersion(
            kind=AgreementKind.SLA,
            number=number,
            title=f"SLA v{number}",
            status=AgreementStatus.ACTIVE,
            content=default_sla_content(),
            effective_from=at(since),
        )
        session.add(version)
        session.flush()
        return version.id


def _write_steps(session: Any, lead: Lead, steps: list[Step]) -> None:
    stage = None
    for step in steps:
        if step.stage == TOUCH:
            session.add(
                Touch(
                    lead_id=lead.id,
                    rep_id=step.by,
                    channel="call",
                    occurred_at=at(step.when),
                    outcome=step.outcome,
                )
            )
            continue
        session.add(
            StageEvent(
                lead_id=lead.id,
                from_stage=stage,
                to_stage=step.stage,
                occurred_at=at(step.when),
                actor_id=step.by,
                reason_code=step.reason,
                definition_version_id=lead.definition_version_id,
            )
        )
        stage = step.stage
    lead.stage = stage or lead.stage


def add_history(engine: Engine, steps: list[Step], **fields: Any) -> int:
    """Store a lead (`fields` on the row) with its history `steps`, refresh its facts,
    and return its id."""
    with write_session(engine) as session:
        lead = Lead(first_name="Test", last_name="Lead", created_at=at(steps[0].when), **fields)
        session.add(lead)
        session.flush()
        _write_steps(session, lead, steps)
        session.add(lead)
        session.flush()
        refresh_facts(session, lead_ids=[lead.id])
        return lead.id


def passes_of(engine: Engine, lead_id: int) -> list[LeadPass]:
    """Return the lead's passes, first pass first."""
    with read_session(engine) as session:
        return list(
            session.exec(
                select(LeadPass).where(LeadPass.lead_id == lead_id).order_by(LeadPass.pass_no)
            ).all()
        )


def facts_table(engine) -> list[tuple]:
    """Return every LeadPass row without its id, in lead and pass order."""
    with read_session(engine) as session:
        rows = session.exec(select(LeadPass).order_by(LeadPass.lead_id, LeadPass.pass_no))
        return [tuple(r.model_dump(exclude={"id"}).values()) for r in rows]
