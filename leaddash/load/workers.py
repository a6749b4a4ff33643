"""The load run's workers: reps working their queues, managers reassigning, leaders editing
the definition draft. Each step reads in one short session and writes in another, as a
Streamlit page does between two reruns, and logs what happened."""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine
from sqlmodel import Session, select

from leaddash.core.actor import Actor
from leaddash.db import read_session, write_session
from leaddash.load.outcomes import LeadDone, WorkerLog
from leaddash.load.scenario import Scenario
from leaddash.models import Lead, Stage
from leaddash.queue import actions
from leaddash.queue.reads import open_leads_for_rep
from leaddash.queue.team import QueueFilter, reassign_leads, team_queue
from leaddash.queue.touches import CHANNELS, OUTCOMES
from leaddash.queue.waiting import take_next_waiting_lead

REASONS = {
    "disqualify": ("no_fit", "no_need", "competitor", "unable_to_reach"),
    "reject": ("bad_data", "outside_definition"),  # misrouted goes back to routing
    "recycle": ("not_now", "nurture"),
}
# What a rep does with a lead, by its stage: (action, weight).
CHOICES: dict[str, tuple[tuple[str, int], ...]] = {
    Stage.MQL: (
        ("accept", 40),
        ("log_attempt", 20),
        ("reject", 12),
        ("validate", 10),
        ("disqualify", 10),
        ("recycle", 8),
    ),
    Stage.ACCEPTED: (
        ("log_attempt", 55),
        ("validate", 14),
        ("disqualify", 16),
        ("recycle", 8),
        ("reject", 7),
    ),
}
TAKE_NEXT, STRAY, MISSING = 0.05, 0.05, 0.01
NO_SUCH_LEAD = 10**9
MANAGER_PAUSE = (0.02, 0.1)
REP_PAUSE = (0.0, 0.01)
TEAM_PAGE = 100  # the most urgent leads, as the page shows them first


@dataclass(frozen=True)
class LeadView:
    """A lead as the worker last read it."""

    id: int
    version: int
    stage: str
    attempts: int


@dataclass(frozen=True)
class Worker:
    """One worker's identity, clock and dice."""

    engine: Engine
    scenario: Scenario
    actor: Actor
    deadline: float
    rng: random.Random
    log: WorkerLog

    def running(self) -> bool:
        """Return True until the run's deadline has passed."""
        return time.monotonic() < self.deadline

    def pause(self, bounds: tuple[float, float]) -> None:
        """Think for a moment, as a person between reading and clicking."""
        time.sleep(self.rng.uniform(*bounds))


def _my_queue(engine: Engine, actor: Actor) -> list[LeadView]:
    with read_session(engine) as session:
        frame = open_leads_for_rep(session, actor=actor)
    return [
        LeadView(int(r.id), int(r.version), str(r.stage), int(r.attempts))
        for r in frame.itertuples()
    ]


def _any_lead(engine: Engine, lead_id: int) -> LeadView:
    with read_session(engine) as session:
        row = session.exec(
            select(Lead.id, Lead.version, Lead.stage, Lead.attempts).where(Lead.id == lead_id)
        ).first()
    return LeadView(*row) if row else LeadView(lead_id, 1, Stage.MQL, 0)


def _act(session: Session, kind: str, w: Worker, lead: LeadView) -> Any:
    common: dict[str, Any] = {
        "actor": w.actor,
        "lead_id": lead.id,
        "expected_version": lead.version,
    }
    if kind == "accept":
        return actions.accept_lead(session, **common)
    if kind == "log_attempt":
        channel = w.rng.choice(CHANNELS)
        return actions.log_attempt(
            session,
            channel=channel,
            outcome=w.rng.choice(OUTCOMES[channel]),
            note="Load run attempt",
            **common,
        )
    if kind == "validate":
        return actions.validate_lead(session, **common)
    act = {
        "disqualify": actions.disqualify_lead,
        "reject": actions.reject_lead,
        "recycle": actions.recycle_lead,
    }[kind]
    return act(session, reason_code=w.rng.choice(REASONS[kind]), **common)


def _pick_action(w: Worker, stage: str) -> str:
    kinds, weights = zip(*CHOICES.get(stage, CHOICES[Stage.ACCEPTED]), strict=True)
    return w.rng.choices(kinds, weights)[0]


def _work_lead(w: Worker, lead: LeadView) -> None:
    kind = _pick_action(w, lead.stage)

    def write() -> Any:
        with write_session(w.engine) as session:
            return _act(session, kind, w, lead)

    if w.log.attempt(kind, write) is not None:
        w.log.leads.append(LeadDone(kind, lead.id, lead.stage, lead.attempts > 0, f"lead.{kind}"))


def _take_next(w: Worker) -> None:
    def write() -> Any:
        with write_session(w.engine) as session:
            return take_next_waiting_lead(session, actor=w.actor)

    result = w.log.attempt("take_next", write)
    if result is not None:
        w.log.leads.append(LeadDone("take_next", result.lead_id, Stage.MQL, False, "lead.accept"))


def rep_step(w: Worker) -> None:
    """Work one lead: mostly one of the rep's own; now and then take the next waiting lead,
    or try a lead that is someone else's, already decided, or gone (to be refused)."""
    queue = w.log.read(lambda: _my_queue(w.engine, w.actor))
    if queue is None:
        return
    dice = w.rng.random()
    w.pause(REP_PAUSE)
    if not queue or dice < TAKE_NEXT:
        _take_next(w)
    elif dice < TAKE_NEXT + STRAY:
        _work_lead(w, _any_lead(w.engine, w.rng.choice(w.scenario.lead_ids)))
    elif dice < TAKE_NEXT + STRAY + MISSING:
        _work_lead(w, LeadView(NO_SUCH_LEAD, 1, Stage.MQL, 0))
    else:
        _work_lead(w, w.rng.choice(queue))


def _team_leads(engine: Engine, manager: Actor) -> dict[int, int]:
    with read_session(engine) as session:
        frame = team_queue(
            session, actor=manager, where=QueueFilter(team_id=manager.team_id), limit=TEAM_PAGE
        )
    return dict(zip(frame["id"].astype(int), frame["version"].astype(int), strict=True))


def manager_step(w: Worker) -> None:
    """Reassign one to three of the team's open leads to a rep of the team, or back to the
    team queue; now and then a lead of another team (to be refused)."""
    leads = w.log.read(lambda: _team_leads(w.engine, w.actor))
    if not leads:
        return
    picked = w.rng.sample(sorted(leads), min(len(leads), w.rng.randint(1, 3)))
    versions = {lead_id: leads[lead_id] for lead_id in picked}
    if w.rng.random() < STRAY:
        stray = _any_lead(w.engine, w.rng.choice(w.scenario.lead_ids))
        versions[stray.id] = stray.version
    reps = w.scenario.team_reps.get(w.actor.team_id or 0, ())
    owner = w.rng.choice(reps) if reps and w.rng.random() < 0.7 else None
    w.pause(MANAGER_PAUSE)

    def write() -> int:
        with write_session(w.engine) as session:
            return reassign_leads(session, actor=w.actor, versions=versions, owner_id=owner)

    if w.log.attempt("reassign", write) is not None:
        w.log.reassigned.update(versions.keys())
