"""Reps' availability for routing: who is away, each daily cap, what each got today.

An admin or a sales leader manages every rep; a sales manager the reps of their own team.
A rep who comes back from away, or gets a higher cap, at once receives the leads waiting
in their team's queue (as many as the rotation gives them), so none waits for the next
import.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session, select

from leaddash.access import authorize
from leaddash.audit import act_as
from leaddash.core.actor import Actor
from leaddash.errors import Conflict, Forbidden, InvalidInput, NotFound
from leaddash.models import Role, Team, User, utcnow
from leaddash.queue.waiting import assign_waiting_leads
from leaddash.routing.assign import assigned_today

PERMISSION = "set_rep_availability"
MAX_CAP = 500


@dataclass(frozen=True)
class RepAvailability:
    """One rep as the routing page shows them."""

    id: int
    username: str
    name: str
    team: str
    is_active: bool
    is_away: bool
    daily_cap: int
    assigned_today: int
    version: int


def _own_team_only(actor: Actor) -> bool:
    return actor.role == Role.SALES_MANAGER


def list_availability(
    session: Session, *, actor: Actor, at: datetime | None = None
) -> list[RepAvailability]:
    """Return the reps the actor manages, by team and name, with leads assigned today."""
    authorize(session, actor, PERMISSION, "see reps' availability")
    statement = (
        select(User, Team.name)
        .join(Team)
        .where(User.role == Role.REP)
        .order_by(Team.name, User.name)
    )
    if _own_team_only(actor):
        statement = statement.where(User.team_id == actor.team_id)
    rows = session.exec(statement).all()
    counts = assigned_today(session, [u.id for u, _ in rows if u.id], at or utcnow())
    return [
        RepAvailability(
            u.id or 0,
            u.username,
            u.name,
            team,
            u.is_active,
            u.is_away,
            u.daily_cap,
            counts.get(u.id or 0, (0, None))[0],
            u.version,
        )
        for u, team in rows
    ]


def set_availability(
    session: Session,
    *,
    actor: Actor,
    user_id: int,
    expected_version: int,
    is_away: bool,
    daily_cap: int,
) -> User:
    """Set whether a rep is away and how many leads a day they may get; return the rep."""
    authorize(session, actor, PERMISSION, "change reps' availability")
    rep = session.get(User, user_id)
    if rep is None or rep.role != Role.REP:
        raise NotFound("That rep no longer exists. Reload the page.")
    if _own_team_only(actor) and rep.team_id != actor.team_id:
        raise Forbidden(
            f"{rep.name} is not in your team: ask their manager or a sales "
            "leader to change their availability."
        )
    if (
        isinstance(daily_cap, bool)
        or not isinstance(daily_cap, int)
        or not 0 <= daily_cap <= MAX_CAP
    ):
        raise InvalidInput(
            f"The daily cap of {rep.name} must be a whole number from 0 to "
            f"{MAX_CAP} (0 means no new leads).",
            field="daily_cap",
        )
    if rep.version != expected_version:
        raise Conflict(
            f"Someone else changed {rep.name} while you were editing. Reload the "
            "page to see their change, then make yours again."
        )
    act_as(session, actor, "rep.availability")
    freed = (rep.is_away and not is_away) or daily_cap > rep.daily_cap
    rep.is_away, rep.daily_cap = bool(is_away), daily_cap
    session.flush()
    if freed and rep.is_active and not rep.is_away and rep.team_id is not None:
        assign_waiting_leads(session, actor=actor, team_id=rep.team_id)
    return rep
