"""Inbox rows of the sales side: a rep's deadlines; a manager's breaches, leads about to
breach, waiting leads no rep can take and leads of absent reps; a sales leader's disputes
to rule. Each counts in SQL over the actor's scope (a manager: their own team)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from leaddash.access import authorize, verify_actor
from leaddash.auth import TEAM_QUEUE, team_scope
from leaddash.core.actor import Actor
from leaddash.core.lead_sql import current_sla_state_sql, due_at_sql, lead_name_sql
from leaddash.core.sla_state import WARNING
from leaddash.core.times import as_utc, describe_due
from leaddash.inbox.items import DETAIL_LINES, MY_QUEUE, ROUTING, InboxItem
from leaddash.inbox.items import TEAM_QUEUE as TEAM_QUEUE_PAGE
from leaddash.models import OPEN_STAGES, Lead, Team, User
from leaddash.queue.reads import open_leads_for_rep
from leaddash.queue.team import UNDECIDED, UNTOUCHED, count_breaches, sla_breaches
from leaddash.queue.waiting import waiting_count
from leaddash.routing.assign import rep_loads


def _lead_line(name: Any, company: Any, what: str) -> str:
    at = f" ({company})" if isinstance(company, str) and company else ""
    return f"{name}{at}: {what}"


def rep_deadlines(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return the rep's own open leads past their SLA deadline, and those past their
    warning point (the SLA's warning share of the window gone, not yet due), each with
    the first few named."""
    leads = open_leads_for_rep(session, actor=actor, now=now)
    overdue = leads[leads["due_at"] < pd.Timestamp(now)]
    warned = leads[
        ((leads["touch_state"] == WARNING) | (leads["decision_state"] == WARNING))
        & ~leads.index.isin(overdue.index)
    ]
    rows = [
        ("overdue", overdue, "Your leads past their SLA deadline: contact them first"),
        ("warning", warned, "Your leads past their SLA warning point: due soon"),
    ]
    return [
        InboxItem(
            key=f"rep-{key}",
            title=title,
            count=len(found),
            page=MY_QUEUE,
            details=tuple(
                _lead_line(r.name, r.company, f"{r.due_kind}, {describe_due(r.due_at, now)}")
                for r in found.sort_values("due_at", kind="stable").head(DETAIL_LINES).itertuples()
            ),
        )
        for key, found, title in rows
        if len(found)
    ]


def callbacks_due(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return the rep's own open leads whose callback time (set when an attempt was
    logged) has come, the earliest first."""
    authorize(session, actor, "work_lead", "work leads")
    where: list[Any] = [
        col(Lead.owner_id) == actor.id,
        col(Lead.stage).in_(list(OPEN_STAGES)),
        col(Lead.callback_at) <= now,
    ]
    count = session.exec(select(func.count()).select_from(Lead).where(*where)).one()
    if not count:
        return []
    first = session.exec(
        select(lead_name_sql(), Lead.company, Lead.callback_at)
        .where(*where)
        .order_by(col(Lead.callback_at), col(Lead.id))
        .limit(DETAIL_LINES)
    ).all()
    return [
        InboxItem(
            key="rep-callbacks",
            title="Callbacks due: you said you would call these back by now",
            count=count,
            page=MY_QUEUE,
            details=tuple(
                _lead_line(name, company, f"callback {describe_due(as_utc(at), now)}")
                for name, company, at in first
                if at is not None
            ),
        )
    ]


def _team_clauses(actor: Actor) -> list[Any]:
    team = team_scope(actor, TEAM_QUEUE)
    mine = [] if team is None else [Lead.team_id == team]
    return [col(Lead.stage).in_(list(OPEN_STAGES)), *mine]


def team_breaches(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return the open leads in breach in the actor's scope (untouched past the first-touch
    deadline, or undecided past the decision deadline), the longest late named."""
    counts = count_breaches(session, actor=actor, now=now)
    total = counts[UNTOUCHED] + counts[UNDECIDED]
    if not total:
        return []
    late = sla_breaches(session, actor=actor, now=now, limit=DETAIL_LINES)
    return [
        InboxItem(
            key="team-breached",
            title="Leads that broke the SLA",
            count=total,
            page=TEAM_QUEUE_PAGE,
            params=(("overdue", "1"),),
            details=(
                (
                    f"{counts[UNTOUCHED]} untouched past the first-touch deadline, "
                    f"{counts[UNDECIDED]} without a decision past the decision deadline."
                ),
                *(
                    _lead_line(r.name, r.company, f"{r.breach}, late by {r.late_by} ({r.owner})")
                    for r in late.itertuples()
                ),
            ),
        )
    ]


