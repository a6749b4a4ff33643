"""Moments as the database returns them and as people read them."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from leaddash.models import utcnow


def as_utc(moment: datetime) -> datetime:
    """Return `moment` as aware UTC (SQLite hands back naive datetimes that are UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """Return a moment as people read it: "2025-03-04 at 14:05 UTC"."""
    return f"{as_utc(moment):%Y-%m-%d at %H:%M} UTC"


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
