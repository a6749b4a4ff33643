"""Which index SQLite's planner picks for the lists and corrections that must stay fast at a
million leads (no statistics, as in a fresh database): the plan, not a timing."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from sqlalchemy import select

from leaddash.analytics import calibration, funnel, speed
from leaddash.analytics.filters import Filters
from leaddash.analytics.outcomes import first_passes
from leaddash.auth import CLI_ACTOR
from leaddash.models import Stage

NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)
SPRING = Filters(start=date(2026, 3, 1), end=date(2026, 5, 31))


def plan(engine, query) -> str:
    """Return SQLite's query plan for `query`, one step a line."""
    compiled = query.compile(engine, compile_kwargs={"render_postcompile": True})
    values = compiled.construct_params()
    with engine.connect() as conn:
        rows = conn.exec_driver_sql(
            f"EXPLAIN QUERY PLAN {compiled}", tuple(values[name] for name in compiled.positiontup)
        ).all()
    return "\n".join(row[-1] for row in rows)


def test_high_score_disqualified_reads_the_exit_score_index(sqlite_engine):
    passes = calibration.PASSES
    where = [
        calibration.is_mql(),
        passes.exit_stage == Stage.DISQUALIFIED.value,
        passes.score >= 80,
        *calibration.pass_clauses(CLI_ACTOR, SPRING),
    ]
    query = select(passes.id).where(first_passes(where, [passes.score.desc()], 200))
    assert "ix_leadpass_exit_score" in plan(sqlite_engine, query)


def test_the_leakage_correction_of_open_passes_keeps_to_the_deadline_index(sqlite_engine):
    rows = funnel._leak_source(CLI_ACTOR, SPRING, NOW)
    shown = plan(sqlite_engine, select(rows))
    assert "ix_leadpass_touch_due" in shown
    assert "ix_leadpass_exit_score" not in shown


@pytest.mark.parametrize("by", [None, "rep", "month"])
def test_speed_to_lead_reads_the_speed_index_alone(sqlite_engine, by):
    counted = plan(sqlite_engine, speed._counts_query(CLI_ACTOR, SPRING, by, NOW))
    timed = plan(sqlite_engine, speed._numbers_query(CLI_ACTOR, SPRING, by))
    assert "USING COVERING INDEX ix_leadpass_speed" in counted
    assert "USING COVERING INDEX ix_leadpass_speed" in timed
