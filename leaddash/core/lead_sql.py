"""The SQL expressions over `Lead` that the queue, routing and analytics all need, written
once."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func
from sqlmodel import col

from leaddash.models import Lead


def lead_name_sql() -> Any:
    """Return the SQL expression naming a lead's person ("" when no name is known)."""
    return func.trim(func.coalesce(Lead.first_name, "") + " " + func.coalesce(Lead.last_name, ""))


def due_at_sql() -> Any:
    """Return the SQL expression of an open lead's next deadline (first touch, then decision)."""
    return case((col(Lead.first_touch_at).is_(None), Lead.touch_due_at), else_=Lead.decision_due_at)
