"""Leads waiting in a team queue (an MQL with a team and no rep): counted, handed out
again, and taken by a rep.

Routing leaves an MQL in its team's queue when no rep of the team is free. These leads go
out again, most urgent first, by the same rotation as new MQLs: on a manager's request, and
by themselves when a rep comes back from away or gets a higher daily cap
(leaddash.queue.availability). A rep may also take the next one, accepted under its own
lock like any accept.

Everyone handing out a team's waiting leads first locks the team's row: of a manager's
"assign now" and reps taking the next lead at the same moment, each sees what the others
did, so no lead goes to two people and no rep passes their cap; two reps clicking at once
get two different leads, or one gets the last lead and the other is told the queue is empty.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from leaddash.access import authorize, verify_actor
from leaddash.audit import record
from leaddash.auth import TEAM_QUEUE, require, team_scope
from leaddash.core.actor import Actor
from leaddash.core.lead_sql import due_at_sql
from leaddash.core.times import as_utc
from leaddash.errors import Conflict, Forbidden
from leaddash.facts.refresh import refresh_facts
from leaddash.models import Lead, Stage, Team, User, id_value, stored_id, utcnow
from leaddash.queue.actions import ActionResult, accept_lead
from leaddash.queue.core import lead_name
from leaddash.routing.assign import (
    RouteSummary,
    assigned_today,
    rep_loads,
    rotate,
    write_owners,
)
from leaddash.routing.promotion import forget_loaded_leads

ASSIGN_PERMISSION = "reassign_team_lead"
TAKE_PERMISSION = "take_waiting_lead"


def waiting_clauses(team_id: int | None) -> list[Any]:
    """Return the WHERE clauses of the leads waiting in team `team_id`'s queue (None: in
    any team's queue)."""
    team = col(Lead.team_id).is_not(None) if team_id is None else Lead.team_id == team_id
    return [Lead.stage == Stage.MQL, col(Lead.owner_id).is_(None), team]


def waiting_order() -> tuple[Any, ...]:
    """Return the ORDER BY of waiting leads: the most overdue (nearest deadline) first,
    then the oldest MQL."""
    due = due_at_sql()
    return due.is_(None), due, Lead.mql_at, Lead.id


def lock_teams(session: Session, team_id: int | None) -> None:
    """Lock the row of team `team_id` (None: of every team, in id order) until commit."""
    query = select(Team.id).order_by(col(Team.id)).with_for_update()
    if team_id is not None:
        query = query.where(Team.id == team_id)
    session.exec(query).all()


def waiting_count(session: Session, team_id: int | None) -> int:
    """Return how many leads wait in team `team_id`'s queue (None: in every team's)."""
    return session.exec(
        select(func.count()).select_from(Lead).where(*waiting_clauses(team_id))
    ).one()


def count_waiting_leads(session: Session, *, actor: Actor, team_id: int | None = None) -> int:
    """Return how many leads wait for a rep in the queue of the team (None: of every team
    the actor may see; a sales manager sees their own)."""
    verify_actor(session, actor)
    return waiting_count(session, team_scope(actor, TEAM_QUEUE, team_id))


def assign_waiting_leads(
    session: Session, *, actor: Actor, team_id: int | None, at: datetime | None = None
) -> RouteSummary:
    """Return what handing the team's waiting leads (None: every team's the actor may
    see), most urgent first, to its free reps did: `routed` got a rep, `unassigned` still
    wait because every rep of their team is away or at their daily cap."""
    authorize(session, actor, ASSIGN_PERMISSION, "assign the leads waiting in a team queue")
    team_id = team_scope(actor, TEAM_QUEUE, team_id)
    at = at or utcnow()
    lock_teams(session, team_id)
    rows = session.exec(
        select(Lead.id, Lead.team_id).where(*waiting_clauses(team_id)).order_by(*waiting_order())
    ).all()
    teams = pd.Series(dict(rows), dtype="int64")
    owners = rotate(teams, rep_loads(session, teams.unique().tolist(), at), at)
    write_owners(session, pd.DataFrame({"team_id": teams}), teams, owners, at)
    refresh_facts(session, lead_ids=list(owners))
    forget_loaded_leads(session)
    summary = RouteSummary(routed=len(owners), unassigned=len(teams) - len(owners))
    record(
        session,
        actor=actor,
        action="lead.assign_waiting",
        entity="lead",
        after={"at": at.isoformat(), "team_id": team_id, **summary.__dict__},
    )
    return summary


def _own_team(actor: Actor) -> int:
    require(actor, TAKE_PERMISSION, "take leads from the team queue")
    if actor.team_id is None:
        raise Forbidden(
            "You are in no team, so there is no team queue to take leads from. "
            "Ask an admin to put you in your team."
        )
    return actor.team_id


def count_team_waiting(session: Session, *, actor: Actor) -> int:
    """Return how many leads wait for a rep in the rep's own team queue."""
    verify_actor(session, actor)
    return waiting_count(session, _own_team(actor))


def _refuse_past_cap(session: Session, actor: Actor, at: datetime) -> None:
    cap = session.exec(select(User.daily_cap).where(User.id == actor.id)).one()
    today = assigned_today(session, [stored_id(actor)], at).get(actor.id or 0, (0, None))[0]
    if today >= cap:
        raise Conflict(
            f"You already have {today} lead(s) assigned today and your daily cap "
            f"is {cap}, so you cannot take another. Work the leads you have; ask "
            "your manager if your cap should be higher."
        )


def take_next_waiting_lead(
    session: Session, *, actor: Actor, at: datetime | None = None
) -> ActionResult | None:
    """Return the result of the rep accepting the most urgent lead waiting in their team's
    queue (the most overdue, then the oldest MQL), or None when no lead waits there."""
    verify_actor(session, actor)
    team_id = _own_team(actor)
    at = as_utc(at or utcnow())
    lock_teams(session, team_id)
    found = session.exec(
        select(Lead.id, Lead.version)
        .where(*waiting_clauses(team_id))
        .order_by(*waiting_order())
        .limit(1)
    ).first()
    if found is None:
        return None
    lead_id, version = found
    _refuse_past_cap(session, actor, at)
    result = accept_lead(
        session, actor=actor, lead_id=id_value(lead_id), expected_version=version, at=at
    )
    taken = lead_name(session.get_one(Lead, lead_id))
    return replace(
        result, message=f"You took {taken} from the team queue: it is yours to call now."
    )
