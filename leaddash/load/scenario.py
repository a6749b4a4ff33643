"""The load run's own data: two teams, their reps and managers, four leaders, an active SLA
and definition, a draft the leaders edit, and open MQLs in the reps' and teams' queues.

It is built through the services (users, agreements) where a person would act, and written
directly only for the leads, as an import would leave them: MQLs with their stage event.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from leaddash.agreements import create_draft, propose, sign
from leaddash.audit import act_as
from leaddash.auth import CLI_ACTOR, actor_for
from leaddash.core.actor import Actor
from leaddash.db import read_session, write_session
from leaddash.definitions import (
    default_definition_content,
    summarize,
    validate_definition,
)
from leaddash.errors import Conflict
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.models import AgreementKind, Lead, Role, Stage, StageEvent, User, stored_id, utcnow
from leaddash.reasons import ensure_default_reasons
from leaddash.rescoring import rescore_open_leads
from leaddash.routing.promotion import mql_deadlines
from leaddash.sla import default_sla_content, summarize_sla, validate_sla
from leaddash.users import create_team, create_user

TEAMS = ("Load East", "Load West")
LEADERS = (
    ("load-mkt-1", Role.MARKETING_LEADER),
    ("load-sales-1", Role.SALES_LEADER),
    ("load-mkt-2", Role.MARKETING_LEADER),
    ("load-sales-2", Role.SALES_LEADER),
)
WORKERS_PER_REP = 2  # a rep with two browser tabs open races themself too
UNASSIGNED_SHARE = 0.2
NO_CAP = 100_000


@dataclass(frozen=True)
class Scenario:
    """Who works in the load run, and what they work on."""

    reps: tuple[Actor, ...]
    managers: tuple[Actor, ...]
    leaders: tuple[Actor, ...]
    team_reps: dict[int, tuple[int, ...]]
    lead_ids: tuple[int, ...]


def is_empty(engine: Engine) -> bool:
    """Return True when the database holds no users and no leads."""
    with read_session(engine) as session:
        users = session.exec(select(func.count()).select_from(User)).one()
        leads = session.exec(select(func.count()).select_from(Lead)).one()
    return users == 0 and leads == 0


def _person(session: Session, username: str, role: str, team: str | None) -> Actor:
    user = create_user(
        session,
        actor=CLI_ACTOR,
        username=username,
        role=role,
        password=secrets.token_urlsafe(24),
        team=team,
        name=username.replace("-", " ").title(),
    )
    if role == Role.REP:
        user.daily_cap = NO_CAP  # taking from the team queue must not stop at a cap
        session.add(user)
    return actor_for(user)


def _people(session: Session, rep_count: int) -> tuple[list[Actor], list[Actor], list[Actor]]:
    for team in TEAMS:
        create_team(session, actor=CLI_ACTOR, name=team)
    reps = [
        _person(session, f"load-rep-{n + 1}", Role.REP, TEAMS[n % len(TEAMS)])
        for n in range(rep_count)
    ]
    managers = [
        _person(session, f"load-manager-{n + 1}", Role.SALES_MANAGER, team)
        for n, team in enumerate(TEAMS)
    ]
    leaders = [_person(session, name, role, None) for name, role in LEADERS]
    return reps, managers, leaders


def _activate(
    session: Session,
    leaders: list[Actor],
    kind: str,
    content: dict[str, Any],
    validate: Callable,
    summary: Callable,
    on_activate: Callable | None,
) -> int:
    """Return the id of a version drafted, proposed and signed by both sides."""
    version = create_draft(
        session,
        actor=leaders[0],
        kind=kind,
        title=f"Load {kind} v1",
        content=content,
        validate=validate,
        summarize=summary,
    )
    propose(session, actor=leaders[0], version_id=version.id or 0, expected_version=version.version)
    for signer in leaders[:2]:
        sign(
            session,
            actor=signer,
            version_id=version.id or 0,
            expected_version=version.version,
            on_activate=on_activate,
        )
    return version.id or 0


def _agreements(session: Session, leaders: list[Actor]) -> int:
    """Return the id of the active definition, after activating it and the SLA and starting
    the draft the leaders will edit."""
    _activate(
        session,
        leaders,
        AgreementKind.SLA,
        default_sla_content(),
        validate_sla,
        summarize_sla,
        None,
    )
    active = _activate(
        session,
        leaders,
        AgreementKind.DEFINITION,
        default_definition_content(),
        validate_definition,
        summarize,
        rescore_open_leads,
    )
    create_draft(
        session,
        actor=leaders[0],
        kind=AgreementKind.DEFINITION,
        title="Load draft",
        based_on_id=active,
        summarize=summarize,
    )
    return active


def _leads(
    session: Session, reps: list[Actor], definition_id: int, count: int, rng: random.Random
) -> list[int]:
    """Return the ids of `count` open MQLs, most with a rep, the rest waiting in a team."""
    now = utcnow()
    team_ids = sorted({r.team_id for r in reps if r.team_id is not None})
    leads = []
    for n in range(count):
        rep = rng.choice(reps)
        owned = rng.random() >= UNASSIGNED_SHARE
        mql_at = now - timedelta(hours=rng.uniform(1, 72))
        due = mql_deadlines(session, mql_at)
        leads.append(
            Lead(
                first_name="Load",
                last_name=f"Lead {n + 1}",
                company=f"Load Co {n % 97}",
                email=f"load.lead.{n + 1}@example.com",
                country="US",
                industry="Software",
                employees=rng.choice((60, 250, 1200)),
                title="VP Sales",
                source="webinar",
                segment=rng.choice(("SMB", "Mid-Market", "Enterprise")),
                score=70.0,
                stage=Stage.MQL,
                stage_changed_at=mql_at,
                mql_at=mql_at,
                created_at=mql_at,
                definition_version_id=definition_id,
                team_id=rep.team_id if owned else rng.choice(team_ids),
                owner_id=rep.id if owned else None,
                assigned_at=mql_at if owned else None,
                touch_due_at=due.touch_due,
                decision_due_at=due.decision_due,
                touch_warn_at=due.touch_warn,
                decision_warn_at=due.decision_warn,
            )
        )
    session.add_all(leads)
    session.flush()
    session.add_all(
        StageEvent(
            lead_id=stored_id(lead),
            from_stage=Stage.INQUIRY,
            to_stage=Stage.MQL,
            occurred_at=lead.created_at,  # = mql_at
            definition_version_id=definition_id,
        )
        for lead in leads
    )
    return [lead.id for lead in leads if lead.id is not None]


def seed_scenario(engine: Engine, *, workers: int, leads: int, seed: int) -> Scenario:
    """Return the scenario written into the empty database behind `engine` (Conflict when
    it already holds users or leads: the load run writes test data)."""
    if not is_empty(engine):
        raise Conflict(
            "This database already holds users or leads. The load run writes its "
            "own test data, so point it at a new, empty (migrated) database."
        )
    rng = random.Random(seed)
    rep_count = max(1, -(-rep_workers(workers) // WORKERS_PER_REP))
    with write_session(engine) as session:
        act_as(session, CLI_ACTOR, "load.seed")
        ensure_default_reasons(session)
        reps, managers, leaders = _people(session, rep_count)
        definition_id = _agreements(session, leaders)
        lead_ids = _leads(session, reps, definition_id, leads, rng)
        rebuild_all_facts(session)
    team_reps: dict[int, tuple[int, ...]] = {}
    for rep in reps:
        team_reps[rep.team_id or 0] = (*team_reps.get(rep.team_id or 0, ()), rep.id or 0)
    return Scenario(tuple(reps), tuple(managers), tuple(leaders), team_reps, tuple(lead_ids))


def leader_workers(workers: int) -> int:
    """Return how many of `workers` edit the definition draft (a fifth, at least one)."""
    return max(1, workers // 5)


def manager_workers(workers: int) -> int:
    """Return how many of `workers` reassign leads (a fifth, at least one: two tabs per
    manager, so moves within one team race each other)."""
    return max(1, workers // 5)


def rep_workers(workers: int) -> int:
    """Return how many of `workers` work a rep's queue (the rest)."""
    return workers - leader_workers(workers) - manager_workers(workers)
