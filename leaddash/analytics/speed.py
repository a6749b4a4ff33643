"""Speed-to-lead (docs/metrics.md "Speed-to-lead"): response-time percentiles raw and in
business hours, the share touched within 5, 15 and 60 minutes and within the SLA, routing
delay apart from rep delay, first contact apart from first attempt, and the validation and
win rates by response band.

Read from LeadPass (the MQL passes of leads that are not history), grouped like the SLA
scorecard (MQL month, team or rep; or everything). Each pass keeps its durations in minutes
(leaddash.analytics.passes.DURATIONS), so one query reads the passes in view as numbers and
flags, and pandas works out every figure from them: nearest-rank percentiles, shares and
bands. `speed_section` gives the page all three tables from that one read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import case, func, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.analytics.filters import PASSES, Filters, pass_clauses
from leaddash.analytics.outcomes import decision_at, month_label, names_of
from leaddash.analytics.rollups import conditions
from leaddash.analytics.stats import share
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import Stage, Team, User, utcnow
from leaddash.scoring_io import read_frame

Grouping = Literal["month", "team", "rep"]
GROUP_KEYS = {"month": "mql_month", "team": "team_id", "rep": "owner_id"}
ALL_KEY, ALL_LABEL = "all", "All"
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


# The flags read with each pass's numbers, as SQL conditions (see _conditions).
FLAGS = [
    "touched",
    "contacted",
    "sla_due",
    "sla_met",
    *(f"due_{m}" for m in WITHIN_MINUTES),
    "validated",
    "decided",
    "won",
    "lost",
]
NUMBERS = [*(f"{d}_minutes" for d in ("response", "contact", "routing", "rep")), "response_hours"]


@dataclass(frozen=True)
class SpeedSection:
    """What the SLA compliance page shows of speed-to-lead, from one read of the passes:
    the figures of everything in view, the rates by response band, the figures per rep."""

    overall: pd.DataFrame
    bands: pd.DataFrame
    by_rep: pd.DataFrame


def _conditions(now: datetime) -> dict[str, ColumnElement[bool]]:
    """Return each flag's condition on an MQL pass, deadlines judged at `now`."""
    due = conditions(now)
    flags: dict[str, ColumnElement[bool]] = {
        "touched": PASSES.first_touch_at.is_not(None),
        "contacted": PASSES.first_contact_at.is_not(None),
        "sla_due": due["touch_due"],
        "sla_met": due["touched_in_time"],
    }
    for m in WITHIN_MINUTES:
        flags[f"due_{m}"] = PASSES.mql_at <= now - timedelta(minutes=m)
    flags["validated"] = PASSES.validated_at.is_not(None)
    flags["decided"] = decision_at().is_not(None)
    flags["won"] = PASSES.won_month.is_not(None)
    flags["lost"] = PASSES.exit_stage == Stage.LOST.value
    return flags


def speed_passes(
    session: Session, *, actor: Actor, filters: Filters, now: datetime | None = None
) -> pd.DataFrame:
    """Return one row per MQL pass in view (history leads left out): its group keys
    (GROUP_KEYS; 0 for no team or rep), durations (NUMBERS, NaN where unknown) and FLAGS."""
    verify_actor(session, actor)
    flags = _conditions(now or utcnow())
    where = [PASSES.mql_at.is_not(None), PASSES.is_history.is_(False)]
    query = select(
        *(func.coalesce(PASSES[k], 0).label(k) for k in GROUP_KEYS.values()),
        *(PASSES[n] for n in NUMBERS),
        *(case((c, 1), else_=0).label(n) for n, c in flags.items()),
    ).where(*where, *pass_clauses(actor, filters))
    frame = read_frame(session, query)
    numbers = {n: pd.to_numeric(frame[n]).astype(float) for n in NUMBERS}
    flagged = {n: frame[n].astype(bool) for n in FLAGS}
    keys = {k: frame[k].astype("int64") for k in GROUP_KEYS.values()}
    return pd.DataFrame({**keys, **numbers, **flagged}, index=frame.index)


def _grouped(passes: pd.DataFrame, by: Grouping | None) -> pd.DataFrame:
    """Return the passes with their group in "key" (ALL_KEY when not grouped)."""
    return passes.assign(key=passes[GROUP_KEYS[by]] if by else ALL_KEY)


