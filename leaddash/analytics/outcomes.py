"""What a pass's milestones mean for the SLA and feedback metrics, as SQL expressions.

A *decision* is the rep's answer to "did this lead meet the agreed definition?": validated
(yes), or disqualified or rejected (no; both count as "not validated" in the validation
rate). Recycling is a close without that answer, so it is not a decision. A rejection
before contact stops the first-touch clock: sending a misrouted lead back needs no call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd
from sqlalchemy import case, func
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session, col, select

from leaddash.analytics.filters import PASSES
from leaddash.models import Stage, Team, User

NO_STAGES = (Stage.DISQUALIFIED.value, Stage.REJECTED.value)


def said_no() -> ColumnElement[bool]:
    """Return "the pass ended with a no" (disqualified or rejected)."""
    return PASSES.exit_stage.in_(NO_STAGES)


def decision_at() -> ColumnElement[Any]:
    """Return when the pass got its yes or no (NULL while undecided or when recycled)."""
    return func.coalesce(PASSES.validated_at, case((said_no(), PASSES.exit_at)))


def touched_at() -> ColumnElement[Any]:
    """Return when the first-touch clock stopped: the first touch, or a rejection."""
    rejected = PASSES.exit_stage == Stage.REJECTED.value
    return func.coalesce(PASSES.first_touch_at, case((rejected, PASSES.exit_at)))


def is_mql() -> ColumnElement[bool]:
    """Return "the pass reached MQL" (the SLA applies only to MQLs)."""
    return PASSES.mql_at.is_not(None)


def count_where(condition: ColumnElement[bool]) -> ColumnElement[Any]:
    """Return an aggregate counting the rows where `condition` holds (0, never NULL)."""
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def month_label(key: Any) -> str:
    """Return a yyyymm month key as people read it ("2026-03")."""
    return f"{int(key) // 100:04d}-{int(key) % 100:02d}"


def names_of(session: Session, model: type[Team | User], ids: Iterable[Any]) -> dict[int, str]:
    """Return the names of the teams (or users) with these ids, NULLs and NaNs skipped."""
    wanted = sorted({int(i) for i in ids if pd.notna(i)})
    rows = session.exec(select(model.id, model.name).where(col(model.id).in_(wanted))).all()
    return {key: name for key, name in rows if key is not None}


def first_passes(
    where: Sequence[ColumnElement[bool]], order: Sequence[Any], limit: int
) -> ColumnElement[bool]:
    """Return "the pass is among the first `limit` that `where` keeps in `order`": a list
    picks its rows on LeadPass alone, so only those rows are joined to leads and names."""
    first = select(PASSES.id).where(*where).order_by(*order).limit(limit)
    return PASSES.id.in_(first.scalar_subquery())
