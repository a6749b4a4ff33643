"""One lead, one page: everything about one lead that the actor may see (facts, score
explanation, the SLA state of each milestone, the full timeline with assignments, disputes
and audit rows), and the search that finds a lead by name, company, email or external id.

Scope: a rep sees their own leads, a sales manager their team's, leaders, marketing and
admins every lead. A lead outside the actor's scope is refused with the same words as a
lead that does not exist, so the refusal tells nothing about it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_
from sqlmodel import Session, col, select

from leaddash.access import verify_actor
from leaddash.auth import DASHBOARDS, can, require, team_scope
from leaddash.core.actor import Actor
from leaddash.core.names import user_names
from leaddash.core.sla_state import DECISION, FIRST_TOUCH, lead_sla_state, milestone_times
from leaddash.core.times import as_utc
from leaddash.errors import Forbidden
from leaddash.models import AuditLog, Dispute, Lead, StageEvent, Team, Touch, stored_id, utcnow
from leaddash.queue.core import lead_name
from leaddash.queue.reads import TimelineItem, _explanation, _facts, timeline
from leaddash.rescoring import Explanation

MAX_AUDIT = 200
MILESTONE_LABELS = {FIRST_TOUCH: "First touch", DECISION: "Decision"}


@dataclass(frozen=True)
class MilestoneLine:
    """One SLA milestone of the lead: its state now (None: no deadline), due and reached."""

    milestone: str
    label: str
    state: str | None
    due_at: datetime | None
    reached_at: datetime | None


@dataclass(frozen=True)
class DisputeLine:
    """One dispute of the lead: marketing's note and, once ruled, the sales leader's."""

    id: int
    status: str
    raised_by: str
    raised_at: datetime
    marketing_note: str
    resolved_by: str
    resolved_at: datetime | None
    resolution_note: str


@dataclass(frozen=True)
class AuditLine:
    """One audit row about the lead: who, when, what, and the values before → after."""

    at: datetime
    who: str
    action: str
    changes: str


@dataclass(frozen=True)
class LeadPage:
    """One lead as its own page shows it."""

    id: int
    name: str
    stage: str
    score: float
    owner: str
    team: str
    facts: dict[str, Any]
    explanation: Explanation | None
    sla: tuple[MilestoneLine, ...]
    timeline: tuple[TimelineItem, ...]
    disputes: tuple[DisputeLine, ...]
    audit: tuple[AuditLine, ...]


def not_yours(lead_id: int) -> Forbidden:
    """Return the refusal for a lead that does not exist or is outside the actor's scope."""
    return Forbidden(
        f"There is no lead {lead_id} that you may open. "
        "Check the number, or search for the lead by name."
    )


def visible_clauses(actor: Actor) -> list[Any]:
    """Return the WHERE clauses keeping the leads the actor may see (Forbidden: none)."""
    if not can(actor, DASHBOARDS.own):
        # A rep: only their own leads (the role's one way to see a lead is working it).
        require(actor, "work_lead", "open leads")
        return [Lead.owner_id == actor.id]
    team = team_scope(actor, DASHBOARDS)
    return [] if team is None else [Lead.team_id == team]


def _visible_lead(session: Session, actor: Actor, lead_id: int) -> Lead:
    verify_actor(session, actor)
    clauses = visible_clauses(actor)
    lead = session.exec(select(Lead).where(Lead.id == lead_id, *clauses)).first()
    if lead is None:
        raise not_yours(lead_id)
    return lead


def lead_page(
    session: Session, *, actor: Actor, lead_id: int, now: datetime | None = None
) -> LeadPage:
    """Return everything about one lead the actor may see (Forbidden: not in their scope,
    or no such lead, in the same words)."""
    now = now or utcnow()
    lead = _visible_lead(session, actor, lead_id)
    team = session.get(Team, lead.team_id) if lead.team_id else None
    owner = user_names(session, [lead.owner_id]).get(lead.owner_id or 0, "")
    disputes = lead_disputes(session, stored_id(lead))
    return LeadPage(
        id=stored_id(lead),
        name=lead_name(lead),
        stage=lead.stage,
        score=lead.score,
        owner=owner,
        team=team.name if team else "",
        facts=_facts(lead) | _dates(lead),
        explanation=_explanation(session, lead, now),
        sla=sla_lines(lead, now),
        timeline=full_timeline(session, stored_id(lead)),
        disputes=disputes,
        audit=audit_lines(session, stored_id(lead), [d.id for d in disputes]),
    )


def _dates(lead: Lead) -> dict[str, Any]:
    dates = {
        "External id": lead.external_id,
        "Created": lead.created_at,
        "MQL at": lead.mql_at,
        "Assigned": lead.assigned_at,
        "Decided": lead.decided_at,
    }
    return {k: as_utc(v) if isinstance(v, datetime) else v for k, v in dates.items() if v}


