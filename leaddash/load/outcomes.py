"""What each worker saw: every attempt's outcome, and the facts of each success that the
reconciliation checks against the database afterwards."""

from __future__ import annotations

import time
import traceback
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from leaddash.errors import Conflict, Forbidden, InvalidInput, LeadDashError, NotFound

EXPECTED_REFUSALS = (Conflict, Forbidden, InvalidInput, NotFound)
T = TypeVar("T")


@dataclass(frozen=True)
class LeadDone:
    """A queue action that succeeded: on which lead, from which stage, what it wrote."""

    kind: str
    lead_id: int
    from_stage: str
    had_touch: bool
    audit_action: str


@dataclass(frozen=True)
class AgreementDone:
    """A write to an agreement version that succeeded, and the version it left."""

    kind: str
    version_id: int
    expected: int
    new_version: int
    title: str | None = None
    content: dict[str, Any] | None = None
    activated: bool = False
    retired_id: int | None = None


@dataclass(frozen=True)
class Unhandled:
    """An error that is not one of the domain's refusals, with its traceback."""

    kind: str
    error: str
    traceback: str


@dataclass
class WorkerLog:
    """One worker's tallies; workers never share one, so no lock is needed."""

    ops: Counter[str] = field(default_factory=Counter)
    refusals: Counter[tuple[str, str]] = field(default_factory=Counter)
    unhandled: list[Unhandled] = field(default_factory=list)
    leads: list[LeadDone] = field(default_factory=list)
    agreements: list[AgreementDone] = field(default_factory=list)
    reassigned: Counter[int] = field(default_factory=Counter)
    tries: Counter[str] = field(default_factory=Counter)
    seconds: defaultdict[str, float] = field(default_factory=lambda: defaultdict(float))

    def attempt(self, kind: str, call: Callable[[], T]) -> T | None:
        """Return what `call` returned, or None after tallying its refusal or error."""
        started = time.perf_counter()
        try:
            return self._outcome(kind, call)
        finally:
            self.tries[kind] += 1
            self.seconds[kind] += time.perf_counter() - started

    def _outcome(self, kind: str, call: Callable[[], T]) -> T | None:
        try:
            result = call()
        except EXPECTED_REFUSALS as exc:
            self.refusals[(kind, _refusal_kind(exc))] += 1
            return None
        except Exception as exc:
            self.unhandled.append(
                Unhandled(kind, f"{type(exc).__name__}: {exc}", traceback.format_exc())
            )
            return None
        self.ops[kind] += 1
        return result

    def read(self, call: Callable[[], T]) -> T | None:
        """Return what a read returned, or None after recording its error as unhandled."""
        return self.attempt("read", call)


def _refusal_kind(exc: LeadDashError) -> str:
    return next(k.__name__ for k in EXPECTED_REFUSALS if isinstance(exc, k))


def merged(logs: list[WorkerLog]) -> WorkerLog:
    """Return one log holding every worker's tallies and records."""
    total = WorkerLog()
    for log in logs:
        total.ops.update(log.ops)
        total.refusals.update(log.refusals)
        total.unhandled += log.unhandled
        total.leads += log.leads
        total.agreements += log.agreements
        total.reassigned.update(log.reassigned)
        total.tries.update(log.tries)
        for kind, spent in log.seconds.items():
            total.seconds[kind] += spent
    return total
