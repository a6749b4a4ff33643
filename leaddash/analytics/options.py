"""What the dashboard filters offer: the values found in the data, within the actor's scope.
Sources, campaigns and segments are those of leads that became MQLs (the rollup's)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from leaddash.access import verify_actor
from leaddash.agreements.store import version_label
from leaddash.auth import DASHBOARDS, team_scope
from leaddash.core.actor import Actor
from leaddash.fact_tables import MixRollup
from leaddash.models import AgreementKind, AgreementVersion, Role, Team, User, stored_id


@dataclass(frozen=True)
class FilterOptions:
    """Choices for each filter; teams, reps and versions as (id, label) pairs."""

    sources: tuple[str, ...]
    campaigns: tuple[str, ...]
    segments: tuple[str, ...]
    teams: tuple[tuple[int, str], ...]
    reps: tuple[tuple[int, str], ...]
    versions: tuple[tuple[int, str], ...]


def _distinct(session: Session, column: Any, scope: int | None) -> tuple[str, ...]:
    # Read from the small marketing rollup (MQL passes), not from a million leads.
    query = select(column).where(column != "").distinct()
    if scope is not None:
        query = query.where(MixRollup.team_id == scope)
    rows = session.exec(query).all()
    return tuple(sorted(str(v) for v in rows))


def filter_options(session: Session, *, actor: Actor) -> FilterOptions:
    """Return the filter choices the actor may use (a manager: their own team and its reps)."""
    verify_actor(session, actor)
    scope = team_scope(actor, DASHBOARDS)
    teams = select(Team.id, Team.name).order_by(Team.name)
    reps = select(User.id, User.name).where(User.role == Role.REP).order_by(User.name)
    if scope is not None:
        teams, reps = teams.where(Team.id == scope), reps.where(User.team_id == scope)
    versions = session.exec(
        select(AgreementVersion)
        .where(
            AgreementVersion.kind == AgreementKind.DEFINITION,
            col(AgreementVersion.effective_from).is_not(None),
        )
        .order_by(col(AgreementVersion.number))
    ).all()
    return FilterOptions(
        sources=_distinct(session, MixRollup.source, scope),
        campaigns=_distinct(session, MixRollup.campaign, scope),
        segments=_distinct(session, MixRollup.segment, scope),
        teams=tuple((i, n) for i, n in session.exec(teams).all() if i is not None),
        reps=tuple((i, n) for i, n in session.exec(reps).all() if i is not None),
        versions=tuple((stored_id(v), version_label(v)) for v in versions),
    )