def about_to_breach(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return the open leads in the actor's scope about to breach: their next SLA
    deadline's warning point has passed (the SLA's warning share of the window is gone),
    the deadline itself not yet."""
    verify_actor(session, actor)  # a stale tab is refused: the login is checked each call
    due = due_at_sql()
    where = [*_team_clauses(actor), current_sla_state_sql(now) == WARNING]
    count = session.exec(select(func.count()).select_from(Lead).where(*where)).one()
    if not count:
        return []
    columns: list[Any] = [
        lead_name_sql(),
        Lead.company,
        due,
        func.coalesce(User.name, "unassigned"),
    ]
    first = session.exec(
        select(*columns)
        .join(User, col(User.id) == Lead.owner_id, isouter=True)
        .where(*where)
        .order_by(due, Lead.id)
        .limit(DETAIL_LINES)
    ).all()
    return [
        InboxItem(
            key="team-about-to-breach",
            title="Leads about to breach: past their SLA warning point",
            count=count,
            page=TEAM_QUEUE_PAGE,
            details=tuple(
                _lead_line(name, company, f"{describe_due(as_utc(d), now)} ({owner})")
                for name, company, d, owner in first
            ),
        )
    ]


def stuck_waiting(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return, per team in the actor's scope, the leads waiting in its queue when no rep
    of the team can take one (every rep away, deactivated or at their daily cap)."""
    verify_actor(session, actor)  # a stale tab is refused: the login is checked each call
    scope = team_scope(actor, TEAM_QUEUE)
    teams = session.exec(
        select(Team.id, Team.name)
        .where(*([] if scope is None else [Team.id == scope]))
        .order_by(Team.name)
    ).all()
    free = {
        r.team_id
        for r in rep_loads(session, [t for t, _ in teams if t], now)
        if r.today < r.daily_cap
    }
    items = []
    for team_id, name in teams:
        waiting = waiting_count(session, team_id) if team_id not in free else 0
        if waiting:
            items.append(
                InboxItem(
                    key=f"stuck-waiting-{team_id}",
                    title=f"Leads waiting in the {name} queue that no rep can take",
                    count=waiting,
                    page=ROUTING,
                    details=(
                        (
                            f"Every rep of {name} is away, deactivated or at their daily cap: "
                            "mark one back or raise a cap and they get these leads at once."
                        ),
                    ),
                )
            )
    return items


def absent_owners(session: Session, actor: Actor, now: datetime) -> list[InboxItem]:
    """Return the open leads in the actor's scope owned by a deactivated or away user,
    with how many each such owner holds."""
    verify_actor(session, actor)  # a stale tab is refused: the login is checked each call
    absent = or_(col(User.is_active).is_(False), col(User.is_away).is_(True))
    rows = session.exec(
        select(User.name, User.is_active, func.count())
        .join(Lead, col(Lead.owner_id) == User.id)
        .where(*_team_clauses(actor), absent)
        .group_by(col(User.id), col(User.name), col(User.is_active))
        .order_by(func.count().desc(), User.name)
    ).all()
    if not rows:
        return []
    return [
        InboxItem(
            key="absent-owners",
            title="Open leads owned by deactivated or away reps",
            count=sum(n for _, _, n in rows),
            page=TEAM_QUEUE_PAGE,
            details=tuple(
                f"{name} ({'away' if active else 'deactivated'}): {n} open lead(s); "
                "reassign them to an active rep or the team queue"
                for name, active, n in rows[:DETAIL_LINES]
            ),
            # The Team queue's count is its leads in breach or about to breach: an absent
            # rep's late leads are already in it.
            badge=False,
        )
    ]
