"""What the dashboard filters offer: the values found in the data, within the actor's scope."""

from __future__ import annotations

from dataclasses import dataclass

from sqlmodel import Session, select

from leaddash.agreements.store import version_label
from leaddash.audit import Actor
from leaddash.metrics import team_scope
from leaddash.models import AgreementKind, AgreementVersion, Lead, Role, Team, User


@dataclass(frozen=True)
class FilterOptions:
    """Choices for each filter; teams, reps and versions as (id, label) pairs."""

    sources: tuple[str, ...]
    campaigns: tuple[str, ...]
    segments: tuple[str, ...]
    teams: tuple[tuple[int, str], ...]
    reps: tuple[tuple[int, str], ...]
    versions: tuple[tuple[int, str], ...]


def _distinct(session: Session, column) -> tuple[str, ...]:
    # The (source, campaign) index of `lead` answers these without reading rows.
    rows = session.exec(select(column).where(column.is_not(None)).distinct()).all()
    return tuple(sorted(str(v) for v in rows))


def filter_options(session: Session, *, actor: Actor) -> FilterOptions:
    """Return the filter choices the actor may use (a manager: their own team and its reps)."""
    scope = team_scope(actor)
    teams = select(Team.id, Team.name).order_by(Team.name)
    reps = select(User.id, User.name).where(User.role == Role.REP).order_by(User.name)
    if scope is not None:
        teams, reps = teams.where(Team.id == scope), reps.where(User.team_id == scope)
    versions = session.exec(select(AgreementVersion).where(
        AgreementVersion.kind == AgreementKind.DEFINITION,
        AgreementVersion.effective_from.is_not(None)).order_by(AgreementVersion.number)).all()
    return FilterOptions(
        sources=_distinct(session, Lead.source), campaigns=_distinct(session, Lead.campaign),
        segments=_distinct(session, Lead.segment),
        teams=tuple((int(i), n) for i, n in session.exec(teams).all()),
        reps=tuple((int(i), n) for i, n in session.exec(reps).all()),
        versions=tuple((int(v.id), version_label(v)) for v in versions))
