"""Tiny factories for queue tests: leads in a rep's queue, and what happened to them."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import Engine, func
from sqlmodel import select

from leaddash.core.actor import Actor
from leaddash.db import read_session, write_session
from leaddash.models import AuditLog, Lead, Stage, StageEvent, utcnow


def make_lead(
    engine: Engine,
    owner: Actor | None,
    *,
    team_id: int | None = None,
    stage: str = Stage.MQL,
    first: str = "Ann",
    last: str = "Lee",
    due_in: timedelta = timedelta(hours=3),
    **fields,
) -> Lead:
    """Create an open lead owned by `owner` (None: unassigned) and return it."""
    now = utcnow()
    lead = Lead(
        first_name=first,
        last_name=last,
        company=fields.pop("company", "Acme Corp"),
        email=f"{first}.{last}@example.com".lower(),
        country="US",
        industry="Software",
        employees=250,
        title=fields.pop("title", "VP Sales"),
        source="webinar",
        stage=stage,
        score=72,
        owner_id=owner.id if owner else None,
        team_id=team_id if team_id is not None else (owner.team_id if owner else None),
        mql_at=now - timedelta(hours=1),
        touch_due_at=now + due_in,
        decision_due_at=now + due_in + timedelta(days=5),
        **fields,
    )
    with write_session(engine) as session:
        session.add(lead)
        session.flush()
        session.add(
            StageEvent(
                lead_id=lead.id,
                from_stage=Stage.INQUIRY,
                to_stage=Stage.MQL,
                occurred_at=now - timedelta(hours=1),
            )
        )
    return lead


def lead_now(engine: Engine, lead_id: int) -> Lead:
    """Return the lead as the database holds it now."""
    with read_session(engine) as session:
        return session.get(Lead, lead_id)


def events_of(engine: Engine, lead_id: int) -> list[tuple[str | None, str]]:
    """Return the lead's stage events written by actions (after its MQL event), oldest first."""
    with read_session(engine) as session:
        rows = session.exec(
            select(StageEvent.from_stage, StageEvent.to_stage)
            .where(StageEvent.lead_id == lead_id, StageEvent.to_stage != Stage.MQL)
            .order_by(StageEvent.id)
        ).all()
    return [tuple(r) for r in rows]


def count(engine: Engine, model, lead_id: int) -> int:
    """Return how many rows of `model` (Touch, or AuditLog of the lead) exist."""
    with read_session(engine) as session:
        if model is AuditLog:
            where = (AuditLog.entity == "lead", AuditLog.entity_id == lead_id)
        else:
            where = (model.lead_id == lead_id,)
        return session.exec(select(func.count()).select_from(model).where(*where)).one()
