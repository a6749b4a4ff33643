"""The open leads of a user who is deactivated: how many, where they may go, moving them.

A deactivated user works no lead, so their open leads (MQL or accepted) move in the same
transaction as the deactivation: back to their team's queue, unassigned (the default), or
to an active rep. The move is a reassignment (leaddash.queue.team.reassign_leads): the same
locks, one "lead.reassign" audit row per lead, all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, col, select

from leaddash.access import authorize
from leaddash.auth import get_user
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import OPEN_STAGES, Lead, Role, Team, User
from leaddash.queue.team import reassign_leads


@dataclass(frozen=True)
class Handover:
    """What the admin page offers before deactivating a user: their open leads, their
    team (None: no team, so no team queue), and the reps who may take the leads
    (username → "Name (Team)")."""

    open_leads: int
    team: str | None
    reps: dict[str, str]


def open_lead_versions(session: Session, user_id: int) -> dict[int, int]:
    """Return lead id → version of the open leads the user owns."""
    rows = session.exec(
        select(Lead.id, Lead.version).where(
            Lead.owner_id == user_id, col(Lead.stage).in_(list(OPEN_STAGES))
        )
    ).all()
    return {lead_id: version for lead_id, version in rows if lead_id is not None}


def handover_options(session: Session, *, actor: Actor, username: str) -> Handover:
    """Return how many open leads `username` owns and where they may go."""
    authorize(session, actor, "manage_users", "deactivate users")
    user = get_user(session, username)
    team = session.get(Team, user.team_id) if user.team_id is not None else None
    rows = session.exec(
        select(User.username, User.name, Team.name)
        .join(Team)
        .where(User.role == Role.REP, col(User.is_active).is_(True), User.id != user.id)
        .order_by(Team.name, User.name)
    ).all()
    return Handover(
        len(open_lead_versions(session, user.id or 0)),
        team.name if team else None,
        {login: f"{name} ({team_name})" for login, name, team_name in rows},
    )


def hand_over_open_leads(
    session: Session, *, actor: Actor, user: User, leads_to: str | None
) -> int:
    """Return how many open leads of `user` moved to the rep called `leads_to` (None:
    to the user's team queue, unassigned); nothing moves when one of them is refused."""
    authorize(session, actor, "manage_users", "hand a user's leads to someone else")
    versions = open_lead_versions(session, user.id or 0)
    if not versions:
        return 0
    if leads_to is None:
        return reassign_leads(
            session, actor=actor, versions=versions, team_id=_own_team(user, len(versions))
        )
    rep = _receiving_rep(session, user, leads_to, len(versions))
    return reassign_leads(session, actor=actor, versions=versions, owner_id=rep.id)


def _leads(count: int) -> str:
    return "1 open lead" if count == 1 else f"{count} open leads"


def _own_team(user: User, count: int) -> int:
    if user.team_id is None:
        raise InvalidInput(
            f"{user.username!r} has {_leads(count)} and is in no team, so "
            "there is no team queue to put them in. Choose an active rep to "
            "take them.",
            field="leads_to",
        )
    return user.team_id


def _receiving_rep(session: Session, user: User, leads_to: str, count: int) -> User:
    rep = session.exec(select(User).where(User.username == leads_to)).first()
    refusal = None
    if rep is None:
        refusal = f"There is no user called {leads_to!r}."
    elif rep.id == user.id:
        refusal = f"{leads_to!r} is the user being deactivated."
    elif not rep.is_active:
        refusal = f"{leads_to!r} is deactivated too."
    elif rep.role != Role.REP:
        refusal = f"{leads_to!r} is a {rep.role.replace('_', ' ')}, and only reps take leads."
    elif rep.team_id is None:
        refusal = f"{leads_to!r} is in no team, so leads cannot be routed to them."
    if refusal is not None or rep is None:
        where = "" if user.team_id is None else ", or send them to the team queue"
        raise InvalidInput(
            f"{refusal} Choose an active rep in a team to take the "
            f"{_leads(count)} of {user.username!r}{where}. Nothing was "
            "changed.",
            field="leads_to",
        )
    return rep
