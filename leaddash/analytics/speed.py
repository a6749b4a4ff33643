"""Speed-to-lead (docs/metrics.md "Speed-to-lead"): response-time percentiles raw and in
business hours, the share touched within 5, 15 and 60 minutes and within the SLA, routing
delay apart from rep delay, first contact apart from first attempt, and the validation and
win rates by response band.

Read from LeadPass (the MQL passes of leads that are not history), grouped like the SLA
scorecard (MQL month, team or rep; or everything). Percentiles are nearest-rank, picked by
the database with window functions, so one row per group and percentile comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any, Literal

import pandas as pd
from sqlalchemy import Integer, and_, case, cast, func, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.analytics.filters import PASSES, Filters, pass_clauses
from leaddash.analytics.outcomes import count_where, decision_at, month_label, names_of
from leaddash.analytics.rollups import conditions
from leaddash.analytics.stats import share
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import Lead, Stage, Team, User, utcnow

Grouping = Literal["month", "team", "rep"]
GROUP_KEYS = {"month": "mql_month", "team": "team_id", "rep": "owner_id"}
ALL_KEY, ALL_LABEL = "all", "All"
LEADS = Lead.__table__.c  # type: ignore[attr-defined]
PERCENTILES = (50, 90, 95)
WITHIN_MINUTES = (5, 15, 60)
SPEED_COLUMNS = [
    "key",
    "label",
    "mqls",
    "touched",
    "untouched",
    *(f"p{p}_minutes" for p in PERCENTILES),
    *(f"p{p}_business_hours" for p in PERCENTILES),
    *(f"within_{m}_min" for m in WITHIN_MINUTES),
    "within_sla",
    "routing_delay_p50_minutes",
    "rep_delay_p50_minutes",
    "contacted",
    "ever_contacted",
    "first_contact_p50_minutes",
]
# (band, label, upper bound in minutes, inclusive); the last band is open-ended.
BANDS = (
    ("under_5_min", "≤ 5 min", 5),
    ("5_15_min", "5–15 min", 15),
    ("15_60_min", "15–60 min", 60),
    ("1_4_h", "1–4 h", 240),
    ("4_24_h", "4–24 h", 1440),
    ("over_24_h", "> 24 h", None),
)
NEVER = ("never_touched", "Never touched")
BAND_COLUMNS = [
    "key",
    "label",
    "band",
    "band_label",
    "mqls",
    "validated",
    "decided",
    "validation_rate",
    "won",
    "lost",
    "win_rate",
]


def minutes_between(earlier: ColumnElement, later: ColumnElement, dialect: str) -> ColumnElement:
    """Return the wall-clock minutes from `earlier` to `later`, to the second, in SQL."""
    if dialect == "postgresql":
        return func.extract("epoch", later - earlier) / 60.0
    seconds = [cast(func.strftime("%s", t), Integer) for t in (later, earlier)]
    return (seconds[0] - seconds[1]) / 60.0


def _minutes(session: Session) -> dict[str, ColumnElement]:
    """Return the pass's durations in raw minutes (NULL where a time is missing): response,
    first contact, and routing and rep delay (only when assigned by the first touch)."""
    dialect = session.connection().dialect.name
    mql, touch, owner = PASSES.mql_at, PASSES.first_touch_at, PASSES.assigned_at
    split = and_(owner.is_not(None), touch.is_not(None), owner <= touch)
    return {
        "response": minutes_between(mql, touch, dialect),
        "contact": minutes_between(mql, PASSES.first_contact_at, dialect),
        "routing": case((split, minutes_between(mql, owner, dialect))),
        "rep": case((split, minutes_between(owner, touch, dialect))),
    }


def _scope(actor: Actor, filters: Filters) -> list[ColumnElement[bool]]:
    """Return the clauses keeping the MQL passes of non-history leads in the filters."""
    not_history = PASSES.lead_id.in_(select(LEADS.id).where(LEADS.is_history.is_(False)))
    return [PASSES.mql_at.is_not(None), not_history, *pass_clauses(actor, filters)]


def _keys(by: Grouping | None) -> list[ColumnElement]:
    """Return the grouping column (none for everything; 0 stands for no team or rep)."""
    return [func.coalesce(PASSES[GROUP_KEYS[by]], 0)] if by else []


def _labelled(keys: list[ColumnElement]) -> list[ColumnElement]:
    return [k.label("key") for k in keys]


def _frame(rows: Sequence[Any], keys: list, columns: list[str]) -> pd.DataFrame:
    """Return query rows as a frame indexed by "key" (ALL_KEY when not grouped)."""
    frame = pd.DataFrame(rows, columns=[*(["key"] if keys else []), *columns])
    if not keys:
        frame.insert(0, "key", ALL_KEY)
    return frame.set_index("key")


def percentiles_by(
    session: Session,
    value: ColumnElement,
    keys: list[ColumnElement],
    where: Sequence[ColumnElement[bool]],
    percents: Sequence[int],
) -> pd.DataFrame:
    """Return per group of `keys` the nearest-rank percentiles of `value` (NULLs skipped):
    the value at rank ceil(p·n/100) in ascending order, one column "p<p>" per percent."""
    ranked = (
        select(
            *_labelled(keys),
            value.label("value"),
            func.row_number().over(partition_by=keys or None, order_by=value).label("rank"),
            func.count().over(partition_by=keys or None).label("n"),
        )
        .where(value.is_not(None), *where)
        .subquery()
    )
    grouped = [ranked.c.key] if keys else []
    picks = [
        func.max(case((ranked.c["rank"] == (ranked.c.n * p + 99) // 100, ranked.c.value)))
        for p in percents
    ]
    rows = session.connection().execute(select(*grouped, *picks).group_by(*grouped)).all()
    if not keys and rows and rows[0][0] is None:
        rows = []  # no value at all: the aggregate still returns its one row of NULLs
    return _frame(rows, keys, [f"p{p}" for p in percents]).astype(float)


def _counts(session: Session, keys: list, where: list, now: datetime) -> pd.DataFrame:
    """Return per group the MQL passes and the counts behind each share."""
    response, due = _minutes(session)["response"], conditions(now)
    touched = PASSES.first_touch_at.is_not(None)
    columns: dict[str, Any] = {
        "mqls": func.count(),
        "touched": count_where(touched),
        "contacted": count_where(PASSES.first_contact_at.is_not(None)),
        "sla_due": count_where(due["touch_due"]),
        "sla_met": count_where(due["touched_in_time"]),
    }
    for m in WITHIN_MINUTES:
        old_enough = PASSES.mql_at <= now - timedelta(minutes=m)
        columns[f"due_{m}"] = count_where(old_enough)
        columns[f"met_{m}"] = count_where(and_(old_enough, touched, response <= m))
    query = select(*_labelled(keys), *(c.label(n) for n, c in columns.items())).where(*where)
    rows = session.connection().execute(query.group_by(*keys)).all()
    frame = _frame(rows, keys, list(columns))
    return frame[frame["mqls"] > 0]


def speed_to_lead(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    by: Grouping | None = None,
    now: datetime | None = None,
) -> pd.DataFrame:
    """Return one row per group (MQL month, team or rep; one row "all" without `by`) with
    the speed-to-lead figures (SPEED_COLUMNS); shares are NaN where nothing is counted."""
    verify_actor(session, actor)
    _check_by(by)
    now, key, where = now or utcnow(), _keys(by), _scope(actor, filters)
    counts = _counts(session, key, where, now)
    minutes = _minutes(session)
    frame = counts.join(
        [
            _named(
                percentiles_by(session, minutes["response"], key, where, PERCENTILES), "minutes"
            ),
            _named(
                percentiles_by(session, PASSES.response_hours, key, where, PERCENTILES),
                "business_hours",
            ),
            _p50(session, minutes["routing"], key, where, "routing_delay_p50_minutes"),
            _p50(session, minutes["rep"], key, where, "rep_delay_p50_minutes"),
            _p50(session, minutes["contact"], key, where, "first_contact_p50_minutes"),
        ]
    )
    frame["untouched"] = frame["mqls"] - frame["touched"]
    for m in WITHIN_MINUTES:
        frame[f"within_{m}_min"] = share(frame[f"met_{m}"], frame[f"due_{m}"])
    frame["within_sla"] = share(frame["sla_met"], frame["sla_due"])
    frame["ever_contacted"] = share(frame["contacted"], frame["mqls"])
    frame = frame.reset_index().sort_values("key", kind="stable")
    frame["label"] = _labels(session, by, frame["key"])
    return frame.reindex(columns=SPEED_COLUMNS).reset_index(drop=True)


def _named(frame: pd.DataFrame, unit: str) -> pd.DataFrame:
    return frame.rename(columns={f"p{p}": f"p{p}_{unit}" for p in PERCENTILES})


def _p50(
    session: Session, value: ColumnElement, keys: list, where: list, name: str
) -> pd.DataFrame:
    return percentiles_by(session, value, keys, where, [50]).rename(columns={"p50": name})


def speed_by_band(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    by: Grouping | None = None,
) -> pd.DataFrame:
    """Return per group and response band (BANDS, then never touched) the MQL passes, the
    validation rate of their real decisions and the win rate of those that closed."""
    verify_actor(session, actor)
    _check_by(by)
    keys, where = _keys(by), _scope(actor, filters)
    response = _minutes(session)["response"]
    whens = [(response <= upper, i) for i, (_, _, upper) in enumerate(BANDS) if upper is not None]
    band = case((PASSES.first_touch_at.is_(None), len(BANDS)), *whens, else_=len(BANDS) - 1)
    decided = decision_at().is_not(None)
    query = (
        select(
            *_labelled(keys),
            band.label("band_no"),
            func.count().label("mqls"),
            count_where(PASSES.validated_at.is_not(None)).label("validated"),
            count_where(decided).label("decided"),
            count_where(PASSES.won_month.is_not(None)).label("won"),
            count_where(PASSES.exit_stage == Stage.LOST.value).label("lost"),
        )
        .where(*where)
        .group_by(*keys, band)
    )
    rows = session.connection().execute(query).all()
    found = _frame(rows, keys, ["band_no", "mqls", "validated", "decided", "won", "lost"])
    return _band_rows(session, by, found.reset_index())


def _band_rows(session: Session, by: Grouping | None, found: pd.DataFrame) -> pd.DataFrame:
    """Return every band of every group found (empty bands with zero counts), in order."""
    names = [*((b, label) for b, label, _ in BANDS), NEVER]
    keys = sorted(found["key"].unique()) if not found.empty else []
    full = pd.MultiIndex.from_product([keys, range(len(names))], names=["key", "band_no"])
    counts = ["mqls", "validated", "decided", "won", "lost"]
    frame = found.set_index(["key", "band_no"]).reindex(full, fill_value=0)[counts]
    frame = frame.astype("int64").reset_index()
    frame["band"] = frame["band_no"].map(lambda i: names[i][0])
    frame["band_label"] = frame["band_no"].map(lambda i: names[i][1])
    frame["validation_rate"] = share(frame["validated"], frame["decided"])
    frame["win_rate"] = share(frame["won"], frame["won"] + frame["lost"])
    frame["label"] = _labels(session, by, frame["key"])
    return frame.reindex(columns=BAND_COLUMNS)


def _check_by(by: str | None) -> None:
    if by is not None and by not in GROUP_KEYS:
        raise InvalidInput("Group speed-to-lead by month, team or rep.", field="by")


def _labels(session: Session, by: Grouping | None, keys: pd.Series) -> pd.Series:
    """Return the group keys as people read them (a month, a team's or rep's name)."""
    if by is None:
        return keys.map(lambda _: ALL_LABEL)
    if by == "month":
        return keys.map(month_label)
    named = names_of(session, Team if by == "team" else User, keys)
    missing = "No team" if by == "team" else "Unassigned"
    return keys.map(lambda k: named.get(int(k), missing) if pd.notna(k) else missing)
