"""The matrix's reads behind Home's inbox: the whole inbox, and each kind of row on its
own (a row's function is public, so it must refuse, or narrow, by itself what its role's
inbox would never ask of it).

The world has a late lead and a waiting lead in each team, one undisputed decision and one
open dispute in each team, and every agreement state (proposed, signed by marketing only,
by sales only) for the definition and the SLA; every rep is present and free."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from leaddash.core.times import as_utc
from leaddash.inbox import inbox_items
from leaddash.inbox.agreements import (
    proposals_to_sign,
    reviews_due,
    versions_starting,
    whatif_headline,
)
from leaddash.inbox.disputes import disputes_awaiting_ruling, disputes_to_rule, leads_sent_back
from leaddash.inbox.sales import (
    about_to_breach,
    absent_owners,
    callbacks_due,
    rep_deadlines,
    stuck_waiting,
    team_breaches,
)
from leaddash.inbox.targets import targets_missed
from leaddash.models import Lead, Role, utcnow
from leaddash.queue.disputes import count_disputable_decisions
from leaddash.ui.nav import pages_for
from tests.authz_actions import SCOPED, Cell, action


def _count(items: list[Any]) -> int:
    return sum(item.count for item in items)


def _opens_its_pages(cell: Cell, items: list[Any]) -> bool:
    allowed = {spec.url_path for spec in pages_for(cell.actor.role)}
    return isinstance(items, list) and all(item.page in allowed for item in items)


def _unsigned_by_my_side(cell: Cell) -> int:
    """Return how many proposed versions the actor's side has not signed (a role that signs
    for no side: how many miss a signature), over both kinds."""
    states = {
        Role.MARKETING_LEADER: ("proposed", "by_sales"),
        Role.SALES_LEADER: ("proposed", "by_marketing"),
    }.get(cell.actor.role, ("proposed", "by_marketing", "by_sales"))
    return 2 * len(states)


def _own_overdue_or_warned(cell: Cell) -> int:
    now = utcnow()
    own = cell.rows(Lead, Lead.owner_id == cell.actor.id, Lead.stage.in_(["mql", "accepted"]))
    count = 0
    for lead in own:
        untouched = lead.first_touch_at is None
        due = lead.touch_due_at if untouched else lead.decision_due_at
        warn = lead.touch_warn_at if untouched else lead.decision_warn_at
        if due is not None and (as_utc(due) < now or (warn is not None and as_utc(warn) <= now)):
            count += 1
    return count


def _own_callbacks_due(cell: Cell) -> int:
    now = utcnow()
    own = cell.rows(Lead, Lead.owner_id == cell.actor.id, Lead.stage.in_(["mql", "accepted"]))
    return sum(lead.callback_at is not None and as_utc(lead.callback_at) <= now for lead in own)


def _team_rows(outcome: str) -> int:
    return 1 if outcome == SCOPED else 2  # one per team; a manager sees East's


action(
    "read the own inbox",
    lambda s, c: inbox_items(s, actor=c.actor),
    lambda c, r, o: _opens_its_pages(c, r),
    inbox_items,
)
action(
    "see the proposals waiting for a signature",
    lambda s, c: proposals_to_sign(s, c.actor, utcnow()),
    lambda c, r, o: len(r) == _unsigned_by_my_side(c),
    proposals_to_sign,
)
action(
    "see the agreement reviews due",
    lambda s, c: reviews_due(s, c.actor, utcnow()),
    lambda c, r, o: r == [],  # no version in force has a review date
    reviews_due,
)
action(
    "see the versions signed to start later",
    lambda s, c: versions_starting(s, c.actor, utcnow()),
    lambda c, r, o: r == [],  # no version in the world waits for its start
    versions_starting,
)
action(
    "read the what-if headline of a proposed definition",
    lambda s, c: whatif_headline(
        s, actor=c.actor, version_id=c.world.versions["definition:proposed"], now=utcnow()
    ),
    lambda c, r, o: r.startswith("What-if on the "),
    whatif_headline,
)
action(
    "see the disputes to rule",
    lambda s, c: disputes_to_rule(s, c.actor, utcnow()),
    lambda c, r, o: _count(r) == _team_rows(o),
    disputes_to_rule,
)
action(
    "see marketing's disputes waiting for a ruling",
    lambda s, c: disputes_awaiting_ruling(s, c.actor, utcnow()),
    lambda c, r, o: _count(r) == _team_rows(o),
    disputes_awaiting_ruling,
)
action(
    "see the leads sent back this week",
    lambda s, c: leads_sent_back(s, c.actor, utcnow()),
    lambda c, r, o: _count(r) == 2,  # the undisputed decision of each team
    leads_sent_back,
)
action(
    "count the decisions marketing may dispute",
    lambda s, c: count_disputable_decisions(s, actor=c.actor, since=utcnow() - timedelta(days=7)),
    lambda c, r, o: r == {"rejected": 0, "disqualified": 2},
    count_disputable_decisions,
)
action(
    "see the own callbacks due",
    lambda s, c: callbacks_due(s, c.actor, utcnow()),
    lambda c, r, o: _count(r) == _own_callbacks_due(c),
    callbacks_due,
)
action(
    "see the own leads overdue or past their warning point",
    lambda s, c: rep_deadlines(s, c.actor, utcnow()),
    lambda c, r, o: _count(r) == _own_overdue_or_warned(c),
    rep_deadlines,
)
action(
    "see the team's SLA breaches in the inbox",
    lambda s, c: team_breaches(s, c.actor, utcnow()),
    lambda c, r, o: _count(r) == _team_rows(o),  # the late lead of each team
    team_breaches,
)
action(
    "see the team's leads about to breach",
    lambda s, c: about_to_breach(s, c.actor, utcnow()),
    # The matrix's leads carry no warning points: none is about to breach, in any scope.
    lambda c, r, o: r == [],
    about_to_breach,
)
action(
    "see the waiting leads no rep can take",
    lambda s, c: stuck_waiting(s, c.actor, utcnow()),
    lambda c, r, o: r == [],  # every rep is free
    stuck_waiting,
)
action(
    "see the open leads of away or deactivated reps",
    lambda s, c: absent_owners(s, c.actor, utcnow()),
    lambda c, r, o: r == [],  # nobody is away or deactivated
    absent_owners,
)
action(
    "see last month's missed SLA targets",
    lambda s, c: targets_missed(s, c.actor, utcnow()),
    lambda c, r, o: isinstance(r, list),
    targets_missed,
)
