"""The measurements the issue asks for: pure scoring, rescoring on activation, what-if.

Each gets the dataset and returns what it timed; it runs in a process of its own, so its
peak memory is its own too. Measurements that write work on a scratch copy of the file.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
from sqlmodel import Session, select

from leaddash.auth import CLI_ACTOR
from leaddash.bench.dataset import BenchDataset
from leaddash.bench.registry import Measurement, measurement
from leaddash.db import make_engine, read_session, write_session
from leaddash.definitions import score_leads
from leaddash.models import AgreementVersion, Lead
from leaddash.rescoring import UNDECIDED, rescore
from leaddash.scoring_io import (
    LEADS,
    activities_for,
    lead_chunks,
    rule_columns,
    scorable,
    scored_types,
)
from leaddash.sla import business_deadline, default_sla_content
from leaddash.whatif import replay

LIMIT_SECONDS = 10.0


@contextmanager
def scratch_copy(dataset: BenchDataset) -> Iterator[str]:
    """Yield the URL of a throwaway copy of the dataset's file (for measurements that write)."""
    with tempfile.TemporaryDirectory(prefix="leaddash-bench-") as folder:
        copy = Path(folder) / "scratch.db"
        shutil.copyfile(dataset.path, copy)
        yield f"sqlite:///{copy}"


def _candidate(session: Session, dataset: BenchDataset) -> AgreementVersion:
    """Return the dataset's candidate definition (the version the measures score with)."""
    version = session.get(AgreementVersion, dataset.candidate_id)
    if version is None:
        raise ValueError(
            f"The bench database has no version {dataset.candidate_id}: build the dataset again."
        )
    return version


@measurement(
    "score_pure",
    "score_leads over every open lead and its activities, in memory (loading not timed)",
    LIMIT_SECONDS,
)
def score_pure(dataset: BenchDataset) -> Measurement:
    """Return the time score_leads takes over the open leads, loaded beforehand."""
    engine = make_engine(dataset.url)
    where = [LEADS.stage.in_([s.value for s in UNDECIDED])]
    with read_session(engine) as session:
        content = scorable(_candidate(session, dataset).content)
        leads = pd.concat(lead_chunks(session, rule_columns(content), where))
        acts = activities_for(session, leads, where, scored_types(content))
    began = time.perf_counter()
    scored = score_leads(leads, acts, content, dataset.now_at)
    seconds = time.perf_counter() - began
    engine.dispose()
    return Measurement(
        seconds,
        {"leads": len(scored), "activities": len(acts), "mqls": int(scored["is_mql"].sum())},
    )


@measurement(
    "rescore_open_leads",
    "activating v4: read, score and write every open lead, with stage events, audit row and commit",
    LIMIT_SECONDS,
)
def rescore_open(dataset: BenchDataset) -> Measurement:
    """Return the time of the whole activation hook on a scratch copy, commit included."""
    with scratch_copy(dataset) as url:
        engine = make_engine(url)
        began = time.perf_counter()
        with write_session(engine) as session:
            version = _candidate(session, dataset)
            summary = rescore(session, version, as_of=dataset.now_at, actor=CLI_ACTOR)
        seconds = time.perf_counter() - began
        engine.dispose()
    return Measurement(
        seconds,
        {"rescored": summary.rescored, "changed": summary.changed, "new_mqls": summary.new_mqls},
    )


@measurement(
    "whatif_replay", "what-if replay of v4 against the active v3 over every lead", LIMIT_SECONDS
)
def whatif_replay(dataset: BenchDataset) -> Measurement:
    """Return the time of a what-if replay over the whole dataset."""
    engine = make_engine(dataset.url)
    began = time.perf_counter()
    with read_session(engine) as session:
        result = replay(
            session, actor=CLI_ACTOR, version_id=dataset.candidate_id, now=dataset.now_at
        )
    seconds = time.perf_counter() - began
    engine.dispose()
    precision = result.precision["candidate"]
    return Measurement(
        seconds,
        {
            "leads": result.leads,
            "mqls": result.outcomes["candidate"].mqls,
            "precision": None if precision is None else round(precision, 3),
        },
    )


@measurement(
    "deadline_series",
    "business_deadline of 4 business hours (the default SLA "
    "calendar) from every lead's creation, as one series (loading not timed)",
    LIMIT_SECONDS,
)
def deadline_series(dataset: BenchDataset) -> Measurement:
    """Return the time business_deadline takes over every lead's creation time at once (a
    unit test used to hold 20,000 starts to 2 s; the benchmark judges speed now)."""
    engine = make_engine(dataset.url)
    with read_session(engine) as session:
        created = session.exec(select(Lead.created_at)).all()
    engine.dispose()
    starts = pd.Series(pd.to_datetime(created, utc=True))
    calendar = default_sla_content()["calendar"]
    business_deadline(starts[:10], 4, calendar)  # builds the holiday calendar once
    began = time.perf_counter()
    due = business_deadline(starts, 4, calendar)
    seconds = time.perf_counter() - began
    return Measurement(seconds, {"leads": len(due), "latest_due": str(due.max())})
