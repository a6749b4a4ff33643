"""Leads waiting in a team queue (an MQL with a team and no rep) handed out again.

Routing leaves an MQL in its team's queue when no rep of the team is free. These leads go
out again, most urgent first, by the same rotation as new MQLs: on a manager's request, and
by themselves when a rep comes back from away or gets a higher daily cap. A rep may also
take the next one (leaddash.queue.waiting).

Everyone handing out a team's waiting leads first locks the team's row: of a manager's
"assign now" and reps taking the next lead at the same moment, each sees what the others
did, so no lead goes to two people and no rep passes their cap.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, col, select

from leaddash.access import authorize, verify_actor
from leaddash.analytics.facts import refresh_facts
from leaddash.audit import Actor, record
from leaddash.models import Lead, Stage, Team, utcnow
from leaddash.queue.team import due_at_sql, scoped_team
from leaddash.routing.assign import RouteSummary, rep_loads, rotate, write_owners
from leaddash.routing.promotion import forget_loaded_leads

PERMISSION = "reassign_team_lead"


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
    return session.exec(select(func.count()).select_from(Lead)
                        .where(*waiting_clauses(team_id))).one()


def count_waiting_leads(session: Session, *, actor: Actor, team_id: int | None = None) -> int:
    """Return how many leads wait for a rep in the queue of the team (None: of every team
    the actor may see; a sales manager sees their own)."""
    verify_actor(session, actor)
    return waiting_count(session, scoped_team(actor, team_id))


def assign_waiting_leads(session: Session, *, actor: Actor, team_id: int | None,
                         at: datetime | None = None) -> RouteSummary:
    """Return what handing the team's waiting leads (None: every team's the actor may
    see), most urgent first, to its free reps did: `routed` got a rep, `unassigned` still
    wait because every rep of their team is away or at their daily cap."""
    authorize(session, actor, PERMISSION, "assign the leads waiting in a team queue")
    team_id = scoped_team(actor, team_id)
    at = at or utcnow()
    lock_teams(session, team_id)
    rows = session.exec(select(Lead.id, Lead.team_id).where(*waiting_clauses(team_id))
                        .order_by(*waiting_order())).all()
    teams = pd.Series(dict(rows), dtype="int64")
    owners = rotate(teams, rep_loads(session, teams.unique().tolist(), at), at)
    write_owners(session, pd.DataFrame({"team_id": teams}), teams, owners, at)
    refresh_facts(session, lead_ids=list(owners))
    forget_loaded_leads(session)
    summary = RouteSummary(routed=len(owners), unassigned=len(teams) - len(owners))
    record(session, actor=actor, action="lead.assign_waiting", entity="lead",
           after={"at": at.isoformat(), "team_id": team_id, **summary.__dict__})
    return summary
