"""The import measurement: 100,000 leads and 1,000,000 activities from CSV files into a
fresh migrated database, read, checked, written, scored, qualified and routed.

The files and the database are built (deterministically) in a temporary folder before the
clock starts; the synthetic bench dataset is not used, only its size options are ignored.
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace
from typing import cast

import numpy as np
import pandas as pd
from sqlalchemy import Engine

from leaddash.auth import CLI_ACTOR
from leaddash.bench.dataset import COUNTRIES, INDUSTRIES, TITLES, BenchDataset
from leaddash.bench.registry import Measurement, measurement
from leaddash.core.bulk import insert_rows
from leaddash.db import make_engine, write_session
from leaddash.definitions import ACTIVITY_TYPES, summarize
from leaddash.demo.agreements import definition_v3
from leaddash.demo.plan import DemoPlan
from leaddash.demo.writer import write_people
from leaddash.imports import import_file, read_table
from leaddash.migrate import upgrade
from leaddash.models import AgreementVersion, utcnow
from leaddash.sla import default_sla_content, summarize_sla

LEADS = 100_000
ACTIVITIES = 1_000_000
LIMIT_SECONDS = 60.0


def lead_file(rng: np.random.Generator, count: int, now: pd.Timestamp) -> pd.DataFrame:
    """Return `count` leads as a Salesforce-like export (ids L000001 …)."""
    created = now - pd.to_timedelta(rng.uniform(1, 60, count) * 86_400, unit="s").round("s")
    return pd.DataFrame(
        {
            "external_id": [f"L{i:06d}" for i in range(1, count + 1)],
            "email": [f"person{i}@company{i % 5000}.example" for i in range(1, count + 1)],
            "first_name": "Alex",
            "last_name": [f"Lead {i}" for i in range(count)],
            "company": [f"Company {i % 5000}" for i in range(count)],
            "title": rng.choice(TITLES, count),
            "country": rng.choice(COUNTRIES, count),
            "industry": rng.choice(INDUSTRIES, count),
            "employees": np.exp(rng.uniform(np.log(10), np.log(20_000), count)).astype(int),
            "source": rng.choice(["Webinar", "Paid Search", "Organic"], count),
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
        }
    )


def activity_file(
    rng: np.random.Generator, leads: pd.DataFrame, count: int, now: pd.Timestamp
) -> pd.DataFrame:
    """Return `count` activities spread over the leads, each after its lead was created."""
    which = rng.integers(0, len(leads), count)
    created = pd.to_datetime(leads["created_at"].to_numpy()[which], utc=True)
    when = created + pd.to_timedelta(rng.exponential(5 * 86_400, count).round(), unit="s")
    when = when.where(when < now, now)
    return pd.DataFrame(
        {
            "external_id": leads["external_id"].to_numpy()[which],
            "type": rng.choice(np.array(ACTIVITY_TYPES), count),
            "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "detail": "",
        }
    )


def prepared_database(url: str, now: pd.Timestamp) -> Engine:
    """Return an engine over a freshly migrated database with the demo's teams, reps and
    routing rules, an active definition (the demo's v3) and an active SLA."""
    upgrade(url)
    engine = make_engine(url)
    since = (now - timedelta(days=30)).to_pydatetime()
    with write_session(engine) as session:
        # write_people reads only the plan's start.
        plan = cast(DemoPlan, SimpleNamespace(start=pd.Timestamp(since)))
        write_people(session, plan, "not-a-login")
        insert_rows(
            session,
            AgreementVersion,
            [
                {
                    "kind": kind,
                    "number": 1,
                    "title": f"{kind} v1",
                    "status": "active",
                    "content": content,
                    "summary": summary,
                    "created_at": since,
                    "updated_at": since,
                    "effective_from": since,
                    "version": 1,
                }
                for kind, content, summary in (
                    ("definition", definition_v3(), summarize(definition_v3())),
                    ("sla", default_sla_content(), summarize_sla(default_sla_content())),
                )
            ],
        )
    return engine


@measurement(
    "import_leads_100k",
    "CSV import of 100,000 leads then 1,000,000 activities "
    "into a fresh database: read, check, write, score, qualify, route",
    LIMIT_SECONDS,
)
def import_leads_100k(_dataset: BenchDataset) -> Measurement:
    """Return the time of both imports, each in its own transaction, commits included."""
    rng, now = np.random.default_rng(5), pd.Timestamp(utcnow()).floor("s")
    with tempfile.TemporaryDirectory(prefix="leaddash-import-") as folder:
        leads = lead_file(rng, LEADS, now)
        files = {"leads": Path(folder) / "leads.csv", "activities": Path(folder) / "acts.csv"}
        leads.to_csv(files["leads"], index=False)
        activity_file(rng, leads, ACTIVITIES, now).to_csv(files["activities"], index=False)
        engine = prepared_database(f"sqlite:///{Path(folder) / 'import.db'}", now)
        began, results = time.perf_counter(), {}
        for kind, path in files.items():
            table = read_table(path.read_bytes(), path.name)
            with write_session(engine) as session:
                results[kind] = import_file(session, actor=CLI_ACTOR, kind=kind, table=table)
        seconds = time.perf_counter() - began
        engine.dispose()
    return Measurement(
        seconds,
        {
            "leads": results["leads"].created,
            "activities": results["activities"].created,
            "mqls": results["leads"].new_mqls + results["activities"].new_mqls,
            "routed": results["leads"].routed + results["activities"].routed,
        },
    )
