"""What the queue page reads: the rep's open leads, and one lead in full (facts, score
explanation, one timeline of activities, touches and stage events)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import case
from sqlmodel import Session, col, select

from leaddash.access import authorize, verify_actor
from leaddash.agreements import active_version
from leaddash.core.actor import Actor
from leaddash.core.lead_sql import (
    due_at_sql,
    lead_name_sql,
    sla_state_sql,
    sla_states_among_sql,
)
from leaddash.core.names import user_names
from leaddash.core.sla_state import DECISION, FIRST_TOUCH, check_states
from leaddash.core.times import as_utc, describe_due
from leaddash.models import (
    Activity,
    AgreementKind,
    AgreementVersion,
    Lead,
    Reason,
    Stage,
    StageEvent,
    Touch,
    stored_id,
    utcnow,
)
from leaddash.queue.actions import min_attempts
from leaddash.queue.contact import Contact, contact_links, crm_template
from leaddash.queue.core import check_can_act, find_lead, lead_name
from leaddash.queue.touches import OUTCOME_WORDS
from leaddash.rescoring import Explanation, explain_lead

FACTS = (
    ("company", "Company"),
    ("title", "Title"),
    ("email", "Email"),
    ("country", "Country"),
    ("industry", "Industry"),
    ("employees", "Employees"),
    ("segment", "Segment"),
    ("source", "Source"),
    ("campaign", "Campaign"),
)
MAX_TIMELINE = 200
REP_QUEUE_COLUMNS = [
    "id",
    "name",
    "company",
    "segment",
    "source",
    "stage",
    "score",
    "due_at",
    "due_kind",
    "touch_state",
    "decision_state",
    "attempts",
    "is_sample",
    "version",
]


def open_leads_for_rep(
    session: Session,
    *,
    actor: Actor,
    now: datetime | None = None,
    sla_states: Sequence[str] = (),
) -> pd.DataFrame:
    """Return the actor's own open leads, the nearest SLA deadline first, with the SLA
    state of each milestone at `now` (narrowed, when `sla_states` are given, to the leads
    with a milestone in one of them)."""
    authorize(session, actor, "work_lead", "work leads")
    now, sla_states = now or utcnow(), check_states(sla_states)
    due = due_at_sql().label("due_at")
    columns: list[Any] = [
        Lead.id,
        lead_name_sql().label("name"),
        Lead.company,
        Lead.segment,
        Lead.source,
        Lead.stage,
        Lead.score,
        due,
        case((col(Lead.first_touch_at).is_(None), "first touch"), else_="decision").label("k"),
        sla_state_sql(FIRST_TOUCH, now),
        sla_state_sql(DECISION, now),
        Lead.attempts,
        Lead.is_sample,
        Lead.version,
    ]
    where = [Lead.owner_id == actor.id, col(Lead.stage).in_([Stage.MQL, Stage.ACCEPTED])]
    if sla_states:
        where.append(sla_states_among_sql(sla_states, now))
    rows = session.exec(select(*columns).where(*where).order_by(due.is_(None), due, Lead.id)).all()
    frame = pd.DataFrame(rows, columns=REP_QUEUE_COLUMNS)
    frame["due_at"] = pd.to_datetime(frame["due_at"], utc=True)
    return frame


def rep_queue(
    session: Session,
    *,
    actor: Actor,
    now: datetime | None = None,
    sla_states: Sequence[str] = (),
) -> pd.DataFrame:
    """Return the actor's own open leads, overdue first then the nearest deadline, with
    `due` ("overdue by 2 h") and `overdue` columns (only those with a milestone in one of
    `sla_states`, when given)."""
    verify_actor(session, actor)
    now = now or utcnow()
    leads = open_leads_for_rep(session, actor=actor, now=now, sla_states=sla_states)
    return leads.assign(
        due=[describe_due(d, now) for d in leads["due_at"]],
        overdue=(leads["due_at"] < pd.Timestamp(now)).to_numpy(dtype=bool),
    )


@dataclass(frozen=True)
class TimelineItem:
    """One thing that happened to a lead: when, what kind, what, and who did it."""

    at: datetime
    kind: str
    text: str
    who: str = ""


@dataclass(frozen=True)
class LeadDetail:
    """One lead as the queue page shows it."""

    id: int
    version: int
    name: str
    stage: str
    score: float
    is_sample: bool
    attempts: int
    min_attempts: int
    contacted: bool
    due: str
    facts: dict[str, Any]
    explanation: Explanation | None
    timeline: tuple[TimelineItem, ...]
    contact: Contact


def lead_detail(
    session: Session, *, actor: Actor, lead_id: int, now: datetime | None = None
) -> LeadDetail:
    """Return one lead in full, for an actor who may work it (else Forbidden)."""
    now = now or utcnow()
    lead = find_lead(session, lead_id)
    check_can_act(session, actor, lead, taking=True)
    due = lead.touch_due_at if lead.first_touch_at is None else lead.decision_due_at
    return LeadDetail(
        id=stored_id(lead),
        version=lead.version,
        name=lead_name(lead),
        stage=lead.stage,
        score=lead.score,
        is_sample=lead.is_sample,
        attempts=lead.attempts,
        min_attempts=min_attempts(session),
        contacted=lead.first_touch_at is not None,
        due=describe_due(as_utc(due) if due else None, now)
        if lead.stage in (Stage.MQL, Stage.ACCEPTED)
        else "decided",
        facts=_facts(lead),
        explanation=_explanation(session, lead, now),
        timeline=timeline(session, stored_id(lead)),
        contact=contact_links(
            phone=lead.phone,
            email=lead.email,
            external_id=lead.external_id,
            template=crm_template(session),
        ),
    )


def _facts(lead: Lead) -> dict[str, Any]:
    facts = {label: getattr(lead, key) for key, label in FACTS if getattr(lead, key)}
    facts.update({str(k): v for k, v in (lead.custom or {}).items()})
    return facts


def _explanation(session: Session, lead: Lead, now: datetime) -> Explanation | None:
    version = (
        session.get(AgreementVersion, lead.definition_version_id)
        if lead.definition_version_id
        else None
    )
    version = version or active_version(session, AgreementKind.DEFINITION)
    if version is None:
        return None
    rows = session.exec(
        select(Activity.type, Activity.occurred_at).where(Activity.lead_id == lead.id)
    ).all()
    acts = pd.DataFrame(rows, columns=["type", "occurred_at"])
    acts["occurred_at"] = pd.to_datetime(acts["occurred_at"], utc=True)
    # The stored score is the one that qualified the lead: explain that moment, not today.
    return explain_lead(lead.model_dump(), acts, version.content, lead.mql_at or now)


def _touch_text(touch: Touch) -> str:
    """Return a touch as the timeline reads it: "Call attempt (no answer): note"."""
    outcome = OUTCOME_WORDS.get(touch.outcome or "")
    said = f" ({outcome})" if outcome else ""
    return f"{touch.channel.title()} attempt{said}" + (f": {touch.note}" if touch.note else "")


def timeline(session: Session, lead_id: int) -> tuple[TimelineItem, ...]:
    """Return the lead's activities, touches and stage events in one list, newest first."""
    touches = session.exec(
        select(Touch).where(Touch.lead_id == lead_id).order_by(col(Touch.id).desc())
    ).all()
    events = session.exec(
        select(StageEvent).where(StageEvent.lead_id == lead_id).order_by(col(StageEvent.id).desc())
    ).all()
    names = user_names(session, [t.rep_id for t in touches] + [e.actor_id for e in events])
    reasons = dict(session.exec(select(Reason.code, Reason.label)).all())
    # Listed events first so that, at equal times, a decision shows above its call.
    items = [
        TimelineItem(
            as_utc(e.occurred_at), "stage", _event_text(e, reasons), names.get(e.actor_id or 0, "")
        )
        for e in events
    ]
    items += [
        TimelineItem(
            as_utc(t.occurred_at),
            t.channel,
            _touch_text(t),
            names.get(t.rep_id, ""),
        )
        for t in touches
    ]
    items += [
        TimelineItem(
            as_utc(a.occurred_at),
            "activity",
            a.type.replace("_", " ") + (f": {a.detail}" if a.detail else ""),
        )
        for a in session.exec(select(Activity).where(Activity.lead_id == lead_id)).all()
    ]
    return tuple(sorted(items, key=lambda i: i.at, reverse=True)[:MAX_TIMELINE])


def _event_text(event: StageEvent, reasons: dict[str, str]) -> str:
    text = f"Stage {event.from_stage or 'new'} → {event.to_stage}"
    if event.reason_code:
        text += f" ({reasons.get(event.reason_code, event.reason_code)})"
    return text + (f": {event.note}" if event.note else "")
