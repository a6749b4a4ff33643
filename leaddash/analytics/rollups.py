"""Rollups: small aggregate tables of the MQL passes, so a dashboard sums a few thousand
rows instead of counting hundreds of thousands of LeadPass rows.

Each rollup counts the MQL passes per group of its dimensions under the conditions of
`conditions`, every deadline counted as passed. What is due depends on `now`, so `source`
adds, for the few passes whose first-touch or decision deadline is still ahead of `now`,
a live correction (the flags judged at `now` minus the frozen ones) read from LeadPass by
its deadline indexes: the sums equal counting LeadPass at `now`, exactly. A query that
filters or groups by a dimension no rollup holds reads LeadPass itself. The rollups are
kept current by leaddash.facts.upkeep (called by leaddash.facts.refresh), in the
writer's transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement, Select, Subquery

from leaddash.analytics.filters import PASSES, Filters, named_dimensions, pass_clauses
from leaddash.analytics.outcomes import decision_at, is_mql, touched_at
from leaddash.auth import DASHBOARDS, team_scope
from leaddash.core.actor import Actor
from leaddash.fact_tables import MixRollup, PassCounts, RepRollup, ResponseRollup

ATTEMPT_LEVELS = 5
STORED = list(PassCounts.model_fields)
NOW_DEPENDENT = (
    "touch_due",
    "touched_in_time",
    "decision_due",
    "decided_in_time",
    "decided_of_due",
)
# What a source row carries: the stored counts but one "enough attempts" for the SLA's
# minimum instead of a count per level.
MEASURES = [*(m for m in STORED if not m.startswith("attempts_")), "enough_attempts"]
NEVER_NULL = ("mql_month", "is_sample")


@dataclass(frozen=True)
class Rollup:
    """One rollup table and the dimensions (its primary key) it counts by."""

    table: Table

    @property
    def dims(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.table.primary_key.columns)


# Fewest rows first: the planner takes the first that holds every dimension a query needs.
ROLLUPS = (Rollup(MixRollup.__table__), Rollup(RepRollup.__table__))  # type: ignore[attr-defined]
RESPONSES: Table = ResponseRollup.__table__  # type: ignore[attr-defined]
# Response times above a fortnight of business hours share one bucket.
CAP_QUARTERS = 4 * 80
RESPONSE_DIMS = ("mql_month", "team_id", "owner_id", "definition_version_id")


def _due(deadline: ColumnElement, now: datetime | None) -> ColumnElement[bool]:
    return deadline.is_not(None) if now is None else deadline < now


def conditions(
    now: datetime | None = None, min_attempts: int | None = None
) -> dict[str, ColumnElement[bool]]:
    """Return each measure's condition on an MQL pass: deadlines judged at `now`, or all
    counted as passed when None; attempts per stored level, or the one `min_attempts`."""
    decided, touched = decision_at(), touched_at()
    touch_due, decision_due = _due(PASSES.touch_due_at, now), _due(PASSES.decision_due_at, now)
    levels = (
        {f"attempts_{k}": PASSES.attempts >= k for k in range(1, ATTEMPT_LEVELS + 1)}
        if min_attempts is None
        else {"enough_attempts": PASSES.attempts >= min_attempts}
    )
    return {
        "mqls": is_mql(),
        "validated": PASSES.validated_at.is_not(None),
        "decided": decided.is_not(None),
        "touch_due": touch_due,
        "touched_in_time": and_(touch_due, touched <= PASSES.touch_due_at),
        "decision_due": decision_due,
        "decided_in_time": and_(decision_due, decided <= PASSES.decision_due_at),
        "decided_of_due": and_(decision_due, decided.is_not(None)),
        **levels,
    }


def _flag(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return case((condition, 1), else_=0)


def _none(column: ColumnElement) -> str | int:
    """Return what a rollup dimension holds for "none": '' for text, 0 for ids."""
    return 0 if isinstance(column.type, Integer) else ""


def stored_dim(table: Table, name: str) -> ColumnElement:
    """Return a LeadPass dimension as a rollup stores it (0 or '' for none)."""
    if name in NEVER_NULL:
        return PASSES[name]
    return func.coalesce(PASSES[name], _none(table.c[name]))


def quarter_hours() -> ColumnElement[int]:
    """Return a pass's response time in whole quarter hours, capped at CAP_QUARTERS."""
    quarters = cast(func.round(PASSES.response_hours * 4), Integer)
    return case((quarters > CAP_QUARTERS, CAP_QUARTERS), else_=quarters)


