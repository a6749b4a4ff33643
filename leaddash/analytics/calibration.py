"""Rep calibration: does each rep read the agreed definition the way their team does?

A rep's validation rate (validated ÷ decisions, a decision being validated, disqualified
or rejected) is set against the rest of their team's, both with Wilson 95% intervals; a
rep with at least MIN_DECISIONS decisions is flagged when the two intervals do not
overlap (DESIGN.md). Below-threshold sample leads are left out: they are expected to be
turned down more often. The comparison always uses the whole team, so narrowing the view
to one rep still compares them with everyone else.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

import pandas as pd
from sqlalchemy.sql import ColumnElement, Subquery
from sqlmodel import Session, select

from leaddash.access import verify_actor
from leaddash.analytics.filters import PASSES, Filters, pass_clauses
from leaddash.analytics.outcomes import NO_STAGES, first_passes, is_mql, names_of
from leaddash.analytics.rollups import source, total
from leaddash.analytics.stats import share, wilson_bounds
from leaddash.core.actor import Actor
from leaddash.core.lead_sql import lead_name_sql
from leaddash.models import Lead, Stage, Team, User, utcnow

MIN_DECISIONS = 20
CALIBRATION_COLUMNS = [
    "team_id",
    "team",
    "rep_id",
    "rep",
    "decisions",
    "validated",
    "rate",
    "low",
    "high",
    "rest_decisions",
    "rest_validated",
    "rest_rate",
    "rest_low",
    "rest_high",
    "flagged",
    "direction",
]
REASON_MIX_COLUMNS = ["team_id", "team", "rep_id", "rep", "reason", "leads", "share", "team_share"]
HIGH_SCORE_COLUMNS = [
    "lead_id",
    "pass_no",
    "name",
    "company",
    "score",
    "reason",
    "rep",
    "team",
    "decided_at",
]
DEFAULT_LIMIT = 200


def _decisions(
    actor: Actor, filters: Filters, dims: list[str], now: datetime | None
) -> tuple[Subquery, list[ColumnElement[bool]]]:
    """Return the rollup source of the MQL passes with a rep, whole teams kept, and the
    clauses keeping its non-sample rows."""
    rows = source(
        actor,
        replace(filters, owner_id=None),
        ["team_id", "owner_id", "is_sample", *dims],
        now or utcnow(),
    )
    return rows, [rows.c.is_sample.is_(False), rows.c.owner_id.is_not(None)]


def rep_calibration(
    session: Session, *, actor: Actor, filters: Filters, now: datetime | None = None
) -> pd.DataFrame:
    """Return per rep in scope: decisions, validated, rate and Wilson interval, the same for
    the rest of their team, whether the rep is flagged and in which direction."""
    verify_actor(session, actor)
    rows, kept = _decisions(actor, filters, [], now)
    decisions = total(rows.c.decided)
    query = (
        select(rows.c.team_id, rows.c.owner_id, decisions, total(rows.c.validated))
        .where(*kept)
        .group_by(rows.c.team_id, rows.c.owner_id)
        .having(decisions > 0)
    )
    frame = pd.DataFrame(
        session.exec(query).all(), columns=["team_id", "rep_id", "decisions", "validated"]
    )
    frame = frame.astype({"decisions": "int64", "validated": "int64"})
    team = frame.groupby("team_id", dropna=False)[["decisions", "validated"]].transform("sum")
    frame["rest_decisions"] = team["decisions"] - frame["decisions"]
    frame["rest_validated"] = team["validated"] - frame["validated"]
    frame = _with_intervals(frame)
    if filters.owner_id is not None:
        frame = frame[frame["rep_id"] == filters.owner_id]
    return _named(session, frame).sort_values(["team", "rep"])[CALIBRATION_COLUMNS]


def _with_intervals(frame: pd.DataFrame) -> pd.DataFrame:
    frame["rate"] = share(frame["validated"], frame["decisions"])
    frame["low"], frame["high"] = wilson_bounds(frame["validated"], frame["decisions"])
    frame["rest_rate"] = share(frame["rest_validated"], frame["rest_decisions"])
    frame["rest_low"], frame["rest_high"] = wilson_bounds(
        frame["rest_validated"], frame["rest_decisions"]
    )
    below, above = frame["high"] < frame["rest_low"], frame["low"] > frame["rest_high"]
    frame["flagged"] = (frame["decisions"] >= MIN_DECISIONS) & (below | above)
    frame["direction"] = "in line"
    frame.loc[frame["flagged"] & below, "direction"] = "validates less than the team"
    frame.loc[frame["flagged"] & above, "direction"] = "validates more than the team"
    return frame


def _named(session: Session, frame: pd.DataFrame) -> pd.DataFrame:
    teams = names_of(session, Team, frame["team_id"])
    reps = names_of(session, User, frame["rep_id"])
    frame["team"] = frame["team_id"].map(lambda k: teams.get(int(k)) if pd.notna(k) else None)
    frame["team"] = frame["team"].fillna("No team")
    frame["rep"] = frame["rep_id"].map(lambda k: reps.get(int(k), "Unknown"))
    return frame


def reason_mix(
    session: Session, *, actor: Actor, filters: Filters, now: datetime | None = None
) -> pd.DataFrame:
    """Return each rep's share of their no's per reason, beside their whole team's share."""
    verify_actor(session, actor)
    rows, kept = _decisions(actor, filters, ["exit_stage", "exit_reason"], now)
    keys, noes = [rows.c.team_id, rows.c.owner_id, rows.c.exit_reason], total(rows.c.decided)
    counted: list[Any] = [*keys, noes]
    query = (
        select(*counted)
        .where(*kept, rows.c.exit_stage.in_(NO_STAGES))
        .group_by(*keys)
        .having(noes > 0)
    )
    frame = pd.DataFrame(
        session.exec(query).all(), columns=["team_id", "rep_id", "reason", "leads"]
    )
    frame["leads"] = frame["leads"].astype("int64")
    rep_total = frame.groupby(["team_id", "rep_id"], dropna=False)["leads"].transform("sum")
    team_reason = frame.groupby(["team_id", "reason"], dropna=False)["leads"].transform("sum")
    team_total = frame.groupby("team_id", dropna=False)["leads"].transform("sum")
    frame["share"] = share(frame["leads"], rep_total)
    frame["team_share"] = share(team_reason, team_total)
    if filters.owner_id is not None:
        frame = frame[frame["rep_id"] == filters.owner_id]
    frame = _named(session, frame)
    return frame.sort_values(["team", "rep", "leads"], ascending=[True, True, False])[
        REASON_MIX_COLUMNS
    ].reset_index(drop=True)