def sla_lines(lead: Lead, now: datetime) -> tuple[MilestoneLine, ...]:
    """Return the SLA state of each milestone of the lead at `now`."""
    lines = []
    for milestone in (FIRST_TOUCH, DECISION):
        times = milestone_times(lead, milestone)
        lines.append(
            MilestoneLine(
                milestone=milestone,
                label=MILESTONE_LABELS[milestone],
                state=lead_sla_state(lead, milestone, now),
                due_at=as_utc(times.due_at) if times.due_at else None,
                reached_at=as_utc(times.reached_at) if times.reached_at else None,
            )
        )
    return tuple(lines)


def full_timeline(session: Session, lead_id: int) -> tuple[TimelineItem, ...]:
    """Return the lead's stage events, touches, activities and assignments, newest first."""
    rows = session.exec(
        select(AuditLog)
        .where(AuditLog.entity == "lead", AuditLog.entity_id == lead_id)
        .order_by(col(AuditLog.id).desc())
        .limit(MAX_AUDIT)
    ).all()
    moves = [r for r in rows if _moves(r)]
    users = [r.actor_id for r in moves] + [_int((r.after or {}).get("owner_id")) for r in moves]
    names = user_names(session, users)
    assignments = [
        TimelineItem(
            as_utc(r.occurred_at), "assignment", _assignment_text(r, names), _who(r, names)
        )
        for r in moves
    ]
    items = list(timeline(session, lead_id)) + assignments
    return tuple(sorted(items, key=lambda i: i.at, reverse=True))


def _moves(row: AuditLog) -> bool:
    """Return True when the audit row gives the lead an owner or moves it between teams."""
    after = row.after or {}
    if row.before is None:
        return after.get("owner_id") is not None
    return "owner_id" in after or "team_id" in after


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) else None


def _who(row: AuditLog, names: dict[int, str]) -> str:
    return names.get(row.actor_id or 0, "") if row.actor_id else "LeadDash"


def _assignment_text(row: AuditLog, names: dict[int, str]) -> str:
    owner = _int((row.after or {}).get("owner_id"))
    if "owner_id" not in (row.after or {}):
        return "Moved to another team"
    return f"Assigned to {names.get(owner, 'someone')}" if owner else "Back to the team queue"


def lead_disputes(session: Session, lead_id: int) -> tuple[DisputeLine, ...]:
    """Return the lead's disputes, newest first."""
    disputes = session.exec(
        select(Dispute).where(Dispute.lead_id == lead_id).order_by(col(Dispute.id).desc())
    ).all()
    names = user_names(
        session, [d.raised_by_id for d in disputes] + [d.resolved_by_id for d in disputes]
    )
    return tuple(
        DisputeLine(
            id=stored_id(d),
            status=d.status,
            raised_by=names.get(d.raised_by_id, ""),
            raised_at=as_utc(d.raised_at),
            marketing_note=d.marketing_note,
            resolved_by=names.get(d.resolved_by_id or 0, ""),
            resolved_at=as_utc(d.resolved_at) if d.resolved_at else None,
            resolution_note=d.resolution_note or "",
        )
        for d in disputes
    )


def audit_lines(session: Session, lead_id: int, dispute_ids: list[int]) -> tuple[AuditLine, ...]:
    """Return the audit rows about the lead, its touches, stage events and disputes,
    newest first (at most MAX_AUDIT)."""
    touches = session.exec(select(Touch.id).where(Touch.lead_id == lead_id)).all()
    events = session.exec(select(StageEvent.id).where(StageEvent.lead_id == lead_id)).all()
    about: list[Any] = [and_(col(AuditLog.entity) == "lead", col(AuditLog.entity_id) == lead_id)]
    for entity, ids in (("touch", touches), ("stageevent", events), ("dispute", dispute_ids)):
        if ids:
            about.append(and_(col(AuditLog.entity) == entity, col(AuditLog.entity_id).in_(ids)))
    rows = session.exec(
        select(AuditLog).where(or_(*about)).order_by(col(AuditLog.id).desc()).limit(MAX_AUDIT)
    ).all()
    names = user_names(session, [r.actor_id for r in rows])
    return tuple(
        AuditLine(as_utc(r.occurred_at), _who(r, names), r.action, _changes(r)) for r in rows
    )


def _changes(row: AuditLog) -> str:
    if row.before is None or row.after is None:
        return "created" if row.after is not None else "deleted"
    before, after = row.before, row.after
    keys = [k for k in after if k not in ("updated_at", "version")] or list(before)
    return "; ".join(f"{k}: {_shown(before.get(k))} → {_shown(after.get(k))}" for k in keys)


def _shown(value: Any) -> str:
    return "—" if value is None or value == "" else str(value)
