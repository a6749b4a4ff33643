"""A rep's self-service on their team's queue: how many leads wait, and taking the next.

Taking locks the team's row first (as every hand-out of waiting leads does), so two reps
clicking at once get two different leads, or one gets the last lead and the other is told
the queue is empty; the lead itself is then accepted under its own lock like any accept.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

from sqlmodel import Session, select

from leaddash.access import verify_actor
from leaddash.agreements.store import as_utc
from leaddash.audit import Actor
from leaddash.auth import require
from leaddash.errors import Conflict, Forbidden
from leaddash.models import Lead, User, id_value, stored_id, utcnow
from leaddash.queue.actions import ActionResult, accept_lead
from leaddash.queue.core import lead_name
from leaddash.routing.assign import assigned_today
from leaddash.routing.waiting import (
    lock_teams,
    waiting_clauses,
    waiting_count,
    waiting_order,
)

PERMISSION = "take_waiting_lead"


def _own_team(actor: Actor) -> int:
    require(actor, PERMISSION, "take leads from the team queue")
    if actor.team_id is None:
        raise Forbidden("You are in no team, so there is no team queue to take leads from. "
                        "Ask an admin to put you in your team.")
    return actor.team_id


def count_team_waiting(session: Session, *, actor: Actor) -> int:
    """Return how many leads wait for a rep in the rep's own team queue."""
    verify_actor(session, actor)
    return waiting_count(session, _own_team(actor))


def _refuse_past_cap(session: Session, actor: Actor, at: datetime) -> None:
    cap = session.exec(select(User.daily_cap).where(User.id == actor.id)).one()
    today = assigned_today(session, [stored_id(actor)], at).get(actor.id or 0, (0, None))[0]
    if today >= cap:
        raise Conflict(f"You already have {today} lead(s) assigned today and your daily cap "
                       f"is {cap}, so you cannot take another. Work the leads you have; ask "
                       "your manager if your cap should be higher.")


def take_next_waiting_lead(session: Session, *, actor: Actor,
                           at: datetime | None = None) -> ActionResult | None:
    """Return the result of the rep accepting the most urgent lead waiting in their team's
    queue (the most overdue, then the oldest MQL), or None when no lead waits there."""
    verify_actor(session, actor)
    team_id = _own_team(actor)
    at = as_utc(at or utcnow())
    lock_teams(session, team_id)
    found = session.exec(select(Lead.id, Lead.version).where(*waiting_clauses(team_id))
                         .order_by(*waiting_order()).limit(1)).first()
    if found is None:
        return None
    lead_id, version = found
    _refuse_past_cap(session, actor, at)
    result = accept_lead(session, actor=actor, lead_id=id_value(lead_id),
                         expected_version=version, at=at)
    taken = lead_name(session.get_one(Lead, lead_id))
    return replace(result, message=f"You took {taken} from the team queue: it is yours to "
                                   "call now.")
