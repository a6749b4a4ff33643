"""Hand-built deals for the win-rate tests (service, pages, command line), and their
figures counted in plain Python straight from the steps (docs/metrics.md "Deals").

The deals (New York SLA calendar; times UTC, away from month ends):
  rita (North)  R1 won in April after an opportunity; R2, R3 lost in April after one;
                R4 lost in April straight from mql. No open deal: 1 won / 3 lost.
  sam (South)   S1 won in April; S2 won in April straight from inquiry (no MQL or
                opportunity seen); S3 open since March; S4 open since April; S5 won in May,
                without an amount; S6 reached sql in April, then recycled (out of the
                funnel: not open);
                S7 won in April, from a source that reads as a spreadsheet formula.
  nobody        N1 lost in April after an opportunity (no owner, no team, no source).
  rejected      X1 rejected in April: not a deal.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine
from sqlmodel import SQLModel

from leaddash.analytics.filters import Filters, month_key
from leaddash.core.actor import Actor
from leaddash.db import make_engine
from leaddash.models import Role
from tests.conftest import make_user, throwaway_pg_database
from tests.event_history import Step, activate_sla, add_history, at

ZONE = ZoneInfo("America/New_York")
SPRING = Filters(start=date(2026, 3, 1), end=date(2026, 5, 31))
EXITS = {"rejected", "disqualified", "recycled", "lost"}
DEAL_STAGES = ("sql", "opportunity", "won")
FIGURES = (
    "won",
    "lost",
    "open",
    "win_rate",
    "won_amount",
    "median_cycle_days",
    "median_mql_to_close_days",
)


@dataclass(frozen=True)
class Deal:
    """A lead of the module docstring: who owns it, its steps and its amount."""

    owner: str | None
    steps: tuple[Step, ...]
    amount: float | None = None
    source: str | None = None


def _path(day: str, *stages: str) -> tuple[Step, ...]:
    """Return steps into `stages`, one day apart from `day` (15:00 UTC)."""
    start = datetime.fromisoformat(f"{day} 15:00")
    return tuple(
        Step(f"{start + pd.Timedelta(days=i):%Y-%m-%d %H:%M}", stage)
        for i, stage in enumerate(stages)
    )


def _then(steps: tuple[Step, ...], when: str, stage: str) -> tuple[Step, ...]:
    """Return `steps` and then one more, into `stage` at `when`."""
    return (*steps, Step(when, stage))


SOLD = ("inquiry", "mql", "accepted", "validated", "sql", "opportunity")
DEALS = {
    "R1": Deal(
        "rita", _then(_path("2026-03-02", *SOLD), "2026-04-15 15:00", "won"), 12_000, "Webinar"
    ),
    "R2": Deal(
        "rita", _then(_path("2026-03-03", *SOLD), "2026-04-20 15:00", "lost"), source="Webinar"
    ),
    "R3": Deal(
        "rita", _then(_path("2026-03-10", *SOLD), "2026-04-22 09:00", "lost"), source="Paid Search"
    ),
    "R4": Deal(
        "rita",
        _then(_path("2026-03-05", "inquiry", "mql"), "2026-04-10 15:00", "lost"),
        source="Webinar",
    ),
    "S1": Deal(
        "sam", _then(_path("2026-03-02", *SOLD), "2026-04-12 15:00", "won"), 30_000, "Paid Search"
    ),
    "S2": Deal(
        "sam",
        _then(_path("2026-03-01", "inquiry"), "2026-04-14 15:00", "won"),
        5_000,
        "Paid Search",
    ),
    "S3": Deal("sam", _path("2026-03-12", *SOLD), source="Paid Search"),
    "S4": Deal("sam", _path("2026-04-02", "inquiry", "mql", "sql"), source="Paid Search"),
    "S5": Deal(
        "sam", _then(_path("2026-03-20", *SOLD), "2026-05-05 15:00", "won"), source="Paid Search"
    ),
    "S6": Deal(
        "sam",
        _then(_path("2026-04-03", "inquiry", "mql", "sql"), "2026-04-20 15:00", "recycled"),
        source="Paid Search",
    ),
    "S7": Deal(
        "sam", _then(_path("2026-03-06", *SOLD), "2026-04-18 15:00", "won"), 1_000, "=HYPERLINK(1)"
    ),
    "N1": Deal(None, _then(_path("2026-03-04", *SOLD), "2026-04-09 15:00", "lost")),
    "X1": Deal(
        "rita",
        _then(_path("2026-04-01", "inquiry", "mql"), "2026-04-02 15:00", "rejected"),
        source="Webinar",
    ),
}


def _month(when: str) -> int:
    return month_key(at(when).astimezone(ZONE).date())


def _days(earlier: str, later: str) -> float:
    """Return the days between two moments at the cycle histogram's resolution (docs/
    metrics.md): to the hour under two days, six hours under thirty days, the day beyond."""
    hours = math.floor((at(later) - at(earlier)).total_seconds() / 3_600 + 0.5)
    step = 1 if hours < 48 else 6 if hours < 720 else 24
    return math.floor(hours / step + 0.5) * step / 24


def plain(deals: dict[str, Deal], filters: Filters) -> dict[str, object]:
    """Return the Deals figures of `deals`, counted straight from their steps."""
    lo, hi = month_key(filters.start), month_key(filters.end)
    won, lost, still_open, amount, cycle, mql_cycle = 0, 0, 0, 0.0, [], []
    for deal in deals.values():
        seen = {s.stage: s.when for s in reversed(deal.steps)}
        last = deal.steps[-1]
        closed = seen.get("won") or (last.when if last.stage == "lost" else None)
        if closed is not None and lo <= _month(closed) <= hi:
            won, lost = won + ("won" in seen), lost + ("won" not in seen)
            amount += (deal.amount or 0) if "won" in seen else 0
            cycle += [_days(seen["opportunity"], closed)] if "opportunity" in seen else []
            mql_cycle += [_days(seen["mql"], closed)] if "mql" in seen else []
        deal_start = next((s.when for s in deal.steps if s.stage in DEAL_STAGES), None)
        if (
            closed is None
            and last.stage not in EXITS
            and deal_start is not None
            and lo <= _month(deal_start) <= hi
        ):
            still_open += 1

    def median(days: list) -> float | None:
        return statistics.median(days) if days else None

    return {
        "won": won,
        "lost": lost,
        "open": still_open,
        "win_rate": won / (won + lost) if won + lost else None,
        "won_amount": amount,
        "median_cycle_days": median(cycle),
        "median_mql_to_close_days": median(mql_cycle),
    }


def only(owner: str | None) -> dict[str, Deal]:
    """Return the deals of one owner (None: the unowned ones)."""
    return {name: d for name, d in DEALS.items() if d.owner == owner}


def store(
    engine: Engine, deals: dict[str, Deal], people: dict[str, Actor], **fields: object
) -> None:
    """Store each deal as a lead with its history, owned by its rep (and their team)."""
    for deal in deals.values():
        owner = people.get(deal.owner) if deal.owner else None
        add_history(
            engine,
            list(deal.steps),
            amount=deal.amount,
            source=deal.source,
            owner_id=owner.id if owner else None,
            team_id=owner.team_id if owner else None,
            **fields,
        )


def make_people(engine: Engine) -> dict[str, Actor]:
    """Store the SLA, two reps (North, South), an admin and North's manager."""
    activate_sla(engine)
    return {
        "rita": make_user(engine, "rita", Role.REP, team="North"),
        "sam": make_user(engine, "sam", Role.REP, team="South"),
        "boss": make_user(engine, "boss", Role.ADMIN),
        "mona": make_user(engine, "mona", Role.SALES_MANAGER, team="North"),
    }


def as_shown(figures: dict[str, object]) -> list[str]:
    """Return plain figures as the tables show them: thousands separators, per cent, days to
    a tenth, "—" for no value."""

    def text(name: str, value: object) -> str:
        if value is None:
            return "—"
        if name == "win_rate":
            return f"{value:.0%}"
        return f"{value:,.1f}" if name.startswith("median") else f"{value:,.0f}"

    return [text(name, figures[name]) for name in FIGURES]


@contextmanager
def database(backend: str, folder: Path) -> Iterator[Engine]:
    """Yield an engine over a new database with every table: a SQLite file in `folder`, or
    a throwaway PostgreSQL database (the test is skipped when there is no server)."""
    if backend == "sqlite":
        with _tables(f"sqlite:///{folder / 'deals.db'}") as engine:
            yield engine
        return
    with throwaway_pg_database("deals") as url, _tables(url) as engine:
        yield engine


@contextmanager
def _tables(url: str) -> Iterator[Engine]:
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    try:
        yield engine
    finally:
        engine.dispose()
