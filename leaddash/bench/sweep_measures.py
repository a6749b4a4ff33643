"""The SLA sweep at scale: one pass over the dataset's open leads (issue 14: at most 1 s).

The dataset's open MQLs are months past their deadlines and no sweep has told anyone yet,
so a first pass (untimed, its time and alerts in the details) catches up, as the first pass
after an upgrade would. The timed pass is the one the worker then runs every minute: a
minute later, over a million leads whose steps are current.
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

from leaddash.bench.dataset import BenchDataset
from leaddash.bench.measures import scratch_copy
from leaddash.bench.registry import Measurement, measurement
from leaddash.db import make_engine, write_session
from leaddash.queue.sla_sweep import sweep

LIMIT_SECONDS = 1.0


@measurement(
    "sla_sweep",
    "one SLA sweep pass a minute after a catch-up pass (warning, breach and escalation "
    "steps of every open lead, steps written, commit)",
    LIMIT_SECONDS,
)
def sla_sweep(dataset: BenchDataset) -> Measurement:
    """Return the time of one sweep pass, commit included, on a scratch copy."""
    with scratch_copy(dataset) as url:
        engine = make_engine(url)
        began = time.perf_counter()
        with write_session(engine) as session:
            caught_up = sweep(session, dataset.now_at)
        catch_up_seconds = time.perf_counter() - began
        began = time.perf_counter()
        with write_session(engine) as session:
            alerts = sweep(session, dataset.now_at + timedelta(minutes=1))
        seconds = time.perf_counter() - began
        engine.dispose()
    kinds = Counter(f"{a.milestone}:{a.kind}" for a in caught_up)
    return Measurement(
        seconds,
        {
            "alerts": len(alerts),
            "catch_up_seconds": round(catch_up_seconds, 2),
            "catch_up_alerts": len(caught_up),
            **{f"catch_up_{k}": v for k, v in sorted(kinds.items())},
        },
    )