Counter = tuple[
    Table, dict[str, ColumnElement], dict[str, ColumnElement], list[ColumnElement[bool]]
]


def counters(sign: int) -> list[Counter]:
    """Return per rollup of the MQL passes its table, keys, measures (`sign` per pass
    counted) and which passes it counts."""
    flags = conditions()
    counted: list[Counter] = [
        (
            r.table,
            {d: stored_dim(r.table, d) for d in r.dims},
            {m: case((flags[m], sign), else_=0) for m in STORED},
            [is_mql()],
        )
        for r in ROLLUPS
    ]
    keys = {
        **{d: stored_dim(RESPONSES, d) for d in RESPONSE_DIMS},
        "quarter_hours": quarter_hours(),
    }
    responded = [is_mql(), PASSES.response_hours.is_not(None)]
    return [*counted, (RESPONSES, keys, {"passes": literal(sign)}, responded)]


def needed(actor: Actor, filters: Filters, dims: Sequence[str]) -> set[str]:
    scoped = {"team_id"} if team_scope(actor, DASHBOARDS) is not None else set()
    return {"mql_month", *dims, *named_dimensions(filters), *scoped}


def plan(
    actor: Actor, filters: Filters, dims: Sequence[str], min_attempts: int = 1
) -> Rollup | None:
    """Return the smallest rollup holding every dimension the query groups or filters by
    (None: read LeadPass)."""
    if min_attempts > ATTEMPT_LEVELS:
        return None
    wanted = needed(actor, filters, dims)
    return next((r for r in ROLLUPS if wanted <= set(r.dims)), None)


def shown_dim(table: Table, name: str) -> ColumnElement:
    """Return a rollup dimension as LeadPass holds it (NULL for none)."""
    column = table.c[name]
    if name in NEVER_NULL:
        return column.label(name)
    return func.nullif(column, _none(column)).label(name)


def _live(
    actor: Actor,
    filters: Filters,
    dims: Sequence[str],
    flags: dict[str, ColumnElement],
    *where: ColumnElement[bool],
) -> Select[*tuple[Any, ...]]:
    # The months of a correction are matched as an expression, not by the month index:
    # the deadline indexes find its few passes, a month range would scan months of them.
    month = PASSES.mql_month + 0 if where else None
    return select(
        *(PASSES[d].label(d) for d in dims), *(flag.label(m) for m, flag in flags.items())
    ).where(is_mql(), *pass_clauses(actor, filters, month), *where)


def _corrections(now: datetime, min_attempts: int) -> dict[str, ColumnElement]:
    """Return per measure the flag judged at `now` minus the frozen one (0 where no
    deadline is involved)."""
    frozen, judged = conditions(), conditions(now, min_attempts)
    return {
        m: _flag(judged[m]) - _flag(frozen[m]) if m in NOW_DEPENDENT else literal(0)
        for m in MEASURES
    }


def source(
    actor: Actor, filters: Filters, dims: Sequence[str], now: datetime, min_attempts: int = 1
) -> Subquery:
    """Return the MQL passes in the actor's scope and the filters as rows of `dims` plus
    MEASURES (the caller sums them): from the smallest rollup that holds every dimension
    needed, corrected at `now`, else from LeadPass."""
    rollup = plan(actor, filters, dims, min_attempts)
    if rollup is None:
        flags = conditions(now, min_attempts)
        return _live(actor, filters, dims, {m: _flag(flags[m]) for m in MEASURES}).subquery()
    columns = rollup.table.c
    frozen = select(
        *(shown_dim(rollup.table, d) for d in dims),
        *(columns[m].label(m) for m in MEASURES[:-1]),
        columns[f"attempts_{min_attempts}"].label("enough_attempts"),
    ).where(*pass_clauses(actor, filters, columns=columns))
    ahead = or_(PASSES.touch_due_at >= now, PASSES.decision_due_at >= now)
    return union_all(
        frozen, _live(actor, filters, dims, _corrections(now, min_attempts), ahead)
    ).subquery()


def total(measure: ColumnElement, where: ColumnElement[bool] | None = None) -> ColumnElement[int]:
    """Return the sum of a source measure over the rows `where` keeps (0, never NULL)."""
    summed = measure if where is None else case((where, measure), else_=0)
    return func.coalesce(func.sum(summed), 0)
