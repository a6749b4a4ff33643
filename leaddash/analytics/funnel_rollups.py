"""The funnel's rollups: passes counted per stage and month entered (waterfall, cohorts,
breakdowns, trend), a histogram of the time between consecutive stages (velocity), the
passes not won at the last stage they reached (leakage; untouched corrected at `now`), the
deals won, lost and open, and a histogram of the time closed deals took (win rate, sales
cycle).

Durations are bucketed by `step_hours`: to the hour under two days, to six hours under
thirty days, to the day beyond, so a median read from the histogram is at that
resolution (finer than a velocity shown in days needs).
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

from sqlalchemy import (
    Integer,
    Table,
    and_,
    case,
    cast,
    func,
    literal,
    literal_column,
    or_,
)
from sqlalchemy.sql import ColumnElement
from sqlalchemy.sql.expression import ColumnClause

from leaddash.analytics.filters import PASSES
from leaddash.analytics.rollups import Counter, stored_dim
from leaddash.fact_tables import (
    CycleRollup,
    DealRollup,
    LeakRollup,
    StageRollup,
    StepRollup,
)
from leaddash.models import FUNNEL_STAGES

FUNNEL = [str(stage) for stage in FUNNEL_STAGES]
STEPS = list(pairwise(FUNNEL))
STAGE_ROLLUP: Table = StageRollup.__table__  # type: ignore[attr-defined]
STAGE_DIMS = ("team_id", "owner_id", "definition_version_id", "source", "campaign", "segment")
STEP_ROLLUP: Table = StepRollup.__table__  # type: ignore[attr-defined]
STEP_DIMS = ("team_id", "definition_version_id", "source", "campaign", "segment")
HOURLY_UNDER, SIX_HOURLY_UNDER = 48, 720
LEAK_ROLLUP: Table = LeakRollup.__table__  # type: ignore[attr-defined]
LEAK_DIMS = (*STAGE_DIMS, "exit_stage", "exit_reason")
DEAL_ROLLUP: Table = DealRollup.__table__  # type: ignore[attr-defined]
CYCLE_ROLLUP: Table = CycleRollup.__table__  # type: ignore[attr-defined]
# 'lost' inline: PostgreSQL groups by an expression only when its text matches.
LOST: ColumnClause[Any] = literal_column("'lost'")
CLOSED = or_(PASSES.won_month.is_not(None), PASSES.exit_stage == LOST)
# Per kind of deal, the month it counts in and which passes are of that kind.
DEAL_KINDS: dict[str, tuple[ColumnElement, list[ColumnElement[bool]]]] = {
    "won": (PASSES.won_month, [PASSES.won_month.is_not(None)]),
    "lost": (PASSES.exit_month, [PASSES.exit_stage == LOST]),
    "open": (
        PASSES.sql_month,
        [PASSES.sql_month.is_not(None), PASSES.won_month.is_(None), PASSES.exit_stage.is_(None)],
    ),
}
CYCLE_STARTS = ("opportunity", "mql")


def step_hours(earlier: ColumnElement, later: ColumnElement, dialect: str) -> ColumnElement[int]:
    """Return the hours from `earlier` to `later` in their histogram bucket, in SQL."""
    if dialect == "postgresql":
        hours = func.round(func.extract("epoch", later - earlier) / 3_600)
    else:
        hours = func.round((func.julianday(later) - func.julianday(earlier)) * 24)
    six_hourly, daily = func.round(hours / 6.0) * 6, func.round(hours / 24.0) * 24
    return cast(
        case((hours < HOURLY_UNDER, hours), (hours < SIX_HOURLY_UNDER, six_hourly), else_=daily),
        Integer,
    )


def _stage_counter(stage: str, sign: int) -> Counter:
    """Return the stage rollup's keys and measures for the passes that entered `stage`."""
    month = PASSES[f"{stage}_month"]
    keys = {
        "stage": literal_column(f"'{stage}'"),
        "month": month,
        **{d: stored_dim(STAGE_ROLLUP, d) for d in STAGE_DIMS},
    }
    sums = {
        "entered": literal(sign),
        "implied": case((PASSES.went_past.op("&")(1 << FUNNEL.index(stage)) != 0, sign), else_=0),
        **{
            f"reached_{later}": case((PASSES[f"{later}_month"].is_not(None), sign), else_=0)
            for later in FUNNEL[1:]
        },
    }
    return STAGE_ROLLUP, keys, sums, [month.is_not(None)]


