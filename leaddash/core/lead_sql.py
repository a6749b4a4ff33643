"""The SQL expressions over `Lead` that the queue, routing and analytics all need, written
once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, func, or_
from sqlmodel import col

from leaddash.core.sla_state import (
    BREACHED,
    CANCELLED,
    DECISION,
    FIRST_TOUCH,
    MET,
    PENDING,
    WARNING,
    Milestone,
)
from leaddash.models import OPEN_STAGES, Lead, Stage


def lead_name_sql() -> Any:
    """Return the SQL expression naming a lead's person ("" when no name is known)."""
    return func.trim(func.coalesce(Lead.first_name, "") + " " + func.coalesce(Lead.last_name, ""))


def due_at_sql() -> Any:
    """Return the SQL expression of an open lead's next deadline (first touch, then decision)."""
    return case((col(Lead.first_touch_at).is_(None), Lead.touch_due_at), else_=Lead.decision_due_at)


def _milestone_columns(milestone: Milestone) -> tuple[Any, Any, Any]:
    """Return the due point, warning point and reached time of `milestone` in SQL."""
    if milestone == FIRST_TOUCH:
        return Lead.touch_due_at, Lead.touch_warn_at, Lead.first_touch_at
    decided = case((col(Lead.stage) != Stage.RECYCLED.value, Lead.decided_at), else_=None)
    return Lead.decision_due_at, Lead.decision_warn_at, decided


def sla_state_sql(milestone: Milestone, now: datetime) -> Any:
    """Return the SQL expression of the milestone's SLA state at `now` (NULL without a due
    point); the same answer as leaddash.core.sla_state.lead_sla_state."""
    due, warn, reached = _milestone_columns(milestone)
    left = func.coalesce(Lead.decided_at, Lead.stage_changed_at)
    is_open = col(Lead.stage).in_([s.value for s in OPEN_STAGES])
    return case(
        (col(due).is_(None), None),
        (reached.is_not(None), case((reached <= due, MET), else_=BREACHED)),
        (~is_open, case((left <= due, CANCELLED), else_=BREACHED)),
        (col(due) < now, BREACHED),
        (col(warn) <= now, WARNING),
        else_=PENDING,
    )


def current_sla_state_sql(now: datetime) -> Any:
    """Return the SQL expression of an open lead's state for its next deadline: the first
    touch until it is reached, then the decision (as due_at_sql picks the deadline)."""
    return case(
        (col(Lead.first_touch_at).is_(None), sla_state_sql(FIRST_TOUCH, now)),
        else_=sla_state_sql(DECISION, now),
    )


def sla_states_among_sql(states: Sequence[str], now: datetime) -> Any:
    """Return the SQL condition of a lead whose first touch or decision is, at `now`, in
    one of `states` (the queues' SLA state filter)."""
    return or_(
        sla_state_sql(FIRST_TOUCH, now).in_(list(states)),
        sla_state_sql(DECISION, now).in_(list(states)),
    )
