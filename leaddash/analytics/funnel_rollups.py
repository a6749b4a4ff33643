"""The funnel's rollups: passes counted per stage and month entered (waterfall, cohorts,
breakdowns, trend) and a histogram of the time between consecutive stages (velocity).

Durations are bucketed by `step_hours`: to the hour under two days, to six hours under
thirty days, to the day beyond, so a median read from the histogram is at that
resolution (finer than a velocity shown in days needs).
"""

from __future__ import annotations

from itertools import pairwise

from sqlalchemy import Integer, Table, case, cast, func, literal, literal_column
from sqlalchemy.sql import ColumnElement

from leaddash.analytics.filters import PASSES
from leaddash.analytics.models import StageRollup, StepRollup
from leaddash.analytics.rollups import Counter, stored_dim
from leaddash.models import FUNNEL_STAGES

FUNNEL = [str(stage) for stage in FUNNEL_STAGES]
STEPS = list(pairwise(FUNNEL))
STAGE_ROLLUP: Table = StageRollup.__table__  # type: ignore[attr-defined]
STAGE_DIMS = ("team_id", "owner_id", "definition_version_id", "source", "campaign", "segment")
STEP_ROLLUP: Table = StepRollup.__table__  # type: ignore[attr-defined]
STEP_DIMS = ("team_id", "definition_version_id", "source", "campaign", "segment")
HOURLY_UNDER, SIX_HOURLY_UNDER = 48, 720


def step_hours(earlier: ColumnElement, later: ColumnElement, dialect: str
               ) -> ColumnElement[int]:
    """Return the hours from `earlier` to `later` in their histogram bucket, in SQL."""
    if dialect == "postgresql":
        hours = func.round(func.extract("epoch", later - earlier) / 3_600)
    else:
        hours = func.round((func.julianday(later) - func.julianday(earlier)) * 24)
    six_hourly, daily = func.round(hours / 6.0) * 6, func.round(hours / 24.0) * 24
    return cast(case((hours < HOURLY_UNDER, hours), (hours < SIX_HOURLY_UNDER, six_hourly),
                     else_=daily), Integer)


def _stage_counter(stage: str, sign: int) -> Counter:
    """Return the stage rollup's keys and measures for the passes that entered `stage`."""
    month = PASSES[f"{stage}_month"]
    keys = {"stage": literal_column(f"'{stage}'"), "month": month,
            **{d: stored_dim(STAGE_ROLLUP, d) for d in STAGE_DIMS}}
    sums = {"entered": literal(sign), **{f"reached_{later}": case(
        (PASSES[f"{later}_at"].is_not(None), sign), else_=0) for later in FUNNEL[1:]}}
    return STAGE_ROLLUP, keys, sums, [month.is_not(None)]


def _step_counter(number: int, sign: int, dialect: str) -> Counter:
    """Return the step histogram's keys and measure for the passes that made step
    `number` (reached its later stage), by the month they entered the earlier one."""
    earlier, later = STEPS[number]
    month = PASSES[f"{earlier}_month"]
    keys = {"step": literal_column(str(number)), "month": month,
            **{d: stored_dim(STEP_ROLLUP, d) for d in STEP_DIMS},
            "hours": step_hours(PASSES[f"{earlier}_at"], PASSES[f"{later}_at"], dialect)}
    return STEP_ROLLUP, keys, {"passes": literal(sign)}, [
        month.is_not(None), PASSES[f"{later}_at"].is_not(None)]


def funnel_counters(sign: int, dialect: str) -> list[Counter]:
    """Return the funnel rollups' counters (see leaddash.analytics.rollups.counters)."""
    return [*(_stage_counter(stage, sign) for stage in FUNNEL),
            *(_step_counter(number, sign, dialect) for number in range(len(STEPS)))]
