"""Load and faults: N concurrent workers doing queue actions and definition edits for S
seconds on one database, then a reconciliation of what they were told with what the
database holds.

`run_load` seeds its own scenario into an empty database (it refuses one with users or
leads), starts the workers as threads with their own sessions (as Streamlit's server
threads are), stops them at the deadline, and returns a `LoadReport`: operations and
refusals per kind, unhandled errors with their tracebacks, throughput, and the problems the
reconciliation found. `python -m leaddash load` runs it against DATABASE_URL.
"""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import Engine

from leaddash.core.actor import Actor
from leaddash.db import read_session
from leaddash.errors import InvalidInput
from leaddash.load import reconcile
from leaddash.load.drafts import leader_step
from leaddash.load.outcomes import Unhandled, WorkerLog, merged
from leaddash.load.scenario import (
    Scenario,
    leader_workers,
    manager_workers,
    rep_workers,
    seed_scenario,
)
from leaddash.load.workers import Worker, manager_step, rep_step

MIN_WORKERS = 3
STUCK_AFTER = 120  # seconds past the deadline a worker's last step may take
Step = Callable[[Worker], None]


@dataclass(frozen=True)
class LoadReport:
    """What a load run did and what its reconciliation found."""

    workers: int
    seconds: float
    leads: int
    ops: dict[str, int]
    refusals: dict[str, dict[str, int]]
    unhandled: list[Unhandled]
    problems: dict[str, list[str]]
    latency: dict[str, float]

    @property
    def writes(self) -> int:
        """Return how many writes succeeded."""
        return sum(n for kind, n in self.ops.items() if kind != "read")

    @property
    def throughput(self) -> float:
        """Return successful and refused writes per second."""
        refused = sum(
            n for kind, by in self.refusals.items() if kind != "read" for n in by.values()
        )
        return (self.writes + refused) / self.seconds if self.seconds else 0.0

    @property
    def ok(self) -> bool:
        """Return True when no error went unhandled and every check held."""
        return not self.unhandled and not any(self.problems.values())

    def lines(self) -> list[str]:
        """Return the report as lines of text for a person."""
        head = (
            f"{self.workers} workers for {self.seconds:.1f} s over {self.leads} leads: "
            f"{self.writes} writes succeeded, {self.throughput:.1f} writes/s "
            "(successful and refused)."
        )
        lines = [head]
        for kind in sorted(self.latency):
            refused = dict(self.refusals.get(kind, {})) or "never"
            lines.append(
                f"  {kind}: {self.ops.get(kind, 0)} ok, refused {refused}, "
                f"{self.latency[kind]:.2f} s each on average"
            )
        lines.append(f"Unhandled errors: {len(self.unhandled)}.")
        lines += [f"  {u.kind}: {u.error}" for u in self.unhandled[:20]]
        for check, found in self.problems.items():
            lines.append(f"{check}: {'holds' if not found else f'{len(found)} problem(s)'}")
            lines += [f"  {problem}" for problem in found[:20]]
        return lines


def _plan(workers: int, scenario: Scenario) -> list[tuple[Step, Actor]]:
    """Return each worker's step and actor: reps (two workers per rep), managers, leaders."""
    reps = [(rep_step, scenario.reps[n % len(scenario.reps)]) for n in range(rep_workers(workers))]
    managers = [
        (manager_step, scenario.managers[n % len(scenario.managers)])
        for n in range(manager_workers(workers))
    ]
    leaders = [
        (leader_step, scenario.leaders[n % len(scenario.leaders)])
        for n in range(leader_workers(workers))
    ]
    return [*reps, *managers, *leaders]


def _run(worker: Worker, step: Step) -> None:
    while worker.running():
        step(worker)


def _work(
    engine: Engine, scenario: Scenario, workers: int, seconds: float, seed: int
) -> tuple[WorkerLog, float]:
    """Return every worker's log merged, and the seconds the workers ran."""
    started = time.monotonic()
    deadline = started + seconds
    crew = [
        Worker(engine, scenario, actor, deadline, random.Random(seed * 1000 + n), WorkerLog())
        for n, (_, actor) in enumerate(_plan(workers, scenario))
    ]
    threads = [
        threading.Thread(target=_run, args=(w, step), name=f"load-{n}", daemon=True)
        for n, (w, (step, _)) in enumerate(zip(crew, _plan(workers, scenario), strict=True))
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=max(0.0, deadline + STUCK_AFTER - time.monotonic()))
    log = merged([w.log for w in crew])
    log.unhandled += [
        Unhandled(
            "worker",
            f"{t.name} was still working {STUCK_AFTER} s after "
            "the deadline (a lock never granted?)",
            "",
        )
        for t in threads
        if t.is_alive()
    ]
    return log, time.monotonic() - started


def _reconcile(engine: Engine, log: WorkerLog, base: reconcile.Baseline) -> dict[str, list[str]]:
    with read_session(engine) as session:
        problems = {
            "Stage events and touches match the successes": reconcile.check_events(
                session, log, base
            ),
            "Leads agree with their events, owners and touches": reconcile.check_leads(session),
            "No lost update on the definition drafts": reconcile.check_drafts(session, log, base),
            "Every successful write has its audit row": reconcile.check_audit(session, log, base),
        }
    problems["Facts equal a rebuild"] = reconcile.check_facts(engine)
    return problems


def _by_kind(refusals: Counter[tuple[str, str]]) -> dict[str, dict[str, int]]:
    grouped: dict[str, dict[str, int]] = {}
    for (kind, error), n in sorted(refusals.items()):
        grouped.setdefault(kind, {})[error] = n
    return grouped


def run_load(
    engine: Engine, *, workers: int = 20, seconds: float = 60, leads: int = 1200, seed: int = 1
) -> LoadReport:
    """Return the report of `workers` threads working the seeded scenario for `seconds`."""
    if workers < MIN_WORKERS:
        raise InvalidInput(
            f"A load run needs at least {MIN_WORKERS} workers (a rep, a manager and a leader).",
            field="workers",
        )
    if seconds <= 0 or leads <= 0:
        raise InvalidInput("Give the load run a positive number of seconds and leads.")
    scenario = seed_scenario(engine, workers=workers, leads=leads, seed=seed)
    base = reconcile.baseline(engine)
    log, ran = _work(engine, scenario, workers, seconds, seed)
    latency = {kind: log.seconds[kind] / n for kind, n in log.tries.items()}
    return LoadReport(
        workers,
        ran,
        leads,
        dict(log.ops),
        _by_kind(log.refusals),
        log.unhandled,
        _reconcile(engine, log, base),
        latency,
    )
