"""The inbox row of the SLA targets missed last month: MQL volume and validation rate
(marketing's), first-touch compliance (sales'), judged as the SLA compliance page judges
them, against the SLA in force."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session

from leaddash.analytics.filters import Filters, month_key
from leaddash.analytics.sla import scorecard, sla_terms
from leaddash.core.actor import Actor
from leaddash.inbox.items import SLA_COMPLIANCE, InboxItem

WATCHED = {
    "mql_volume": "MQL volume",
    "validation_rate": "Validation rate",
    "first_touch": "First-touch compliance",
}


def last_month(now: datetime, timezone: str) -> tuple[date, date]:
    """Return the first and last day of the month before `now`'s, in `timezone`."""
    first_this = now.astimezone(ZoneInfo(timezone)).date().replace(day=1)
    last = first_this - timedelta(days=1)
    return last.replace(day=1), last


def targets_missed(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return the row of last month's missed targets (none when all were met or nothing
    was judged: no SLA in force, or nothing due)."""
    zone = sla_terms(session).get("calendar", {}).get("timezone") or "UTC"
    start, end = last_month(now, zone)
    card = scorecard(session, actor=actor, filters=Filters(start=start, end=end), now=now)
    missed = card[
        (card["key"] == month_key(start))
        & card["metric"].isin(list(WATCHED))
        & card["met"].eq(False).fillna(False)
    ]
    if missed.empty:
        return []
    return [
        InboxItem(
            key=f"targets-{month_key(start)}",
            title=f"SLA targets missed in {start:%B %Y}",
            count=len(missed),
            page=SLA_COMPLIANCE,
            details=tuple(_missed_line(row) for row in missed.itertuples()),
        )
    ]


def _missed_line(row: Any) -> str:
    if row.metric == "mql_volume":
        figures = f"{row.value:,.0f} MQLs against a target of {row.target:,.0f}"
    else:
        counted = f"{int(row.numerator):,} of {int(row.denominator):,}"
        figures = (
            f"{_share(row.value, row.target)} ({counted}) against a target of {row.target:.0%}"
        )
    return f"{WATCHED[row.metric]} ({row.side}): {figures}"


def _share(value: float, target: float) -> str:
    """Return the share as a whole percentage, or with a decimal when rounding would make a
    miss read as the target itself (59.7 % against 60 %)."""
    whole = f"{value:.0%}"
    return f"{value:.1%}" if whole == f"{target:.0%}" else whole
