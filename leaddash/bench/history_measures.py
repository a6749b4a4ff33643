"""The history import measurement: a team's CRM history of 1,000,000 leads, each with six
stage dates, loaded from one CSV file into a fresh database — read, checked, written as
stage events, facts and rollups included.

The file and the database (the demo's people, an active definition and SLA) are built
deterministically in a temporary folder before the clock starts; the synthetic bench
dataset is not used.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
from sqlalchemy import func, select

from leaddash.analytics.models import LeadPass
from leaddash.auth import CLI_ACTOR
from leaddash.bench.dataset import COUNTRIES, INDUSTRIES, BenchDataset
from leaddash.bench.import_measures import prepared_database
from leaddash.bench.registry import Measurement, measurement
from leaddash.db import read_session, write_session
from leaddash.demo.people import reps_by_team
from leaddash.imports import import_file, read_table
from leaddash.models import utcnow

LEADS = 1_000_000
LIMIT_SECONDS = 180.0
STEPS = ("mql_at", "accepted_at", "validated_at", "sql_at", "opportunity_at")
DAY = 86_400


def history_file(rng: np.random.Generator, count: int, now: pd.Timestamp) -> pd.DataFrame:
    """Return `count` leads of a CRM's last two years, each created then taken through six
    stage dates (mql … opportunity, then won or lost), with an owner and a deal amount."""
    created = now - pd.to_timedelta(rng.uniform(60, 730, count) * DAY, unit="s").round("s")
    frame = pd.DataFrame({
        "external_id": [f"H{i:07d}" for i in range(1, count + 1)],
        "email": [f"person{i}@company{i % 20_000}.example" for i in range(1, count + 1)],
        "company": [f"Company {i % 20_000}" for i in range(count)],
        "country": rng.choice(COUNTRIES, count), "industry": rng.choice(INDUSTRIES, count),
        "source": rng.choice(["Webinar", "Paid Search", "Organic", "Events"], count),
        "owner": rng.choice([r for reps in reps_by_team().values() for r in reps], count),
        "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ")})
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


@measurement("history_import_1m", "CSV history import of 1,000,000 leads with six stage "
             "dates each into a fresh database: read, check, write the stage events, facts "
             "and rollups", LIMIT_SECONDS, memory_limit_mb=None)
def history_import_1m(_dataset: BenchDataset) -> Measurement:
    """Return the time of the import in one transaction, commit included."""
    rng, now = np.random.default_rng(11), pd.Timestamp(utcnow()).floor("s")
    with tempfile.TemporaryDirectory(prefix="leaddash-history-") as folder:
        path = Path(folder) / "history.csv"
        history_file(rng, LEADS, now).to_csv(path, index=False)
        engine = prepared_database(f"sqlite:///{Path(folder) / 'history.db'}", now)
        began = time.perf_counter()
        table = read_table(path.read_bytes(), path.name)
        with write_session(engine) as session:
            result = import_file(session, actor=CLI_ACTOR, kind="leads", table=table,
                                 at=now.to_pydatetime())
        seconds = time.perf_counter() - began
        with read_session(engine) as session:
            passes = session.exec(select(func.count()).select_from(LeadPass)).one()
        engine.dispose()
    return Measurement(seconds, {"leads": result.created, "events": result.history_events,
                                 "passes": passes, "problems": len(result.problems)})