def _step_counter(number: int, sign: int, dialect: str) -> Counter:
    """Return the step histogram's keys and measure for the passes seen making step
    `number` (a time for both stages: a stage a pass went past has none), by the month they
    entered the earlier one."""
    earlier, later = STEPS[number]
    month = PASSES[f"{earlier}_month"]
    keys = {
        "step": literal_column(str(number)),
        "month": month,
        **{d: stored_dim(STEP_ROLLUP, d) for d in STEP_DIMS},
        "hours": step_hours(PASSES[f"{earlier}_at"], PASSES[f"{later}_at"], dialect),
    }
    return (
        STEP_ROLLUP,
        keys,
        {"passes": literal(sign)},
        [
            month.is_not(None),
            PASSES[f"{earlier}_at"].is_not(None),
            PASSES[f"{later}_at"].is_not(None),
        ],
    )


def last_stage() -> ColumnElement:
    """Return the last funnel stage a pass reached (month keys mark every stage reached)."""
    # Stage names inline: PostgreSQL groups by this expression only if its text matches.
    return case(
        *[(PASSES[f"{s}_month"].is_not(None), literal_column(f"'{s}'")) for s in reversed(FUNNEL)],
        else_=literal_column(f"'{FUNNEL[0]}'"),
    )


def last_month() -> ColumnElement:
    """Return the month key of the last funnel stage a pass reached."""
    return case(
        *[(PASSES[f"{s}_month"].is_not(None), PASSES[f"{s}_month"]) for s in reversed(FUNNEL)],
        else_=PASSES[f"{FUNNEL[0]}_month"],
    )


def untouched(due: ColumnElement[bool]) -> ColumnElement[bool]:
    """Return "an unexited MQL pass not touched, whose deadline is `due`"."""
    return and_(
        PASSES.exit_stage.is_(None),
        PASSES.mql_at.is_not(None),
        PASSES.first_touch_at.is_(None),
        due,
    )


def _leak_counter(sign: int) -> Counter:
    """Return the leakage rollup's keys and measures for the passes not won."""
    # 0 for a pass without the month key: no date range keeps it, as with NULL.
    keys = {
        "last_stage": last_stage(),
        "month": func.coalesce(last_month(), 0),
        **{d: stored_dim(LEAK_ROLLUP, d) for d in LEAK_DIMS},
    }
    frozen = untouched(PASSES.touch_due_at.is_not(None))
    return (
        LEAK_ROLLUP,
        keys,
        {"passes": literal(sign), "untouched": case((frozen, sign), else_=0)},
        [PASSES.won_month.is_(None)],
    )


def _deal_counter(kind: str, sign: int) -> Counter:
    """Return the deal rollup's keys and measures for the passes of one kind of deal."""
    month, where = DEAL_KINDS[kind]
    keys = {
        "kind": literal_column(f"'{kind}'"),
        "month": month,
        **{d: stored_dim(DEAL_ROLLUP, d) for d in STAGE_DIMS},
    }
    amount = func.coalesce(PASSES.amount, 0.0) * sign if kind == "won" else literal(0.0)
    return DEAL_ROLLUP, keys, {"deals": literal(sign), "amount": amount}, where


def _cycle_counter(start: str, sign: int, dialect: str) -> Counter:
    """Return the cycle histogram's keys and measure for the closed passes seen entering
    `start`, by the month they closed."""
    closed_at = func.coalesce(PASSES.won_at, PASSES.exit_at)
    keys = {
        "start": literal_column(f"'{start}'"),
        "month": func.coalesce(PASSES.won_month, PASSES.exit_month),
        **{d: stored_dim(CYCLE_ROLLUP, d) for d in STAGE_DIMS},
        "hours": step_hours(PASSES[f"{start}_at"], closed_at, dialect),
    }
    return (
        CYCLE_ROLLUP,
        keys,
        {"deals": literal(sign)},
        [PASSES[f"{start}_at"].is_not(None), CLOSED],
    )


def funnel_counters(sign: int, dialect: str) -> list[Counter]:
    """Return the funnel rollups' counters (see leaddash.analytics.rollups.counters)."""
    return [
        *(_stage_counter(stage, sign) for stage in FUNNEL),
        *(_step_counter(number, sign, dialect) for number in range(len(STEPS))),
        _leak_counter(sign),
        *(_deal_counter(kind, sign) for kind in DEAL_KINDS),
        *(_cycle_counter(start, sign, dialect) for start in CYCLE_STARTS),
    ]
