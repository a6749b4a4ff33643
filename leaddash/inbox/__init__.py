"""The inbox on Home: what waits for the person signed in, computed from the database,
each row one click from the page where it is handled, and the same rows summed per page
for the sidebar's counts.

An inbox row comes from a small function (an ItemSource: session, actor, now → rows);
SOURCES lists each role's functions in the order they show. A new kind of row is one such
function and one line here."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.core.actor import Actor
from leaddash.errors import Forbidden
from leaddash.inbox.agreements import (
    proposals_to_sign,
    reviews_due,
    versions_starting,
    whatif_headline,
)
from leaddash.inbox.disputes import disputes_awaiting_ruling, disputes_to_rule, leads_sent_back
from leaddash.inbox.items import InboxItem, ItemSource
from leaddash.inbox.sales import (
    about_to_breach,
    absent_owners,
    callbacks_due,
    rep_deadlines,
    stuck_waiting,
    team_breaches,
)
from leaddash.inbox.targets import targets_missed
from leaddash.models import Role, utcnow

SOURCES: dict[str, tuple[ItemSource, ...]] = {
    Role.MARKETING_LEADER: (
        proposals_to_sign,
        versions_starting,
        targets_missed,
        reviews_due,
        leads_sent_back,
    ),
    Role.SALES_LEADER: (
        proposals_to_sign,
        versions_starting,
        disputes_to_rule,
        targets_missed,
        reviews_due,
    ),
    Role.SALES_MANAGER: (team_breaches, about_to_breach, stuck_waiting, absent_owners),
    Role.REP: (rep_deadlines, callbacks_due),
    Role.MARKETING: (leads_sent_back, disputes_awaiting_ruling),
    Role.ADMIN: (proposals_to_sign, absent_owners, stuck_waiting, targets_missed, reviews_due),
}

__all__ = ["SOURCES", "InboxItem", "inbox_items", "page_counts", "whatif_headline"]


def inbox_items(session: Session, *, actor: Actor, now: datetime | None = None) -> list[InboxItem]:
    """Return what waits for the actor, in the order of their role's SOURCES."""
    verify_actor(session, actor)
    now = now or utcnow()
    items: list[InboxItem] = []
    for source in SOURCES.get(actor.role, ()):
        try:
            items += source(session, actor, now)
        except Forbidden:
            # A manager without a team has no team to watch; their pages say so.
            continue
    return items


def page_counts(items: list[InboxItem]) -> dict[str, int]:
    """Return per page (url_path) the number the sidebar shows: the sum of the counts of
    the items that link there and count towards it."""
    counts: Counter[str] = Counter()
    for item in items:
        if item.badge:
            counts[item.page] += item.count
    return dict(counts)
