"""The registry of named measurements: later work adds one with `@measurement(...)`."""

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


Measure = Callable[[BenchDataset], Measurement]


@dataclass(frozen=True)
class Spec:
    """A registered measurement: its name, what it times, and the time it must stay under."""

    name: str
    description: str
    limit_seconds: float | None
    run: Measure


REGISTRY: dict[str, Spec] = {}


def measurement(name: str, description: str,
                limit_seconds: float | None = None) -> Callable[[Measure], Measure]:
    """Return a decorator that registers a function as the measurement `name`."""
    def register(run: Measure) -> Measure:
        if name in REGISTRY:
            raise ValueError(f"Two measurements are called {name!r}.")
        REGISTRY[name] = Spec(name, description, limit_seconds, run)
        return run
    return register
