"""Deterministic demo data that tells the story every dashboard can show.

`seed_demo` plans everything in memory (leaddash.demo.plan — a pure function of leads,
seed, months and today), then writes it with Core bulk inserts in one transaction, so a
failed seed leaves nothing behind. The story, by design:

- three definition versions (v1 loose, v2 tight, v3 active) and one SLA, all co-signed;
- Content Syndication leads are rejected or disqualified far more than other sources;
- olivia.nguyen validates about half as often as her peers; ethan.brooks and marcus.reed
  are slow to first touch; the `rep` login has a queue of open leads, some overdue;
- volume grows with seasonality, so marketing hits its MQL target in some months only.
"""

from __future__ import annotations

import time as clock
from dataclasses import dataclass, replace
from datetime import date, datetime

from sqlalchemy import Engine, func
from sqlmodel import Session, select

from leaddash.audit import record
from leaddash.auth import hash_password
from leaddash.db import read_session, write_session
from leaddash.demo.people import (
    DEMO_ACCOUNTS,
    DEMO_PASSWORD,
    DEMO_USERS,
    STRICT_REP,
    all_users,
)
from leaddash.demo.plan import DemoPlan, build_plan
from leaddash.demo.writer import write_plan
from leaddash.errors import Conflict, InvalidInput
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.models import Lead, User

__all__ = [
    "DEMO_ACCOUNTS",
    "DEMO_PASSWORD",
    "DEMO_USERS",
    "STRICT_REP",
    "DemoSummary",
    "is_empty",
    "seed_demo",
]


@dataclass(frozen=True)
class DemoSummary:
    """What seed_demo wrote; `str()` gives a short summary for people."""

    leads: int
    mqls: int
    activities: int
    touches: int
    events: int
    users: int
    months: int
    first_day: date
    today: date
    mql_target: int
    seconds: float

    def __str__(self) -> str:
        logins = ", ".join(DEMO_USERS)
        return (
            f"Seeded demo data in {self.seconds:.1f} s: {self.leads:,} leads "
            f"({self.mqls:,} MQLs) from {self.first_day} to {self.today}, "
            f"{self.activities:,} activities, {self.touches:,} touches, {self.events:,} stage "
            f"events; {self.users} users. MQL target {self.mql_target:,} a month.\n"
            f"Log in as {logins} (password {DEMO_PASSWORD!r})."
        )


def _empty(session: Session) -> bool:
    users = session.exec(select(func.count()).select_from(User)).one()
    leads = session.exec(select(func.count()).select_from(Lead)).one()
    return users == 0 and leads == 0


def is_empty(engine: Engine) -> bool:
    """Return True when the database holds no users and no leads."""
    with read_session(engine) as session:
        return _empty(session)


def _summary(plan: DemoPlan, months: int, today: date, seconds: float) -> DemoSummary:
    sla = plan.agreements[-1].content
    return DemoSummary(
        leads=len(plan.leads),
        mqls=int(plan.leads["mql_at"].notna().sum()),
        activities=len(plan.activities),
        touches=len(plan.touches),
        events=len(plan.events),
        users=len(all_users()),
        months=months,
        first_day=plan.start.date(),
        today=today,
        mql_target=int(sla["marketing"]["mql_target_per_month"]),
        seconds=seconds,
    )


def _check(leads: int, months: int) -> None:
    if leads < 1:
        raise InvalidInput("Seed at least one lead.", field="leads")
    if not 1 <= months <= 120:
        raise InvalidInput("Seed between 1 and 120 months of history.", field="months")


def seed_demo(
    engine: Engine,
    *,
    leads: int = 20_000,
    seed: int = 7,
    months: int = 18,
    today: date | None = None,
) -> DemoSummary:
    """Fill an empty database with the demo and return what was written; raises Conflict
    when users or leads already exist. Same (leads, seed, months, today) → same data."""
    _check(leads, months)
    started = clock.perf_counter()
    today = today or datetime.now().astimezone().date()  # the local date, as before
    plan = build_plan(leads=leads, seed=seed, months=months, today=today)
    password_hash = hash_password(DEMO_PASSWORD)
    with write_session(engine) as session:
        if not _empty(session):
            raise Conflict(
                "The database already holds users or leads; the demo is only "
                "seeded into an empty database."
            )
        write_plan(session, plan, password_hash)
        rebuild_all_facts(session)
        summary = _summary(plan, months, today, clock.perf_counter() - started)
        record(
            session,
            actor=None,
            action="demo.seed",
            entity="demo",
            after={
                "leads": summary.leads,
                "mqls": summary.mqls,
                "seed": seed,
                "months": months,
                "today": today.isoformat(),
            },
        )
    return replace(summary, seconds=clock.perf_counter() - started)
