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

from leaddash.bench import (  # noqa: F401  (they register measurements)
    dashboard_measures,
    history_measures,
    import_measures,
    measures,
    naive,
    page_measures,
    sweep_measures,
)
from leaddash.bench.dataset import BenchDataset, load_or_build
from leaddash.bench.registry import REGISTRY
from leaddash.config import PROJECT_ROOT
from leaddash.errors import InvalidInput
from leaddash.models import utcnow

DEFAULT_OUTPUT = PROJECT_ROOT / "bench-results" / "bench.json"


def peak_rss_mb() -> float:
    """Return this process's peak resident memory in MiB (Linux reports KiB)."""
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def _verdict(value: float | None, limit: float | None) -> bool | None:
    return None if value is None or limit is None else value <= limit


def _measure(name: str, dataset: BenchDataset) -> dict[str, Any]:
    """Run one measurement (in the child process) and return its row; a measurement that
    fails gives a row saying why, so the others still run."""
    spec = REGISTRY[name]
    row: dict[str, Any] = {
        "name": name,
        "description": spec.description,
        "limit_seconds": spec.limit_seconds,
        "warm_limit_seconds": spec.warm_limit_seconds,
        "memory_limit_mb": spec.memory_limit_mb,
    }
    try:
        found = spec.run(dataset)
    except Exception as exc:
        return {
            **row,
            "seconds": None,
            "warm_seconds": None,
            "peak_rss_mb": peak_rss_mb(),
            "error": f"{type(exc).__name__}: {exc}",
            "within_limit": False,
            "details": {},
        }
    warm = None if found.warm_seconds is None else round(found.warm_seconds, 3)
    row.update(
        seconds=round(found.seconds, 3),
        warm_seconds=warm,
        peak_rss_mb=peak_rss_mb(),
        error=None,
        details=found.details,
    )
    checks = {
        "seconds_ok": _verdict(row["seconds"], spec.limit_seconds),
        "warm_ok": _verdict(warm, spec.warm_limit_seconds),
        "memory_ok": _verdict(row["peak_rss_mb"], spec.memory_limit_mb),
    }
    judged = [ok for ok in checks.values() if ok is not None]
    return {**row, **checks, "within_limit": all(judged) if judged else None}


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
    return {
        "python": platform.python_version(),
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "processor": platform.processor() or platform.machine(),
    }


def run_bench(
    *,
    leads: int,
    per_lead: int,
    output: Path = DEFAULT_OUTPUT,
    only: Sequence[str] = (),
    fresh: bool = False,
) -> dict[str, Any]:
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
    report = {
        "created_at": utcnow().isoformat(),
        "machine": _machine(),
        "dataset": {**asdict(dataset), "prepare_seconds": prepared},
        "idle_rss_mb": _in_child(_idle),
        "measurements": rows,
    }
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(json.dumps(report, indent=2) + "\n")
    return report
