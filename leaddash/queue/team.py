"""The manager's and sales leader's view: a team's open leads, SLA breaches, reassignment.

Scope is decided here, not by the page: a sales manager sees and moves only their own
team's leads; a sales leader or admin any team's. Reassignment is all or nothing: when
one lead changed since the caller listed it, nothing moves and the message names that
lead. It writes one audit row per lead ("lead.reassign", owner and team before and
after) and no stage event, because the stage does not change; the funnel is untouched.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy import ColumnElement, and_, case, func, or_
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from leaddash.access import authorize, verify_actor
from leaddash.agreements import active_version
from leaddash.audit import act_as
from leaddash.auth import TEAM_QUEUE, can, team_scope
from leaddash.core.actor import Actor
from leaddash.core.lead_sql import (
    due_at_sql,
    lead_name_sql,
    sla_state_sql,
    sla_states_among_sql,
)
from leaddash.core.sla_state import DECISION, FIRST_TOUCH, check_states
from leaddash.core.times import as_utc, describe_due
from leaddash.errors import Forbidden, InvalidInput
from leaddash.facts.refresh import refresh_facts
from leaddash.models import OPEN_STAGES, AgreementKind, Lead, Role, Team, User, utcnow
from leaddash.queue.core import check_can_act, lead_name, lock_lead
from leaddash.routing.promotion import reassigned_touch_deadline

UNASSIGNED = "unassigned"
QUEUE_COLUMNS = [
    "id",
    "name",
    "company",
    "team",
    "owner",
    "stage",
    "source",
    "segment",
    "score",
    "due_at",
    "due_kind",
    "touch_state",
    "decision_state",
    "due_text",
    "overdue",
    "attempts",
    "is_sample",
    "owner_inactive",
    "version",
]
BREACH_COLUMNS = [
    "id",
    "name",
    "company",
    "team",
    "owner",
    "stage",
    "breach",
    "due_at",
    "late_by",
    "missed_by",
    "version",
]
UNTOUCHED = "untouched"
UNDECIDED = "no decision"
DEFAULT_LIMIT = 500

Owner = aliased(User)
TouchMiss = aliased(User)
DecisionMiss = aliased(User)
NO_OWNER = "No owner (it waited in the team queue)"


@dataclass(frozen=True)
class QueueFilter:
    """What the team queue is narrowed to; None means any."""

    team_id: int | None = None
    owner: int | str | None = None  # a user id, or UNASSIGNED
    stage: str | None = None
    source: str | None = None
    segment: str | None = None
    overdue_only: bool = False
    sample_only: bool = False
    inactive_owner_only: bool = False
    sla_states: tuple[str, ...] = ()  # a lead with either milestone in one of these


NO_FILTER = QueueFilter()


@dataclass(frozen=True)
class Rep:
    """An active rep a lead can be given to."""

    id: int
    name: str
    team_id: int
    team: str


def _filters(where: QueueFilter, team_id: int | None, now: datetime) -> list[Any]:
    clauses: list[Any] = [col(Lead.stage).in_(list(OPEN_STAGES))]
    if team_id is not None:
        clauses.append(Lead.team_id == team_id)
    if where.owner == UNASSIGNED:
        clauses.append(col(Lead.owner_id).is_(None))
    elif where.owner is not None:
        clauses.append(Lead.owner_id == where.owner)
    for column, value in (
        (Lead.stage, where.stage),
        (Lead.source, where.source),
        (Lead.segment, where.segment),
    ):
        if value:
            clauses.append(column == value)
    if where.overdue_only:
        clauses.append(due_at_sql() < now)
    if where.sample_only:
        clauses.append(col(Lead.is_sample).is_(True))
    if where.inactive_owner_only:
        clauses.append(owner_inactive_sql())
    if where.sla_states:
        clauses.append(sla_states_among_sql(check_states(where.sla_states), now))
    return clauses


def owner_inactive_sql() -> Any:
    """Return the SQL condition of a lead whose owner is a deactivated user (nobody works
    it until it is reassigned)."""
    return col(Lead.owner_id).in_(select(User.id).where(col(User.is_active).is_(False)))


def team_queue(
    session: Session,
    *,
    actor: Actor,
    where: QueueFilter = NO_FILTER,
    now: datetime | None = None,
    limit: int | None = DEFAULT_LIMIT,
) -> pd.DataFrame:
    """Return the open leads the actor may see, overdue first, then by nearest deadline."""
    verify_actor(session, actor)
    team_id = team_scope(actor, TEAM_QUEUE, where.team_id)
    now = now or utcnow()
    due = due_at_sql().label("due_at")
    columns: list[Any] = [
        Lead.id,
        lead_name_sql(),
        Lead.company,
        Team.name,
        Owner.name,
        Lead.stage,
        Lead.source,
        Lead.segment,
        Lead.score,
        due,
        case((col(Lead.first_touch_at).is_(None), "first touch"), else_="decision"),
        sla_state_sql(FIRST_TOUCH, now),
        sla_state_sql(DECISION, now),
        Lead.attempts,
        Lead.is_sample,
        case((col(Owner.is_active).is_(False), True), else_=False),
        Lead.version,
    ]
    query = (
        select(*columns)
        .join(Team, Team.id == Lead.team_id, isouter=True)
        .join(Owner, Owner.id == Lead.owner_id, isouter=True)
        .where(*_filters(where, team_id, now))
        .order_by(due.is_(None), due, Lead.id)
        .limit(limit)
    )
    columns = [c for c in QUEUE_COLUMNS if c not in ("due_text", "overdue")]
    frame = pd.DataFrame(session.exec(query).all(), columns=columns)
    frame["owner_inactive"] = frame["owner_inactive"].astype(bool)
    return _with_due_text(frame, now)[QUEUE_COLUMNS]


def _with_due_text(frame: pd.DataFrame, now: datetime) -> pd.DataFrame:
    frame["due_at"] = pd.to_datetime(frame["due_at"], utc=True)
    frame["owner"] = frame["owner"].fillna("Unassigned")
    frame["due_text"] = [describe_due(d, now) for d in frame["due_at"]]
    frame["overdue"] = (frame["due_at"] < now).fillna(False).astype(bool)
    return frame


def _breaches(actor: Actor, team_id: int | None, now: datetime) -> tuple[Any, list[Any]]:
    """Return the breach kind (SQL) and the WHERE clauses of the open leads in breach."""
    team_id = team_scope(actor, TEAM_QUEUE, team_id)
    untouched = and_(col(Lead.first_touch_at).is_(None), col(Lead.touch_due_at) < now)
    kind = case((untouched, UNTOUCHED), else_=UNDECIDED)
    clauses = [
        col(Lead.stage).in_(list(OPEN_STAGES)),
        or_(untouched, col(Lead.decision_due_at) < now),
    ]
    if team_id is not None:
        clauses.append(col(Lead.team_id) == team_id)
    return kind, clauses


def sla_breaches(
    session: Session,
    *,
    actor: Actor,
    team_id: int | None = None,
    now: datetime | None = None,
    limit: int | None = DEFAULT_LIMIT,
) -> pd.DataFrame:
    """Return the open leads that broke the SLA (untouched past the first-touch deadline,
    or undecided past the decision deadline), longest late first."""
    verify_actor(session, actor)
    now = now or utcnow()
    kind, clauses = _breaches(actor, team_id, now)
    late_since = case((kind == UNTOUCHED, Lead.touch_due_at), else_=Lead.decision_due_at)
    columns: list[Any] = [
        Lead.id,
        lead_name_sql(),
        Lead.company,
        Team.name,
        Owner.name,
        Lead.stage,
        kind,
        late_since.label("late_since"),
        _missed_by(kind, late_since),
        Lead.version,
    ]
    query = (
        select(*columns)
        .join(Team, Team.id == Lead.team_id, isouter=True)
        .join(Owner, Owner.id == Lead.owner_id, isouter=True)
        .join(TouchMiss, TouchMiss.id == Lead.touch_missed_by_id, isouter=True)
        .join(DecisionMiss, DecisionMiss.id == Lead.decision_missed_by_id, isouter=True)
        .where(*clauses)
        .order_by(late_since, Lead.id)
        .limit(limit)
    )
    names = ["id", "name", "company", "team", "owner", "stage", "breach", "due_at", "missed_by"]
    frame = pd.DataFrame(session.exec(query).all(), columns=[*names, "version"])
    frame = _with_due_text(frame, now)
    frame["late_by"] = frame["due_text"].astype(str).str.removeprefix("overdue by ")
    frame["missed_by"] = frame["missed_by"].fillna(NO_OWNER)
    return frame[BREACH_COLUMNS]


def _missed_by(kind: Any, late_since: Any) -> Any:
    """Return (SQL) the name of who held the lead when its deadline passed: the owner,
    when they had it by then, else the one kept when it was reassigned (None: nobody)."""
    held = and_(
        col(Lead.owner_id).is_not(None),
        or_(col(Lead.assigned_at).is_(None), col(Lead.assigned_at) <= late_since),
    )
    earlier = case((kind == UNTOUCHED, TouchMiss.name), else_=DecisionMiss.name)
    return case((held, Owner.name), else_=earlier)


def count_breaches(
    session: Session, *, actor: Actor, team_id: int | None = None, now: datetime | None = None
) -> dict[str, int]:
    """Return how many open leads are in each kind of SLA breach (both kinds always named)."""
    verify_actor(session, actor)
    kind, clauses = _breaches(actor, team_id, now or utcnow())
    rows = session.exec(select(kind, func.count()).where(*clauses).group_by(kind)).all()
    return {UNTOUCHED: 0, UNDECIDED: 0} | dict(rows)


def count_inactive_owner_leads(
    session: Session, *, actor: Actor, team_id: int | None = None
) -> int:
    """Return how many open leads the actor may see belong to a deactivated user."""
    verify_actor(session, actor)
    clauses = _filters(
        QueueFilter(inactive_owner_only=True), team_scope(actor, TEAM_QUEUE, team_id), utcnow()
    )
    return session.exec(select(func.count()).select_from(Lead).where(*clauses)).one()


def filter_choices(
    session: Session, *, actor: Actor, team_id: int | None = None
) -> dict[str, list[str]]:
    """Return the sources and segments found among the open leads the actor may see."""
    verify_actor(session, actor)
    team_id = team_scope(actor, TEAM_QUEUE, team_id)
    clauses: list[ColumnElement[bool]] = [col(Lead.stage).in_(list(OPEN_STAGES))]
    if team_id is not None:
        clauses.append(col(Lead.team_id) == team_id)
    choices = {}
    for name, column in (("source", col(Lead.source)), ("segment", col(Lead.segment))):
        values = session.exec(
            select(column).where(*clauses, column.is_not(None)).distinct().order_by(column)
        ).all()
        choices[name] = [v for v in values if v is not None]  # (none: the WHERE says so)
    return choices


def visible_teams(session: Session, *, actor: Actor) -> list[tuple[int, str]]:
    """Return (id, name) of the teams whose queue the actor may see."""
    verify_actor(session, actor)
    team_id = team_scope(actor, TEAM_QUEUE)
    query = select(Team.id, Team.name).order_by(Team.name)
    if team_id is not None:
        query = query.where(Team.id == team_id)
    return [(i, n) for i, n in session.exec(query).all() if i is not None]


def assignable_reps(session: Session, *, actor: Actor, team_id: int | None = None) -> list[Rep]:
    """Return the active reps the actor may hand leads to, by team and name."""
    verify_actor(session, actor)
    team_id = team_scope(actor, TEAM_QUEUE, team_id)
    query = (
        select(User.id, User.name, User.team_id, Team.name)
        .join(Team)
        .where(User.role == Role.REP, col(User.is_active).is_(True))
        .order_by(Team.name, User.name)
    )
    if team_id is not None:
        query = query.where(User.team_id == team_id)
    return [Rep(*row) for row in session.exec(query).all()]


def reassign_leads(
    session: Session,
    *,
    actor: Actor,
    versions: Mapping[int, int],
    owner_id: int | None = None,
    team_id: int | None = None,
    at: datetime | None = None,
) -> int:
    """Return how many leads now belong to the rep `owner_id`, or (without a rep) wait
    unassigned in team `team_id`'s queue (without a team: their own team's).

    `versions` maps each lead id to the version the caller saw; all move or none does."""
    authorize(session, actor, "reassign_team_lead", "reassign leads")
    if not versions:
        raise InvalidInput("Select at least one lead to reassign.", field="leads")
    rep, to_team = _target(session, actor, owner_id, team_id)
    at = as_utc(at or utcnow())
    terms = sla_content(session)
    act_as(session, actor, "lead.reassign")
    for lead_id in sorted(versions):  # one lock order for everyone: no deadlocks
        lead = lock_lead(session, lead_id=lead_id, expected_version=versions[lead_id])
        _check_movable(session, actor, lead, to_team)
        keep_misses(lead, at)
        if rep is not None and rep.id != lead.owner_id and lead.first_touch_at is None:
            restart_touch_window(lead, terms, at)
        lead.owner_id = rep.id if rep else None
        lead.team_id = to_team or lead.team_id
        lead.assigned_at = at if rep else None
        lead.updated_at = at
        session.add(lead)
    refresh_facts(session, lead_ids=list(versions))
    return len(versions)


def sla_content(session: Session) -> dict[str, Any] | None:
    sla = active_version(session, AgreementKind.SLA)
    return sla.content if sla is not None else None


def _held_at(lead: Lead, due: datetime | None, at: datetime) -> bool:
    """Whether the lead's owner held it when `due` passed (before `at`)."""
    if due is None or lead.owner_id is None or as_utc(due) >= at:
        return False
    return lead.assigned_at is None or as_utc(lead.assigned_at) <= as_utc(due)


