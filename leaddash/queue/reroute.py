"""A misrouted lead goes back to routing, not to marketing.

The routing rules pick another team than the one the lead came from (its first matching
rule among the others) and the team's rotation a free rep (none free: it waits in that
team's queue); when no other rule matches, the lead waits, unassigned, in the queue of the
team the rep named, for its manager to assign. The stage does not change (the lead is
still sales' to work); the new owner gets the SLA's window for reassigned leads, a miss
already made stays with the rep who held the lead, and one "lead.reroute" audit row keeps
the reason, the note and where the lead went.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import pandas as pd
from sqlmodel import Session, select

from leaddash.access import verify_actor
from leaddash.audit import act_as, record
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput, NotFound
from leaddash.models import Lead, Team, User, stored_id
from leaddash.queue.core import check_can_act
from leaddash.queue.team import keep_misses, restart_touch_window, sla_content
from leaddash.reasons import ReasonChoice
from leaddash.routing.assign import active_rules, match_teams, rep_loads, rotate

MISROUTED = "misrouted"


@dataclass(frozen=True)
class Rerouted:
    """Where a misrouted lead went: its new team, and its new rep (None: it waits in the
    team queue)."""

    team: str
    rep: str | None


def rules_team(session: Session, lead: Lead) -> int | None:
    """Return the team the routing rules give the lead, leaving out the team it came from
    (None: no other rule matches)."""
    rules = [r for r in active_rules(session) if r.team_id != lead.team_id]
    row = {"segment": lead.segment, "country": lead.country, "employees": lead.employees}
    found = match_teams(pd.DataFrame([row], index=[stored_id(lead)]), rules).iloc[0]
    return None if pd.isna(found) else int(found)


def _named_team(session: Session, lead: Lead, team_id: int | None) -> int:
    if team_id is None:
        raise InvalidInput(
            "No routing rule sends this lead to another team: pick the team it belongs "
            "to, and it will wait in that team's queue. Nothing was saved.",
            field="team",
        )
    if session.get(Team, team_id) is None or team_id == lead.team_id:
        raise InvalidInput(
            "Pick another team than the one the lead is in: the lead was misrouted to it. "
            "Nothing was saved.",
            field="team",
        )
    return team_id


def reroute_lead(
    session: Session,
    *,
    actor: Actor,
    lead: Lead,
    reason: ReasonChoice,
    team_id: int | None,
    note: str | None,
    at: datetime,
) -> Rerouted:
    """Return where the locked, open, untouched `lead` went when sent back to routing
    (`team_id`: the team the rep named, used when no other rule matches)."""
    to_team, rep_id = rules_team(session, lead), None
    if to_team is not None:
        reps = rep_loads(session, [to_team], at)
        rep_id = rotate(pd.Series({stored_id(lead): to_team}), reps, at).get(stored_id(lead))
    else:
        to_team = _named_team(session, lead, team_id)
    before = {"team_id": lead.team_id, "owner_id": lead.owner_id}
    act_as(session, actor, "lead.reroute")
    keep_misses(lead, at)
    if rep_id is not None:
        restart_touch_window(lead, sla_content(session), at)
    lead.team_id, lead.owner_id = to_team, rep_id
    lead.assigned_at = at if rep_id is not None else None
    lead.updated_at = at
    session.add(lead)
    after = {"team_id": to_team, "owner_id": rep_id, "reason": reason.code, "note": note}
    record(
        session,
        actor=actor,
        action="lead.reroute",
        entity="lead",
        entity_id=lead.id,
        before=before,
        after=after,
    )
    rep = session.get(User, rep_id) if rep_id is not None else None
    team = session.get(Team, to_team)
    return Rerouted(team.name if team else str(to_team), rep.name if rep else None)


def misroute_teams(session: Session, *, actor: Actor, lead_id: int) -> dict[int, str]:
    """Return id → name of the teams a misrouted lead may be sent to (every team but its
    own), for someone who may work the lead to name the right one."""
    verify_actor(session, actor)
    lead = session.get(Lead, lead_id)
    if lead is None:
        raise NotFound("This lead no longer exists. Pick another one from your queue.")
    check_can_act(session, actor, lead)
    rows = session.exec(select(Team.id, Team.name).order_by(Team.name)).all()
    return {team: name for team, name in rows if team is not None and team != lead.team_id}
