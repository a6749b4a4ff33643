"""What every lead action shares: lock the lead, check who may act on it, move its stage.

Actions carry the lead's `version` from when the user loaded it (`expected_version`). The
lead is re-read under a row lock (FOR UPDATE on PostgreSQL; on SQLite the write session
already holds the database's write lock), so of two people acting at once the second
always sees the first one's change and is refused with a message saying what happened.
"""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from leaddash.access import authorize
from leaddash.core.actor import Actor
from leaddash.core.names import user_names
from leaddash.core.times import as_utc
from leaddash.errors import Conflict, Forbidden, NotFound
from leaddash.models import AuditLog, Lead, Role, StageEvent, stored_id

LEAD_ENTITY = Lead.__tablename__
DONE_BY_ACTION = {
    "lead.take": "taken",
    "lead.accept": "accepted",
    "lead.log_attempt": "contacted",
    "lead.validate": "validated",
    "lead.disqualify": "disqualified",
    "lead.reject": "rejected",
    "lead.recycle": "recycled",
    "lead.reassign": "reassigned",
    "lead.undo": "put back in the queue (a decision undone)",
    "lead.sla_return": "sent back to its team's queue, untouched past its SLA,",
}
DONE_BY_STAGE = {
    "accepted": "accepted",
    "validated": "validated",
    "disqualified": "disqualified",
    "rejected": "rejected",
    "recycled": "recycled",
    "mql": "routed",
}


def lead_name(lead: Lead) -> str:
    """Return how messages name a lead: its person, else its company, else its number."""
    person = f"{lead.first_name or ''} {lead.last_name or ''}".strip()
    return person or lead.company or f"Lead #{lead.id}"


def lock_lead(session: Session, *, lead_id: int, expected_version: int | None) -> Lead:
    """Return the lead re-read under a row lock; NotFound when it does not exist, Conflict
    when it changed since the caller loaded it at `expected_version`."""
    query = (
        select(Lead)
        .where(Lead.id == lead_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    lead = _found(session.exec(query).first(), lead_id)
    refuse_if_stale(session, lead, expected_version)
    return lead


def find_lead(session: Session, lead_id: int) -> Lead:
    """Return the lead with this id without locking it (for reads), or raise NotFound."""
    return _found(session.get(Lead, lead_id), lead_id)


def _found(lead: Lead | None, lead_id: int) -> Lead:
    if lead is None:
        raise NotFound(
            f"There is no lead number {lead_id}: it may have been merged or "
            "removed. Reload the queue."
        )
    return lead


def refuse_if_stale(session: Session, lead: Lead, expected_version: int | None) -> None:
    """Raise Conflict, saying who did what and when, unless the lead is still at
    `expected_version` (None: the caller did not load it first)."""
    if expected_version is not None and lead.version != expected_version:
        raise Conflict(_changed_message(session, lead))


def _changed_message(session: Session, lead: Lead) -> str:
    done, actor_id, when = _last_change(session, lead)
    who = user_names(session, [actor_id]).get(actor_id or 0, "someone")
    return (
        f"{lead_name(lead)} was {done} by {who} at {as_utc(when):%H:%M} UTC on "
        f"{as_utc(when):%Y-%m-%d}, after you opened it. Nothing was saved; the queue "
        "now shows it as it is."
    )


def _last_change(session: Session, lead: Lead) -> tuple[str, int | None, datetime]:
    """Return what last happened to the lead (a past participle), by whom, and when."""
    audit = session.exec(
        select(AuditLog)
        .where(AuditLog.entity == LEAD_ENTITY, AuditLog.entity_id == lead.id)
        .order_by(col(AuditLog.id).desc())
        .limit(1)
    ).first()
    if audit is not None and audit.action in DONE_BY_ACTION:
        return DONE_BY_ACTION[audit.action], audit.actor_id, audit.occurred_at
    event = session.exec(
        select(StageEvent)
        .where(StageEvent.lead_id == lead.id)
        .order_by(col(StageEvent.occurred_at).desc(), col(StageEvent.id).desc())
        .limit(1)
    ).first()
    if event is not None:
        return DONE_BY_STAGE.get(event.to_stage, "changed"), event.actor_id, event.occurred_at
    return "changed", None, lead.updated_at


def check_can_act(session: Session, actor: Actor, lead: Lead, *, taking: bool = False) -> None:
    """Raise Forbidden, saying why, unless the actor may work this lead: a rep their own
    leads (or, when `taking`, an unassigned lead of their team), a sales manager their
    team's leads, a sales leader or admin any lead."""
    authorize(session, actor, "work_lead", "work leads")
    if actor.role in (Role.SALES_LEADER, Role.ADMIN):
        return
    name = lead_name(lead)
    if actor.role == Role.SALES_MANAGER:
        if actor.team_id is None or lead.team_id != actor.team_id:
            raise Forbidden(
                f"{name} belongs to another team. A sales manager works only "
                "their own team's leads; ask a sales leader to reassign it."
            )
        return
    if lead.owner_id == actor.id:
        return
    if (
        taking
        and lead.owner_id is None
        and actor.team_id is not None
        and lead.team_id == actor.team_id
    ):
        return
    owner = user_names(session, [lead.owner_id]).get(lead.owner_id or 0)
    whose = f"is assigned to {owner}" if owner else "is not assigned to you"
    raise Forbidden(
        f"{name} {whose}. A rep works only their own leads; ask your manager if it should be yours."
    )


def move_stage(
    session: Session,
    lead: Lead,
    *,
    to_stage: str,
    actor: Actor,
    at: datetime,
    reason_code: str | None = None,
    note: str | None = None,
) -> StageEvent:
    """Return the stage event that moves `lead` to `to_stage` (added to the session, with
    the lead's new stage; the flush bumps the lead's version and writes the audit rows)."""
    event = StageEvent(
        lead_id=stored_id(lead),
        from_stage=lead.stage,
        to_stage=to_stage,
        occurred_at=at,
        actor_id=actor.id,
        reason_code=reason_code,
        note=note,
        definition_version_id=lead.definition_version_id,
    )
    lead.stage = to_stage
    lead.stage_changed_at = at
    lead.updated_at = at
    session.add(lead)
    session.add(event)
    return event
