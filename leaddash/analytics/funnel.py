"""Funnel metrics (DESIGN.md "Metrics"): waterfall, cohorts, breakdowns and trend summed
from the stage rollup, velocity from the step histogram, leakage from the leakage rollup with a live correction
for deadlines still ahead of `now` (leaddash.analytics.funnel_rollups).

Meanings, decided once for every function here:
- A pass *reached* a stage when it entered it or any later funnel stage (a lead validated
  without an `accepted` event reached accepted); see leaddash.analytics.passes.
- *leads* at a stage: passes that reached it in the date range (its month key, in the SLA
  calendar's zone). *conversion* A → B: of the passes that entered A in the range, the share
  that reached B, ever (the cohort is the month they entered A).
- *leakage* is counted at the last stage a pass reached: its exit (rejected, disqualified,
  recycled, lost, with the reason), else *untouched* when it is an MQL whose first-touch
  deadline passed before `now` with no touch, else *in progress* (not leakage).
"""

from __future__ import annotations

from datetime import date, datetime
from itertools import pairwise
from typing import Any
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import func, literal, select, union_all
from sqlalchemy.sql import ColumnElement, Subquery
from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.analytics.filters import PASSES, Filters, pass_clauses
from leaddash.analytics.funnel_rollups import (
    LEAK_ROLLUP,
    STAGE_ROLLUP,
    STEP_DIMS,
    STEP_ROLLUP,
    last_month,
    last_stage,
    untouched,
)
from leaddash.analytics.passes import sla_terms
from leaddash.analytics.rollups import needed, shown_dim, total
from leaddash.analytics.stats import median_of_counts
from leaddash.core.actor import Actor
from leaddash.core.times import as_utc
from leaddash.errors import InvalidInput
from leaddash.models import FUNNEL_STAGES, AgreementVersion, Team, User, utcnow

STAGES = [str(s) for s in FUNNEL_STAGES]
PAIRS = list(pairwise(STAGES))
WATERFALL_COLUMNS = ["stage", "leads", "conversion", "went_past"]
COHORT_COLUMNS = ["cohort", "entered", "reached", "rate"]
LEAKAGE_COLUMNS = ["pair", "cause", "reason", "leads"]
VELOCITY_COLUMNS = ["pair", "median_days", "leads"]
TREND_COLUMNS = ["month", "stage", "leads"]
BREAKDOWN_COLUMNS = ["value", "label", *WATERFALL_COLUMNS]
MARKER_COLUMNS = ["date", "label", "kind"]
BY = {
    "source": "source",
    "campaign": "campaign",
    "segment": "segment",
    "team": "team_id",
    "rep": "owner_id",
    "definition_version": "definition_version_id",
}
NONE_LABEL = "(none)"
UNTOUCHED, IN_PROGRESS = "untouched", "in progress"


def reached(stage: str) -> ColumnElement:
    """Return the LeadPass column holding when a pass was seen entering `stage` (NULL when
    it went straight past it)."""
    return PASSES[f"{stage}_at"]


def month_of(stage: str) -> ColumnElement:
    """Return the LeadPass month-key column of `stage`."""
    return PASSES[f"{stage}_month"]


def pair_label(earlier: str, later: str) -> str:
    """Return how a pair of stages reads on screen: "mql → accepted"."""
    return f"{earlier} → {later}"


