"""Runs registered measurements, each in a fresh process, and reports them."""

from __future__ import annotations

import json
import multiprocessing
import os
import platform
import resource
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from leaddash.bench import import_measures, measures  # noqa: F401  (they register measurements)
from leaddash.bench.dataset import BenchDataset, load_or_build
from leaddash.bench.registry import REGISTRY
from leaddash.config import PROJECT_ROOT
from leaddash.errors import InvalidInput
from leaddash.models import utcnow
from leaddash.ui import page_bench  # noqa: F401  (measurements; pages need streamlit)

DEFAULT_OUTPUT = PROJECT_ROOT / "bench-results" / "bench.json"


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _measure(name: str, dataset: BenchDataset) -> dict[str, Any]:
    """Run one measurement (in the child process) and return its row."""
    spec = REGISTRY[name]
    found = spec.run(dataset)
    within = None if spec.limit_seconds is None else found.seconds <= spec.limit_seconds
    return {"name": name, "description": spec.description, "seconds": round(found.seconds, 3),
            "limit_seconds": spec.limit_seconds, "within_limit": within,
            "peak_rss_mb": peak_rss_mb(), "details": found.details}


def _dataset(leads: int, per_lead: int, fresh: bool) -> BenchDataset:
    return load_or_build(leads, per_lead, fresh=fresh)


def _idle() -> float:
    """Return the peak memory of a process that only imported the benchmark."""
    return peak_rss_mb()


def _in_child(run: Callable[..., Any], *args: Any) -> Any:
    """Return what `run(*args)` returns in a fresh process. Linux carries the parent's
    peak RSS over into a child, so the parent stays small: it builds nothing itself."""
    with multiprocessing.get_context("spawn").Pool(1) as pool:
        return pool.apply(run, args)


def _machine() -> dict[str, Any]:
    return {"python": platform.python_version(), "platform": platform.platform(),
            "cpus": os.cpu_count(), "processor": platform.processor() or platform.machine()}


def format_table(rows: Sequence[dict[str, Any]]) -> str:
    """Return the measurements as a text table: name, seconds, limit, peak memory, details."""
    lines = [f"{'measurement':<22} {'seconds':>8} {'limit':>6} {'ok':>3} {'peak MiB':>9}  details"]
    for row in rows:
        limit = "" if row["limit_seconds"] is None else f"{row['limit_seconds']:g}"
        ok = {True: "yes", False: "NO", None: ""}[row["within_limit"]]
        details = ", ".join(f"{k}={v:,}" if isinstance(v, int) else f"{k}={v}"
                            for k, v in row["details"].items())
        lines.append(f"{row['name']:<22} {row['seconds']:>8.2f} {limit:>6} {ok:>3} "
                     f"{row['peak_rss_mb']:>9.0f}  {details}")
    return "\n".join(lines)


def run_bench(*, leads: int, per_lead: int, output: Path = DEFAULT_OUTPUT,
              only: Sequence[str] = (), fresh: bool = False) -> dict[str, Any]:
    """Return the report of the chosen measurements (all by default) over a dataset of
    `leads` open leads with `per_lead` activities each; also writes it to `output`."""
    unknown = sorted(set(only) - set(REGISTRY))
    if unknown:
        raise InvalidInput(f"Unknown measurement {unknown[0]!r}; known: {', '.join(REGISTRY)}.")
    if leads < 1 or per_lead < 0:
        raise InvalidInput("Use at least one lead and no negative number of activities.")
    began = time.perf_counter()
    dataset = _in_child(_dataset, leads, per_lead, fresh)
    prepared = round(time.perf_counter() - began, 1)
    rows = [_in_child(_measure, name, dataset) for name in (only or list(REGISTRY))]
    report = {"created_at": utcnow().isoformat(), "machine": _machine(),
              "dataset": {**asdict(dataset), "prepare_seconds": prepared},
              "idle_rss_mb": _in_child(_idle), "measurements": rows}
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    return report