def keep_misses(lead: Lead, at: datetime) -> None:
    """Keep, on an open lead about to change hands at `at`, who missed each deadline
    that passed unreached while they held it: the breach stays with the owner at the time."""
    if lead.first_touch_at is None and _held_at(lead, lead.touch_due_at, at):
        lead.touch_missed_by_id = lead.owner_id
    if lead.decided_at is None and _held_at(lead, lead.decision_due_at, at):
        lead.decision_missed_by_id = lead.owner_id


def restart_touch_window(lead: Lead, terms: dict[str, Any] | None, at: datetime) -> None:
    """Give the new owner of an untouched lead the SLA's window for reassigned leads,
    from `at` (a lead without a deadline, or with no SLA in force, keeps none)."""
    if terms is None or lead.touch_due_at is None:
        return
    lead.touch_due_at, lead.touch_warn_at = reassigned_touch_deadline(terms, at)
    lead.touch_alert_step = 0


def _target(
    session: Session, actor: Actor, owner_id: int | None, team_id: int | None
) -> tuple[User | None, int | None]:
    if owner_id is not None and team_id is not None:
        raise InvalidInput("Pick a rep or a team queue, not both.", field="owner")
    if owner_id is None:
        return None, team_scope(actor, TEAM_QUEUE, team_id)
    rep = session.get(User, owner_id)
    if rep is None or rep.role != Role.REP:
        raise InvalidInput("Leads can only go to a rep: pick one from the list.", field="owner")
    if not rep.is_active:
        raise InvalidInput(
            f"{rep.name} is deactivated and cannot take leads: pick another rep.", field="owner"
        )
    if rep.team_id is None:
        raise InvalidInput(
            f"{rep.name} is in no team. Ask an admin to put them in one first.", field="owner"
        )
    if not can(actor, "reassign_any_lead") and rep.team_id != team_scope(actor, TEAM_QUEUE):
        raise Forbidden(
            f"{rep.name} is in another team. A sales manager can give leads only "
            "to reps of their own team; ask a sales leader to move them across."
        )
    return rep, rep.team_id


def _check_movable(session: Session, actor: Actor, lead: Lead, to_team: int | None) -> None:
    check_can_act(session, actor, lead)
    if lead.stage not in OPEN_STAGES:
        raise InvalidInput(
            f"{lead_name(lead)} is already {lead.stage}: only open leads (MQL or "
            "accepted) can be reassigned. Nothing was moved.",
            field="leads",
        )
    if to_team is None and lead.team_id is None:
        raise InvalidInput(
            f"{lead_name(lead)} is in no team: pick the team whose queue it "
            "should wait in. Nothing was moved.",
            field="team",
        )