def month_start(key: int) -> date:
    """Return the first day of the month of a yyyymm key."""
    return date(int(key) // 100, int(key) % 100, 1)


def _stage_counts(
    session: Session, actor: Actor, filters: Filters, group: str | None = None
) -> pd.DataFrame:
    """Return per group (a LeadPass dimension's name; one row when None) the passes
    entering each stage in range (`<stage>`), how many of them went straight past it
    (`<stage>_past`) and how many reached the next (`<stage>_next`), summed from the stage
    rollup."""
    rows = STAGE_ROLLUP.c
    columns = [total(rows.entered, rows.stage == s).label(s) for s in STAGES]
    columns += [total(rows.implied, rows.stage == s).label(f"{s}_past") for s in STAGES]
    columns += [total(rows[f"reached_{b}"], rows.stage == a).label(f"{a}_next") for a, b in PAIRS]
    keys = [] if group is None else [shown_dim(STAGE_ROLLUP, group).label("value")]
    query = select(*keys, *columns).where(*pass_clauses(actor, filters, rows.month, rows))
    if keys:
        query = query.group_by(keys[0])
    found = session.connection().execute(query).mappings().all()
    return pd.DataFrame(
        [dict(r) for r in found],
        columns=[k.key for k in keys]
        + STAGES
        + [f"{s}_past" for s in STAGES]
        + [f"{a}_next" for a, _ in PAIRS],
    )


def _as_waterfall(counts: pd.Series) -> pd.DataFrame:
    """Return the stage rows of one row of `_stage_counts`."""
    leads = [int(counts[s]) for s in STAGES]
    conversion = [float("nan")] + [
        int(counts[f"{a}_next"]) / int(counts[a]) if int(counts[a]) else float("nan")
        for a, _ in PAIRS
    ]
    went_past = [int(counts[f"{s}_past"]) for s in STAGES]
    return pd.DataFrame(
        {"stage": STAGES, "leads": leads, "conversion": conversion, "went_past": went_past}
    )


def waterfall(session: Session, *, actor: Actor, filters: Filters) -> pd.DataFrame:
    """Return stage, leads (passes that reached it in range), conversion (of those that
    entered the previous stage in range, the share that reached this one) and went_past
    (of the leads, those never seen at the stage: they reached a later one without it), in
    funnel order; an empty frame when no lead is in range."""
    verify_actor(session, actor)
    counts = _stage_counts(session, actor, filters)
    if counts.empty or not counts[STAGES].iloc[0].sum():
        return pd.DataFrame(columns=WATERFALL_COLUMNS)
    return _as_waterfall(counts.iloc[0])


def _check_pair(from_stage: str, to_stage: str) -> None:
    if from_stage not in STAGES or to_stage not in STAGES:
        raise InvalidInput(f"Pick two funnel stages among {', '.join(STAGES)}.", field="stage")
    if STAGES.index(from_stage) >= STAGES.index(to_stage):
        raise InvalidInput(
            f"{to_stage} comes before {from_stage} in the funnel: pick a "
            "later stage to convert to.",
            field="to_stage",
        )


def conversion_by_cohort(
    session: Session, *, actor: Actor, filters: Filters, from_stage: str, to_stage: str
) -> pd.DataFrame:
    """Return per cohort month (first day) the passes that entered `from_stage` that
    month, how many reached `to_stage` (ever), and the rate, oldest month first."""
    verify_actor(session, actor)
    _check_pair(from_stage, to_stage)
    rows = STAGE_ROLLUP.c
    query = (
        select(
            rows.month.label("key"),
            total(rows.entered).label("entered"),
            total(rows[f"reached_{to_stage}"]).label("reached"),
        )
        .where(rows.stage == from_stage, *pass_clauses(actor, filters, rows.month, rows))
        .group_by(rows.month)
        .order_by(rows.month)
    )
    cohorts = session.connection().execute(query).all()
    return pd.DataFrame(
        [(month_start(k), int(e), int(r), int(r) / int(e)) for k, e, r in cohorts],
        columns=COHORT_COLUMNS,
    )


def _leak_source(actor: Actor, filters: Filters, now: datetime) -> Subquery:
    """Return the leakage rollup's rows in scope and range, plus a correction (-1
    untouched) for each untouched pass whose first-touch deadline is still ahead of `now`."""
    leaks = LEAK_ROLLUP
    frozen = select(
        leaks.c.last_stage,
        shown_dim(leaks, "exit_stage"),
        shown_dim(leaks, "exit_reason"),
        leaks.c.passes,
        leaks.c.untouched,
    ).where(*pass_clauses(actor, filters, leaks.c.month, leaks.c))
    ahead = select(
        last_stage(), PASSES.exit_stage, PASSES.exit_reason, literal(0), literal(-1)
    ).where(
        PASSES.won_month.is_(None),
        untouched(PASSES.touch_due_at >= now),
        *pass_clauses(actor, filters, last_month()),
    )
    return union_all(frozen, ahead).subquery()


def _causes(
    stage: str, exit_stage: str | None, reason: str | None, passes: int, stayed: int
) -> list[tuple]:
    """Return the leakage rows of one rollup group: its exit, else untouched and in
    progress."""
    pair = pair_label(stage, STAGES[STAGES.index(stage) + 1])
    if exit_stage is not None:
        return [(pair, exit_stage, reason, passes)]
    return [(pair, UNTOUCHED, reason, stayed), (pair, IN_PROGRESS, reason, passes - stayed)]


def leakage(
    session: Session, *, actor: Actor, filters: Filters, now: datetime | None = None
) -> pd.DataFrame:
    """Return per pair of stages where passes stopped (in funnel order) the cause, reason
    and number of leads: passes not won, counted at the last stage they reached, when they
    entered it within range; untouched judged at `now` (default: the current time)."""
    verify_actor(session, actor)
    rows = _leak_source(actor, filters, now or utcnow())
    keys = [rows.c.last_stage, rows.c.exit_stage, rows.c.exit_reason]
    counted: list[Any] = [*keys, total(rows.c.passes), total(rows.c.untouched)]
    query = select(*counted).group_by(*keys)
    found = [
        row
        for group in session.connection().execute(query).all()
        for row in _causes(*group)
        if row[3] > 0
    ]
    frame = pd.DataFrame(found, columns=LEAKAGE_COLUMNS).astype({"leads": "int64"})
    order = frame["pair"].map({pair_label(a, b): i for i, (a, b) in enumerate(PAIRS)})
    return (
        frame.assign(_order=order)
        .sort_values(["_order", "leads", "cause"], ascending=[True, False, True])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def days_between(earlier: ColumnElement, later: ColumnElement, dialect: str) -> ColumnElement:
    """Return the days from `earlier` to `later` as a number, in SQL."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier) / 86_400.0
    return func.julianday(later) - func.julianday(earlier)


def _median_days(
    session: Session, actor: Actor, filters: Filters, earlier: str, later: str
) -> tuple[float, int]:
    """Return the median days from `earlier` to `later` and how many passes made the step
    (having entered `earlier` within range); the middle rows are picked in SQL."""
    days = days_between(reached(earlier), reached(later), session.connection().dialect.name)
    ranked = (
        select(
            days.label("days"),
            func.row_number().over(order_by=days).label("rank"),
            func.count().over().label("n"),
        )
        .where(
            reached(earlier).is_not(None),
            reached(later).is_not(None),
            *pass_clauses(actor, filters, month_of(earlier)),
        )
        .subquery()
    )
    middle = ranked.c.rank.between((ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2)
    found = (
        session.connection()
        .execute(select(func.avg(ranked.c.days), func.max(ranked.c.n)).where(middle))
        .one()
    )
    return (float(found[0]), int(found[1])) if found[1] else (float("nan"), 0)


def velocity(session: Session, *, actor: Actor, filters: Filters) -> pd.DataFrame:
    """Return per pair of stages the median days between them and the number of passes
    that made the step (entering the earlier stage within range); pairs nobody made are
    left out. Read from the step histogram (its resolution: leaddash.analytics
    .funnel_rollups), or exactly from LeadPass when the view is narrowed to a rep."""
    verify_actor(session, actor)
    if needed(actor, filters, []) <= {"mql_month", *STEP_DIMS}:
        return _velocity_from_histogram(session, actor, filters)
    rows = [(pair_label(a, b), *_median_days(session, actor, filters, a, b)) for a, b in PAIRS]
    return pd.DataFrame([r for r in rows if r[2]], columns=VELOCITY_COLUMNS)


def _velocity_from_histogram(session: Session, actor: Actor, filters: Filters) -> pd.DataFrame:
    steps = STEP_ROLLUP.c
    query = (
        select(steps.step, steps.hours, total(steps.passes))
        .where(*pass_clauses(actor, filters, steps.month, steps))
        .group_by(steps.step, steps.hours)
        .order_by(steps.step, steps.hours)
    )
    found = pd.DataFrame(
        session.connection().execute(query).all(), columns=["step", "hours", "passes"]
    )
    return pd.DataFrame(
        [
            (
                pair_label(*PAIRS[int(step)]),
                median_of_counts(part["hours"].tolist(), part["passes"].tolist()) / 24,
                int(part["passes"].sum()),
            )
            for step, part in found.groupby("step")
        ],
        columns=VELOCITY_COLUMNS,
    )


def group_labels(session: Session, by: str, values: list) -> dict:
    """Return value → readable name: team and rep names, "Definition v3"; other values
    name themselves."""
    known = [v for v in values if v is not None and not pd.isna(v)]
    named: dict[str, tuple[Any, Any]] = {
        "team": (Team.id, Team.name),
        "rep": (User.id, User.name),
        "definition_version": (AgreementVersion.id, AgreementVersion.number),
    }
    if by not in named:
        return {v: str(v) for v in known}
    key, name = named[by]
    rows = session.connection().execute(select(key, name).where(key.in_(known))).all()
    if by == "definition_version":
        return {i: f"Definition v{n}" for i, n in rows}
    return dict(rows)


def breakdown(session: Session, *, actor: Actor, filters: Filters, by: str) -> pd.DataFrame:
    """Return the waterfall (stage, leads, conversion) per value of `by` (source, campaign,
    segment, team, rep or definition_version), with a readable label; values with no lead
    in range are left out."""
    verify_actor(session, actor)
    if by not in BY:
        raise InvalidInput(f"Break the funnel down by one of {', '.join(BY)}.", field="by")
    counts = _stage_counts(session, actor, filters, group=BY[by])
    counts = counts[counts[STAGES].sum(axis=1) > 0]
    labels = group_labels(session, by, counts["value"].tolist())
    parts = [
        _as_waterfall(row).assign(value=row["value"], label=labels.get(row["value"], NONE_LABEL))
        for _, row in counts.iterrows()
    ]
    if not parts:
        return pd.DataFrame(columns=BREAKDOWN_COLUMNS)
    return pd.concat(parts, ignore_index=True)[BREAKDOWN_COLUMNS]


def monthly_trend(session: Session, *, actor: Actor, filters: Filters) -> pd.DataFrame:
    """Return per month (first day) and stage the passes that reached the stage that
    month, oldest month first and in funnel order within a month."""
    verify_actor(session, actor)
    counted = STAGE_ROLLUP.c
    query = (
        select(counted.stage, counted.month, total(counted.entered))
        .where(*pass_clauses(actor, filters, counted.month, counted))
        .group_by(counted.stage, counted.month)
    )
    rows = session.connection().execute(query).all()
    frame = pd.DataFrame([(month_start(k), st, int(n)) for st, k, n in rows], columns=TREND_COLUMNS)
    order = frame["stage"].map(STAGES.index)
    return (
        frame.assign(_order=order)
        .sort_values(["month", "_order"])
        .drop(columns="_order")
        .reset_index(drop=True)
    )


def version_markers(session: Session) -> pd.DataFrame:
    """Return the dates (in the SLA calendar's zone) when each definition or SLA version
    took effect, with a label such as "Definition v3 took effect", oldest first."""
    zone = ZoneInfo(sla_terms(session).timezone)
    versions = AgreementVersion.__table__.c  # type: ignore[attr-defined]
    rows = (
        session.connection()
        .execute(
            select(versions.kind, versions.number, versions.effective_from)
            .where(versions.effective_from.is_not(None))
            .order_by(versions.effective_from)
        )
        .all()
    )
    names = {"definition": "Definition", "sla": "SLA"}
    return pd.DataFrame(
        [
            (
                as_utc(when).astimezone(zone).date(),
                f"{names.get(kind, kind)} v{number} took effect",
                kind,
            )
            for kind, number, when in rows
        ],
        columns=MARKER_COLUMNS,
    )
