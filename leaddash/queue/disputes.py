"""Disputes: marketing challenges a rejection or a disqualification; a sales leader rules.

A decision can be disputed once: while a dispute is open it waits for a sales leader, and
once ruled it is settled (both notes stay on the record). Overturning puts the lead back
where it was before the decision — `accepted` after a disqualification, `mql` after a
rejection — with the same owner and the deadlines it already had, so a lead whose SLA
clock ran out shows as overdue at the top of the queue instead of getting fresh time.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pandas as pd
from sqlalchemy import exists, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from leaddash.access import authorize
from leaddash.audit import act_as
from leaddash.auth import can
from leaddash.core.actor import Actor
from leaddash.core.lead_sql import lead_name_sql
from leaddash.core.names import user_names
from leaddash.core.times import format_utc
from leaddash.errors import Conflict, InvalidInput, NotFound
from leaddash.facts.refresh import refresh_facts
from leaddash.models import (
    Dispute,
    DisputeStatus,
    Lead,
    Stage,
    StageEvent,
    User,
    stored_id,
    utcnow,
)
from leaddash.notify.hooks import notify_dispute_raised, notify_dispute_ruled
from leaddash.queue.core import lead_name, lock_lead, move_stage
from leaddash.reasons import reason_labels

DISPUTABLE = (Stage.REJECTED, Stage.DISQUALIFIED)
REOPENED_AS = {Stage.DISQUALIFIED: Stage.ACCEPTED, Stage.REJECTED: Stage.MQL}
MAX_NOTE = 2000
RECENT_DAYS = 90
DECISION_COLUMNS = [
    "lead_id",
    "lead",
    "company",
    "decision",
    "reason",
    "decided_by",
    "decided_at",
    "lead_version",
]
DISPUTE_COLUMNS = [
    "id",
    "lead_id",
    "lead",
    "company",
    "decision",
    "reason",
    "decided_by",
    "decided_at",
    "raised_by",
    "raised_at",
    "marketing_note",
    "status",
    "resolved_by",
    "resolved_at",
    "resolution_note",
    "version",
]

Decider, Raiser, Resolver = aliased(User), aliased(User), aliased(User)


def _note(text: str | None, field: str, ask: str) -> str:
    note = (text or "").strip()
    if not note:
        raise InvalidInput(ask, field=field)
    if len(note) > MAX_NOTE:
        raise InvalidInput(
            f"Keep the note under {MAX_NOTE} characters (it has {len(note)}).", field=field
        )
    return note


def _decision(session: Session, lead: Lead) -> StageEvent:
    event = session.exec(
        select(StageEvent)
        .where(StageEvent.lead_id == lead.id)
        .order_by(col(StageEvent.occurred_at).desc(), col(StageEvent.id).desc())
        .limit(1)
    ).first()
    if event is None or lead.stage not in DISPUTABLE or event.to_stage != lead.stage:
        raise InvalidInput(
            f"{lead_name(lead)} is {lead.stage} now: only a lead that sales "
            "rejected or disqualified can be disputed.",
            field="lead",
        )
    return event


def _refuse_second_dispute(session: Session, lead: Lead, event: StageEvent) -> None:
    earlier = session.exec(select(Dispute).where(Dispute.event_id == event.id)).first()
    if earlier is None:
        return
    who = user_names(session, [earlier.raised_by_id, earlier.resolved_by_id])
    if earlier.status == DisputeStatus.OPEN:
        raise Conflict(
            f"{who.get(earlier.raised_by_id, 'Someone')} already disputed this "
            f"decision on {lead_name(lead)} ({format_utc(earlier.raised_at)}); it "
            "waits for a sales leader. Add to it by talking to them."
        )
    raise Conflict(
        f"This decision on {lead_name(lead)} was already disputed and "
        f"{earlier.status} by {who.get(earlier.resolved_by_id or 0, 'a sales leader')}"
        f": it is settled. See it under Closed disputes."
    )


def raise_dispute(
    session: Session,
    *,
    actor: Actor,
    lead_id: int,
    expected_version: int | None,
    note: str | None,
    at: datetime | None = None,
) -> Dispute:
    """Return the new open dispute of the lead's latest rejection or disqualification."""
    authorize(session, actor, "dispute_decision", "dispute a sales decision")
    text = _note(
        note,
        "marketing_note",
        "Say why marketing disagrees with the decision: the sales leader rules on your note.",
    )
    lead = lock_lead(session, lead_id=lead_id, expected_version=expected_version)
    event = _decision(session, lead)
    _refuse_second_dispute(session, lead, event)
    act_as(session, actor, "dispute.raise")
    dispute = Dispute(
        lead_id=stored_id(lead),
        event_id=stored_id(event),
        raised_by_id=stored_id(actor),
        raised_at=at or utcnow(),
        marketing_note=text,
    )
    session.add(dispute)
    session.flush()
    notify_dispute_raised(session, dispute=dispute, lead_name=lead_name(lead), now=at)
    return dispute


