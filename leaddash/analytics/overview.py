"""The home page's overview, computed in SQL from the lead rows and their stage events:
leads entering each stage in a window, and open MQLs untouched past their deadline."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from leaddash.access import verify_actor
from leaddash.auth import DASHBOARDS, team_scope
from leaddash.core.actor import Actor
from leaddash.models import FUNNEL_STAGES, Lead, Stage, StageEvent

COUNTED_STAGES = (*FUNNEL_STAGES, Stage.DISQUALIFIED, Stage.REJECTED, Stage.RECYCLED, Stage.LOST)


def month_to_date_windows(now: datetime) -> tuple[datetime, datetime, datetime]:
    """Return (start of this month, start of last month, the same point of last month)."""
    start = now.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    prev = (start - timedelta(days=1)).replace(day=1)
    return start, prev, min(prev + (now - start), start)


def stage_counts(session: Session, *, actor: Actor, start: datetime, end: datetime) -> pd.DataFrame:
    """Return how many leads entered each stage in [start, end), in funnel order."""
    verify_actor(session, actor)
    team = team_scope(actor, DASHBOARDS)
    query = (
        select(StageEvent.to_stage, func.count(func.distinct(StageEvent.lead_id)))
        .where(StageEvent.occurred_at >= start, StageEvent.occurred_at < end)
        .group_by(StageEvent.to_stage)
    )
    if team is not None:
        query = query.join(Lead, col(Lead.id) == StageEvent.lead_id).where(Lead.team_id == team)
    found = dict(session.exec(query).all())
    return pd.DataFrame(
        {
            "stage": [s.value for s in COUNTED_STAGES],
            "leads": [int(found.get(s.value, 0)) for s in COUNTED_STAGES],
        }
    )


def overdue_open_leads(session: Session, *, actor: Actor, now: datetime) -> int:
    """Return the number of open MQLs in the actor's scope still untouched past their deadline."""
    verify_actor(session, actor)
    team = team_scope(actor, DASHBOARDS)
    query = (
        select(func.count())
        .select_from(Lead)
        .where(
            col(Lead.stage).in_([Stage.MQL, Stage.ACCEPTED]),
            col(Lead.first_touch_at).is_(None),
            col(Lead.touch_due_at) < now,
        )
    )
    if team is not None:
        query = query.where(Lead.team_id == team)
    return int(session.exec(query).one())
