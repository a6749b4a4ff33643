"""The history import measurement: a team's CRM history of 1,000,000 leads, each with six
stage dates, loaded from one CSV file into a fresh database — read, checked, written as
stage events, facts and rollups included.

The file and the database (the demo's people, an active definition and SLA) are built
deterministically in a temporary folder before the clock starts; the synthetic bench
dataset is not used.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import asdict
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from leaddash.auth import CLI_ACTOR
from leaddash.bench.dataset import (
    COUNTRIES,
    FORMAT,
    INDUSTRIES,
    BenchDataset,
)
from leaddash.bench.import_measures import prepared_database
from leaddash.bench.registry import Measurement, measurement
from leaddash.db import read_session, write_session
from leaddash.demo.people import reps_by_team
from leaddash.fact_tables import LeadPass
from leaddash.imports import import_file, read_table
from leaddash.imports.reading import LOCAL_MAX_BYTES
from leaddash.models import utcnow

LEADS = 1_000_000
LIMIT_SECONDS = 180.0
# The tests run the measurements on a few hundred leads.
LEADS_VARIABLE = "LEADDASH_HISTORY_LEADS"
STEPS = ("mql_at", "accepted_at", "validated_at", "sql_at", "opportunity_at")
DAY = 86_400


def history_file(rng: np.random.Generator, count: int, now: pd.Timestamp) -> pd.DataFrame:
    """Return `count` leads of a CRM's last two years, each created then taken through six
    stage dates (mql … opportunity, then won or lost), with an owner and a deal amount."""
    created = now - pd.to_timedelta(rng.uniform(60, 730, count) * DAY, unit="s").round("s")
    frame = pd.DataFrame(
        {
            "external_id": [f"H{i:07d}" for i in range(1, count + 1)],
            "email": [f"person{i}@company{i % 20_000}.example" for i in range(1, count + 1)],
            "company": [f"Company {i % 20_000}" for i in range(count)],
            "country": rng.choice(COUNTRIES, count),
            "industry": rng.choice(INDUSTRIES, count),
            "source": rng.choice(["Webinar", "Paid Search", "Organic", "Events"], count),
            "owner": rng.choice([r for reps in reps_by_team().values() for r in reps], count),
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )
    when = created
    for step in STEPS:
        when = when + pd.to_timedelta(rng.exponential(3 * DAY, count).round(), unit="s")
        frame[step] = when.strftime("%Y-%m-%dT%H:%M:%SZ")
    closed = when + pd.to_timedelta(rng.exponential(20 * DAY, count).round(), unit="s")
    closed = closed.where(closed < now, now - pd.Timedelta(seconds=1))
    won = rng.random(count) < 0.3
    frame["stage"] = np.where(won, "won", "lost")
    frame["stage_at"] = closed.strftime("%Y-%m-%dT%H:%M:%SZ")
    frame["amount"] = np.where(won, rng.integers(1_000, 50_000, count), "")
    return frame


def history_size() -> int:
    """Return how many leads the history file holds (LEADS unless the tests say less)."""
    return int(os.environ.get(LEADS_VARIABLE, LEADS))


def history_path(root: Path) -> Path:
    """Return the SQLite file the history import leaves for the pages measured on it."""
    return root / f"history-f{FORMAT}-{history_size()}.db"


def history_dataset(
    beside: BenchDataset, *, fresh: bool = False
) -> tuple[BenchDataset, Measurement | None]:
    """Return the history-loaded database (in the folder of the dataset `beside`) as a
    dataset the page measurements can open, built by a timed import when missing or
    `fresh`, and that import's measurement."""
    path = history_path(Path(beside.path).parent)
    facts = path.with_suffix(".json")
    if not fresh and path.exists() and facts.exists():
        return BenchDataset(**json.loads(facts.read_text())), None
    for stale in (path, facts, Path(f"{path}-wal"), Path(f"{path}-shm")):
        stale.unlink(missing_ok=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    dataset, timed = _imported(path)
    facts.write_text(json.dumps(asdict(dataset), indent=2))
    return dataset, timed


def _imported(path: Path) -> tuple[BenchDataset, Measurement]:
    """Return the dataset and the measurement of importing the history file into `path`."""
    rng, now = np.random.default_rng(11), pd.Timestamp(utcnow()).floor("s")
    with tempfile.TemporaryDirectory(prefix="leaddash-history-") as folder:
        csv = Path(folder) / "history.csv"
        history_file(rng, history_size(), now).to_csv(csv, index=False)
        engine = prepared_database(f"sqlite:///{path}", now)
        began = time.perf_counter()
        table = read_table(csv.read_bytes(), csv.name, LOCAL_MAX_BYTES)
        with write_session(engine) as session:
            result = import_file(
                session, actor=CLI_ACTOR, kind="leads", table=table, at=now.to_pydatetime()
            )
        seconds = time.perf_counter() - began
    with read_session(engine) as session:
        passes = int(session.scalar(select(func.count()).select_from(LeadPass)) or 0)
    engine.dispose()
    dataset = BenchDataset(
        path=str(path),
        leads=result.created,
        open_leads=0,
        activities=0,
        open_activities=0,
        active_id=0,
        candidate_id=0,
        candidate_number=0,
        now=now.isoformat(),
    )
    return dataset, Measurement(
        seconds,
        {
            "leads": result.created,
            "events": result.history_events,
            "passes": passes,
            "problems": len(result.problems),
        },
    )


@measurement(
    "history_import_1m",
    "CSV history import of 1,000,000 leads with six stage "
    "dates each into a fresh database: read, check, write the stage events, facts "
    "and rollups (the database is kept for the *_on_history page measurements)",
    LIMIT_SECONDS,
    memory_limit_mb=None,
)
def history_import_1m(dataset: BenchDataset) -> Measurement:
    """Return the time of the import in one transaction, commit included."""
    _, timed = history_dataset(dataset, fresh=True)
    assert timed is not None
    return timed
