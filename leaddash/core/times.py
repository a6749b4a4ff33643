"""Moments as the database returns them and as people read them."""

from __future__ import annotations

from datetime import UTC, datetime


def as_utc(moment: datetime) -> datetime:
    """Return `moment` as aware UTC (SQLite hands back naive datetimes that are UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def format_utc(moment: datetime) -> str:
    """Return a moment as people read it: "2025-03-04 at 14:05 UTC"."""
    return f"{as_utc(moment):%Y-%m-%d at %H:%M} UTC"