def high_score_disqualified(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    min_score: float,
    limit: int = DEFAULT_LIMIT,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Return the disqualified MQL passes that scored at least `min_score` at
    qualification, highest score first (at most `limit`)."""
    verify_actor(session, actor)
    where = [
        is_mql(),
        PASSES.exit_stage == Stage.DISQUALIFIED.value,
        PASSES.score >= min_score,
        *pass_clauses(actor, filters),
    ]
    order = [PASSES.score.desc(), PASSES.lead_id, PASSES.pass_no]
    columns: list[Any] = [
        PASSES.lead_id,
        PASSES.pass_no,
        lead_name_sql(),
        Lead.company,
        PASSES.score,
        PASSES.exit_reason,
        User.name,
        Team.name,
        PASSES.exit_at,
    ]
    query = (
        select(*columns)
        .join(Lead, Lead.id == PASSES.lead_id, isouter=True)
        .join(User, User.id == PASSES.owner_id, isouter=True)
        .join(Team, Team.id == PASSES.team_id, isouter=True)
        .where(first_passes(where, order, limit))
        .order_by(*order)
    )
    frame = pd.DataFrame(session.exec(query).all(), columns=HIGH_SCORE_COLUMNS)
    frame["decided_at"] = pd.to_datetime(frame["decided_at"], utc=True)
    return frame