def nearest_rank(grouped: pd.DataFrame, value: str, percents: Sequence[int]) -> pd.DataFrame:
    """Return per "key" the nearest-rank percentiles of column `value` (NaN skipped): the
    value at rank ceil(p·n/100) in ascending order, one column "p<p>" per percent."""
    known = grouped.loc[grouped[value].notna(), ["key", value]]
    ordered = known.sort_values(["key", value], kind="stable")
    by_key = ordered.groupby("key", sort=False)[value]
    rank = by_key.cumcount() + 1
    size = by_key.transform("size")
    picks = {
        f"p{p}": ordered.loc[rank == (size * p + 99) // 100].set_index("key")[value]
        for p in percents
    }
    return pd.DataFrame(picks, columns=[f"p{p}" for p in percents], dtype=float)


def _table(session: Session, passes: pd.DataFrame, by: Grouping | None) -> pd.DataFrame:
    """Return the SPEED_COLUMNS of the passes' groups (no row for a group without passes)."""
    grouped = _grouped(passes, by)
    counted = grouped.groupby("key")
    frame = counted[FLAGS].sum().astype("int64")
    frame.insert(0, "mqls", counted.size())
    touched = grouped["touched"]
    for m in WITHIN_MINUTES:
        met = grouped[f"due_{m}"] & touched & (grouped["response_minutes"] <= m)
        frame[f"met_{m}"] = met.groupby(grouped["key"]).sum()
        frame[f"within_{m}_min"] = share(frame[f"met_{m}"], frame[f"due_{m}"])
    percentiles = [
        _named(nearest_rank(grouped, "response_minutes", PERCENTILES), "minutes"),
        _named(nearest_rank(grouped, "response_hours", PERCENTILES), "business_hours"),
        *(
            nearest_rank(grouped, f"{d}_minutes", [50]).rename(columns={"p50": name})
            for d, name in (
                ("routing", "routing_delay_p50_minutes"),
                ("rep", "rep_delay_p50_minutes"),
                ("contact", "first_contact_p50_minutes"),
            )
        ),
    ]
    frame = frame.join(percentiles)
    frame["untouched"] = frame["mqls"] - frame["touched"]
    frame["within_sla"] = share(frame["sla_met"], frame["sla_due"])
    frame["ever_contacted"] = share(frame["contacted"], frame["mqls"])
    frame = frame.reset_index().sort_values("key", kind="stable")
    frame["label"] = _labels(session, by, frame["key"])
    return frame.reindex(columns=SPEED_COLUMNS).reset_index(drop=True)


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
    _check_by(by)
    return _table(session, speed_passes(session, actor=actor, filters=filters, now=now), by)


def _named(frame: pd.DataFrame, unit: str) -> pd.DataFrame:
    return frame.rename(columns={f"p{p}": f"p{p}_{unit}" for p in PERCENTILES})


def _bands(session: Session, passes: pd.DataFrame, by: Grouping | None) -> pd.DataFrame:
    """Return per group and response band (BANDS, then never touched) the MQL passes, the
    validation rate of their real decisions and the win rate of those that closed."""
    grouped = _grouped(passes, by)
    uppers = [upper for _, _, upper in BANDS if upper is not None]
    response = grouped["response_minutes"]
    band = np.searchsorted(uppers, response.fillna(0).to_numpy(), side="left")
    grouped["band_no"] = np.where(grouped["touched"] & response.notna(), band, len(BANDS))
    found = grouped.groupby(["key", "band_no"]).agg(
        mqls=("touched", "size"),
        validated=("validated", "sum"),
        decided=("decided", "sum"),
        won=("won", "sum"),
        lost=("lost", "sum"),
    )
    return _band_rows(session, by, found.reset_index())


def speed_by_band(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    by: Grouping | None = None,
) -> pd.DataFrame:
    """Return per group and response band (BANDS, then never touched) the MQL passes, the
    validation rate of their real decisions and the win rate of those that closed."""
    _check_by(by)
    return _bands(session, speed_passes(session, actor=actor, filters=filters), by)


def speed_section(
    session: Session, *, actor: Actor, filters: Filters, now: datetime | None = None
) -> SpeedSection:
    """Return the figures of everything in view, the rates by band and the figures per
    rep, from one read of the passes."""
    passes = speed_passes(session, actor=actor, filters=filters, now=now)
    return SpeedSection(
        overall=_table(session, passes, None),
        bands=_bands(session, passes, None),
        by_rep=_table(session, passes, "rep"),
    )


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
