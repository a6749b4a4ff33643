"""Leads: the queue and the actions on it (import and routing arrive with later work)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import Case, case, func
from sqlmodel import Session, col, select

from leaddash.access import authorize
from leaddash.audit import Actor
from leaddash.models import Lead, Stage, utcnow

QUEUE_COLUMNS = ["id", "name", "company", "segment", "source", "stage", "score", "due_at",
                 "due_kind", "attempts", "is_sample", "version"]


def _due_at() -> Case[Any]:
    """SQL expression: the next SLA deadline of an open lead (first touch, then decision)."""
    return case((col(Lead.first_touch_at).is_(None), Lead.touch_due_at), else_=Lead.decision_due_at)


def open_leads_for_rep(session: Session, *, actor: Actor) -> pd.DataFrame:
    """Return the actor's own open leads, the nearest SLA deadline first."""
    authorize(session, actor, "work_lead", "work leads")
    due = _due_at().label("due_at")
    columns: list[Any] = [
            Lead.id, func.trim(func.coalesce(Lead.first_name, "") + " " +
                               func.coalesce(Lead.last_name, "")).label("name"),
            Lead.company, Lead.segment, Lead.source, Lead.stage, Lead.score, due,
            case((col(Lead.first_touch_at).is_(None), "first touch"), else_="decision").label("k"),
            Lead.attempts, Lead.is_sample, Lead.version,
    ]
    rows = session.exec(
        select(*columns)
        .where(Lead.owner_id == actor.id, col(Lead.stage).in_([Stage.MQL, Stage.ACCEPTED]))
        .order_by(due.is_(None), due, Lead.id)
    ).all()
    frame = pd.DataFrame(rows, columns=QUEUE_COLUMNS)
    frame["due_at"] = pd.to_datetime(frame["due_at"], utc=True)
    return frame


def describe_due(due_at: datetime | None, now: datetime | None = None) -> str:
    """Return "3 h 20 min left" or "overdue by 1 d 2 h" for a deadline."""
    if due_at is None or pd.isna(due_at):
        return "no deadline"
    now = now or utcnow()
    delta = due_at - now
    words = _span(abs(delta.total_seconds()))
    return f"{words} left" if delta.total_seconds() >= 0 else f"overdue by {words}"


def _span(seconds: float) -> str:
    minutes = int(seconds // 60)
    days, rest = divmod(minutes, 24 * 60)
    hours, mins = divmod(rest, 60)
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {mins} min"
    return f"{mins} min"
