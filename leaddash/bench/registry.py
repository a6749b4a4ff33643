"""The registry of named measurements: later work adds one with `@measurement(...)`.

A page measurement times a cold render and warm reruns: `seconds` is the cold one (or the
only one), `warm_seconds` the warm median, each judged against its own limit. Every
measurement's process is also held to MEMORY_LIMIT_MB unless it is a reference (naive) run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from leaddash.bench.dataset import BenchDataset


@dataclass(frozen=True)
class Measurement:
    """What one measurement found: the seconds timed, and facts worth printing with them."""

    seconds: float
    details: dict[str, Any] = field(default_factory=dict)
    warm_seconds: float | None = None


MEMORY_LIMIT_MB = 1024.0
Measure = Callable[[BenchDataset], Measurement]


@dataclass(frozen=True)
class Spec:
    """A registered measurement: its name, what it times, and the time it must stay under."""

    name: str
    description: str
    limit_seconds: float | None
    run: Measure
    warm_limit_seconds: float | None = None
    memory_limit_mb: float | None = MEMORY_LIMIT_MB


REGISTRY: dict[str, Spec] = {}


def measurement(
    name: str,
    description: str,
    limit_seconds: float | None = None,
    *,
    warm_limit_seconds: float | None = None,
    memory_limit_mb: float | None = MEMORY_LIMIT_MB,
) -> Callable[[Measure], Measure]:
    """Return a decorator that registers a function as the measurement `name`."""

    def register(run: Measure) -> Measure:
        if name in REGISTRY:
            raise ValueError(f"Two measurements are called {name!r}.")
        REGISTRY[name] = Spec(
            name, description, limit_seconds, run, warm_limit_seconds, memory_limit_mb
        )
        return run

    return register
