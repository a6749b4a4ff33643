"""Inbox rows about disputes and the decisions behind them: a sales leader's disputes to
rule; marketing's leads recently sent back (still undisputed) and its disputes waiting for
a ruling."""

from __future__ import annotations

from datetime import datetime, timedelta

import pandas as pd
from sqlmodel import Session

from leaddash.core.actor import Actor
from leaddash.inbox.items import DETAIL_LINES, DISPUTES, InboxItem
from leaddash.queue.disputes import count_disputable_decisions, list_disputes

SENT_BACK_DAYS = 7


def _dispute_lines(disputes: pd.DataFrame, now: datetime) -> tuple[str, ...]:
    oldest = disputes.sort_values("raised_at").head(DETAIL_LINES)
    return tuple(
        f"{r.lead}: {r.decision} as “{r.reason}”, disputed by {r.raised_by} "
        f"{_days_ago(r.raised_at, now)}"
        for r in oldest.itertuples()
    )


def _days_ago(moment: pd.Timestamp, now: datetime) -> str:
    days = max((pd.Timestamp(now) - moment).days, 0)  # now is the cache's slot: maybe earlier
    return "today" if days == 0 else ("1 day ago" if days == 1 else f"{days} days ago")


def disputes_to_rule(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return the open disputes waiting for the sales leader's ruling, the oldest named."""
    disputes = list_disputes(session, actor=actor)
    if disputes.empty:
        return []
    return [
        InboxItem(
            key="disputes-to-rule",
            title="Disputes waiting for your ruling",
            count=len(disputes),
            page=DISPUTES,
            details=_dispute_lines(disputes, now),
        )
    ]


def disputes_awaiting_ruling(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return marketing's open disputes, waiting for a sales leader (nothing to do but
    know)."""
    disputes = list_disputes(session, actor=actor)
    if disputes.empty:
        return []
    return [
        InboxItem(
            key="disputes-open",
            title="Marketing's disputes waiting for a sales leader's ruling",
            count=len(disputes),
            page=DISPUTES,
            details=_dispute_lines(disputes, now),
            badge=False,
        )
    ]


def leads_sent_back(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return the leads sales rejected or disqualified in the last SENT_BACK_DAYS days that
    still stand undisputed."""
    counts = count_disputable_decisions(
        session, actor=actor, since=now - timedelta(days=SENT_BACK_DAYS)
    )
    total = sum(counts.values())
    if not total:
        return []
    return [
        InboxItem(
            key="sent-back",
            title=f"Leads sales sent back in the last {SENT_BACK_DAYS} days",
            count=total,
            page=DISPUTES,
            details=(
                (
                    f"{counts['rejected']} rejected before contact, {counts['disqualified']} "
                    "disqualified after the first call. Dispute a decision you think is wrong."
                ),
            ),
        )
    ]