def _lock_dispute(session: Session, dispute_id: int, expected_version: int) -> Dispute:
    dispute = session.exec(
        select(Dispute)
        .where(Dispute.id == dispute_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if dispute is None:
        raise NotFound(f"There is no dispute number {dispute_id}. Reload the page.")
    if dispute.version != expected_version or dispute.status != DisputeStatus.OPEN:
        who = user_names(session, [dispute.resolved_by_id]).get(
            dispute.resolved_by_id or 0, "Someone"
        )
        raise Conflict(
            f"{who} {dispute.status} this dispute a moment ago, after you opened "
            "it. Nothing was saved; the page now shows their ruling."
        )
    return dispute


def resolve_dispute(
    session: Session,
    *,
    actor: Actor,
    dispute_id: int,
    expected_version: int,
    overturn: bool,
    note: str | None,
    at: datetime | None = None,
) -> Dispute:
    """Return the dispute upheld (the decision stands) or overturned (the lead goes back to
    its owner's queue), with the sales leader's note kept beside marketing's."""
    authorize(session, actor, "resolve_dispute", "rule on disputes")
    text = _note(
        note,
        "resolution_note",
        "Write a note for marketing: why the decision stands, or why it is overturned.",
    )
    dispute = _lock_dispute(session, dispute_id, expected_version)
    at = at or utcnow()
    act_as(session, actor, "dispute.overturn" if overturn else "dispute.uphold")
    if overturn:
        _reopen(session, actor, dispute, text, at)
    dispute.status = DisputeStatus.OVERTURNED if overturn else DisputeStatus.UPHELD
    dispute.resolved_by_id, dispute.resolved_at, dispute.resolution_note = actor.id, at, text
    session.add(dispute)
    session.flush()
    lead = session.get_one(Lead, dispute.lead_id)
    notify_dispute_ruled(session, dispute=dispute, lead_name=lead_name(lead), now=at)
    return dispute


def _reopen(session: Session, actor: Actor, dispute: Dispute, note: str, at: datetime) -> None:
    lead = lock_lead(session, lead_id=dispute.lead_id, expected_version=None)
    decided = session.get_one(StageEvent, dispute.event_id)
    if lead.stage != decided.to_stage:
        raise Conflict(
            f"{lead_name(lead)} is {lead.stage} now, no longer {decided.to_stage}: "
            "it cannot go back to the queue. Uphold the dispute with a note saying "
            "so, or ask an admin."
        )
    lead.decided_at = None
    move_stage(
        session,
        lead,
        to_stage=REOPENED_AS[Stage(lead.stage)],
        actor=actor,
        at=at,
        note=f"Dispute overturned: {note}",
    )
    refresh_facts(session, lead_ids=[stored_id(lead)])


def _scope(actor: Actor) -> list[Any]:
    """Return the WHERE clauses limiting a sales manager to their own team's leads."""
    if can(actor, "view_all_dashboards"):
        return []
    return [Lead.team_id == actor.team_id]


def list_disputes(session: Session, *, actor: Actor, closed: bool = False) -> pd.DataFrame:
    """Return the open disputes (or the closed ones), newest first, with the decision and
    both notes."""
    authorize(session, actor, "view_team_dashboards", "see disputes")
    status = (
        Dispute.status != DisputeStatus.OPEN if closed else Dispute.status == DisputeStatus.OPEN
    )
    columns: list[Any] = [
        Dispute.id,
        Dispute.lead_id,
        lead_name_sql(),
        Lead.company,
        StageEvent.to_stage,
        StageEvent.reason_code,
        Decider.name,
        StageEvent.occurred_at,
        Raiser.name,
        Dispute.raised_at,
        Dispute.marketing_note,
        Dispute.status,
        Resolver.name,
        Dispute.resolved_at,
        Dispute.resolution_note,
        Dispute.version,
    ]
    rows = session.exec(
        select(*columns)
        .join(Lead, Lead.id == Dispute.lead_id)
        .join(StageEvent, StageEvent.id == Dispute.event_id)
        .join(Decider, Decider.id == StageEvent.actor_id, isouter=True)
        .join(Raiser, Raiser.id == Dispute.raised_by_id)
        .join(Resolver, Resolver.id == Dispute.resolved_by_id, isouter=True)
        .where(status, *_scope(actor))
        .order_by(col(Dispute.raised_at).desc(), col(Dispute.id).desc())
    ).all()
    frame = pd.DataFrame(rows, columns=DISPUTE_COLUMNS)
    frame["reason"] = frame["reason"].map(reason_labels(session))
    for column in ("decided_at", "raised_at", "resolved_at"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame


def disputable_decisions(
    session: Session,
    *,
    actor: Actor,
    search: str = "",
    now: datetime | None = None,
    limit: int = 200,
) -> pd.DataFrame:
    """Return recent rejections and disqualifications not yet disputed, newest first;
    `search` matches the lead's number, name, company or email."""
    authorize(session, actor, "dispute_decision", "dispute a sales decision")
    since = (now or utcnow()) - timedelta(days=RECENT_DAYS)
    columns: list[Any] = [
        Lead.id,
        lead_name_sql(),
        Lead.company,
        StageEvent.to_stage,
        StageEvent.reason_code,
        Decider.name,
        StageEvent.occurred_at,
        Lead.version,
    ]
    rows = session.exec(
        select(*columns)
        .join(Lead, Lead.id == StageEvent.lead_id)
        .join(Decider, Decider.id == StageEvent.actor_id, isouter=True)
        .where(*_undisputed_since(since), *_matching(search))
        .order_by(col(StageEvent.occurred_at).desc(), col(StageEvent.id).desc())
        .limit(limit)
    ).all()
    frame = pd.DataFrame(rows, columns=DECISION_COLUMNS)
    frame["reason"] = frame["reason"].map(reason_labels(session))
    frame["decided_at"] = pd.to_datetime(frame["decided_at"], utc=True)
    return frame


def _undisputed_since(since: datetime) -> list[Any]:
    """Return the WHERE clauses (on StageEvent joined to Lead) of the rejections and
    disqualifications from `since` on that still stand and were not disputed."""
    later = aliased(StageEvent)
    newer = exists().where(
        col(later.lead_id) == StageEvent.lead_id, col(later.occurred_at) > StageEvent.occurred_at
    )
    return [
        col(StageEvent.to_stage).in_(list(DISPUTABLE)),
        col(StageEvent.occurred_at) >= since,
        Lead.stage == StageEvent.to_stage,
        ~newer,
        ~exists().where(col(Dispute.event_id) == StageEvent.id),
    ]


def count_disputable_decisions(
    session: Session, *, actor: Actor, since: datetime
) -> dict[str, int]:
    """Return how many rejections and disqualifications made from `since` on still stand
    undisputed, by stage ("rejected", "disqualified"; both always named)."""
    authorize(session, actor, "dispute_decision", "dispute a sales decision")
    rows = session.exec(
        select(StageEvent.to_stage, func.count())
        .join(Lead, col(Lead.id) == StageEvent.lead_id)
        .where(*_undisputed_since(since))
        .group_by(StageEvent.to_stage)
    ).all()
    return {stage.value: 0 for stage in DISPUTABLE} | {str(k): int(n) for k, n in rows}


def _matching(search: str) -> list[Any]:
    term = search.strip()
    if not term:
        return []
    if term.lstrip("#").isdigit():
        return [Lead.id == int(term.lstrip("#"))]
    like = f"%{term}%"
    return [
        or_(lead_name_sql().ilike(like), col(Lead.company).ilike(like), col(Lead.email).ilike(like))
    ]
