"""Speed-to-lead (docs/metrics.md "Speed-to-lead"): response-time percentiles raw and in
business hours, the share touched within 5, 15 and 60 minutes and within the SLA, routing
delay apart from rep delay, first contact apart from first attempt, and the validation and
win rates by response band.

Read from LeadPass (the MQL passes of leads that are not history), grouped like the SLA
scorecard (MQL month, team or rep; or everything). Each pass keeps its durations in minutes
(leaddash.analytics.passes.DURATIONS) and its lead's history flag, all held in one partial
index (ix_leadpass_speed), so two reads answer from the index alone: the counts per group
and response band, summed by the database, and the durations as plain numbers, from which
pandas picks the nearest-rank percentiles. `speed_section` gives the page its three tables
from one such read.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import numpy as np
import pandas as pd
from sqlalchemy import case, false, func, literal, or_, select
from sqlalchemy.sql import ColumnElement, Select
from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.analytics.filters import PASSES, Filters, pass_clauses
from leaddash.analytics.outcomes import count_where, decision_at, month_label, names_of
from leaddash.analytics.rollups import conditions
from leaddash.analytics.stats import share
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.models import Stage, Team, User, utcnow
from leaddash.scoring_io import cursor_rows

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


# What the database counts per group and response band, as SQL conditions on an MQL pass
# (see _conditions). The rest is read off the bands and durations: touched (any band but
# never touched), touched within m minutes (the bands up to m), contacted (a first-contact
# time): each condition summed costs the read of a million leads about 20 ms.
FLAGS = [
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
class SpeedRead:
    """The passes in view, read twice over for one grouping: `counts` per group and band
    (the FLAGS summed, "mqls" the passes; indexed by key and band_no), and `numbers` one
    row per pass that has a duration (its "key" and NUMBERS, NaN where unknown)."""

    counts: pd.DataFrame
    numbers: pd.DataFrame

    def overall(self) -> SpeedRead:
        """Return the same read with every group folded into one (ALL_KEY)."""
        bands = self.counts.groupby(level="band_no").sum()
        counts = pd.concat({ALL_KEY: bands}, names=["key"])
        return SpeedRead(counts, self.numbers.assign(key=ALL_KEY))


@dataclass(frozen=True)
class SpeedSection:
    """What the SLA compliance page shows of speed-to-lead, from one read of the passes:
    the figures of everything in view, the rates by response band, the figures per rep."""

    overall: pd.DataFrame
    bands: pd.DataFrame
    by_rep: pd.DataFrame


def _band() -> ColumnElement[int]:
    """Return the pass's response band: its index in BANDS, len(BANDS) when never touched."""
    response = PASSES.response_minutes
    whens = [(response <= upper, i) for i, (_, _, upper) in enumerate(BANDS) if upper is not None]
    never = PASSES.first_touch_at.is_(None)
    return case((never, len(BANDS)), *whens, else_=len(BANDS) - 1)


def _conditions(now: datetime) -> dict[str, ColumnElement[bool]]:
    """Return each flag's condition on an MQL pass, deadlines judged at `now`."""
    due = conditions(now)
    flags: dict[str, ColumnElement[bool]] = {
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


def _band_of(minutes: int) -> int:
    """Return the index of the band that ends at `minutes` (a WITHIN_MINUTES value)."""
    return next(i for i, (_, _, upper) in enumerate(BANDS) if upper == minutes)


def _where(actor: Actor, filters: Filters) -> list[ColumnElement[bool]]:
    """Return the clauses keeping the MQL passes of non-history leads in the filters (the
    first two are the speed index's condition, so it answers the whole read)."""
    return [PASSES.mql_at.is_not(None), PASSES.is_history == false(), *pass_clauses(actor, filters)]


def _key(by: Grouping | None) -> ColumnElement:
    return func.coalesce(PASSES[GROUP_KEYS[by]], 0) if by else literal(0)


def _counts_query(actor: Actor, filters: Filters, by: Grouping | None, now: datetime) -> Select:
    """Return the query counting the passes in view per group of `by` (none: no key) and
    response band: "mqls" and each of FLAGS."""
    groups = [_key(by)] if by else []
    band = _band()
    flags = _conditions(now)
    return (
        select(
            *groups,
            band.label("band_no"),
            func.count().label("mqls"),
            *(count_where(c).label(n) for n, c in flags.items()),
        )
        .where(*_where(actor, filters))
        .group_by(*groups, band)
    )


def _numbers_query(actor: Actor, filters: Filters, by: Grouping | None) -> Select:
    """Return the query of each pass in view with a duration: its group key (0 without
    `by`), then NUMBERS."""
    timed = or_(*(PASSES[n].is_not(None) for n in NUMBERS))
    columns = [_key(by), *(PASSES[n] for n in NUMBERS)]
    return select(*columns).where(*_where(actor, filters), timed)


def read_speed(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    by: Grouping | None = None,
    now: datetime | None = None,
) -> SpeedRead:
    """Return the passes in view counted per group of `by` (one group without) and band,
    and their durations: two reads of the speed index, never a row per pass of flags."""
    verify_actor(session, actor)
    _check_by(by)
    found = session.connection().execute(_counts_query(actor, filters, by, now or utcnow()))
    counts = pd.DataFrame(
        found.all(), columns=[*(["key"] if by else []), "band_no", "mqls", *FLAGS]
    )
    counts = counts.astype(dict.fromkeys(["band_no", "mqls", *FLAGS], "int64"))
    numbers = _numbers(session, _numbers_query(actor, filters, by))
    if not by:
        counts.insert(0, "key", ALL_KEY)
        numbers["key"] = ALL_KEY
    return SpeedRead(counts.set_index(["key", "band_no"]), numbers)


def _numbers(session: Session, query: Select) -> pd.DataFrame:
    """Return the rows of `query` (a numeric key, then NUMBERS) as floats."""
    rows, _ = cursor_rows(session, query)
    values = np.array(rows, dtype=float).reshape(-1, 1 + len(NUMBERS))  # None → NaN
    numbers = pd.DataFrame(values[:, 1:], columns=NUMBERS)
    numbers.insert(0, "key", values[:, 0].astype("int64"))
    return numbers


def nearest_rank(numbers: pd.DataFrame, value: str, percents: Sequence[int]) -> pd.DataFrame:
    """Return per "key" the nearest-rank percentiles of column `value` (NaN skipped): the
    value at rank ceil(p·n/100) in ascending order, one column "p<p>" per percent."""
    known = numbers.loc[numbers[value].notna(), ["key", value]]
    ordered = known.sort_values(["key", value], kind="stable")
    by_key = ordered.groupby("key", sort=False)[value]
    rank = by_key.cumcount() + 1
    size = by_key.transform("size")
    picks = {
        f"p{p}": ordered.loc[rank == (size * p + 99) // 100].set_index("key")[value]
        for p in percents
    }
    return pd.DataFrame(picks, columns=[f"p{p}" for p in percents], dtype=float)


def speed_table(session: Session, read: SpeedRead, by: Grouping | None) -> pd.DataFrame:
    """Return the SPEED_COLUMNS of the read's groups (no row for a group without passes)."""
    counts = read.counts
    band = counts.index.get_level_values("band_no")
    frame = counts.groupby(level="key").sum()
    frame = frame[frame["mqls"] > 0]
    frame["touched"] = counts["mqls"].where(band != len(BANDS), 0).groupby(level="key").sum()
    for m in WITHIN_MINUTES:
        met = counts[f"due_{m}"].where(band <= _band_of(m), 0).groupby(level="key").sum()
        frame[f"within_{m}_min"] = share(met, frame[f"due_{m}"])
    contacted = read.numbers.groupby("key")["contact_minutes"].count()
    frame["contacted"] = contacted.reindex(frame.index, fill_value=0)
    numbers = read.numbers
    frame = frame.join(
        [
            _named(nearest_rank(numbers, "response_minutes", PERCENTILES), "minutes"),
            _named(nearest_rank(numbers, "response_hours", PERCENTILES), "business_hours"),
            *(
                nearest_rank(numbers, f"{d}_minutes", [50]).rename(columns={"p50": name})
                for d, name in (
                    ("routing", "routing_delay_p50_minutes"),
                    ("rep", "rep_delay_p50_minutes"),
                    ("contact", "first_contact_p50_minutes"),
                )
            ),
        ]
    )
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
    read = read_speed(session, actor=actor, filters=filters, by=by, now=now)
    return speed_table(session, read, by)


def _named(frame: pd.DataFrame, unit: str) -> pd.DataFrame:
    return frame.rename(columns={f"p{p}": f"p{p}_{unit}" for p in PERCENTILES})


def speed_by_band(
    session: Session,
    *,
    actor: Actor,
    filters: Filters,
    by: Grouping | None = None,
) -> pd.DataFrame:
    """Return per group and response band (BANDS, then never touched) the MQL passes, the
    validation rate of their real decisions and the win rate of those that closed."""
    read = read_speed(session, actor=actor, filters=filters, by=by)
    return _band_rows(session, by, read.counts.reset_index())


def speed_section(
    session: Session, *, actor: Actor, filters: Filters, now: datetime | None = None
) -> SpeedSection:
    """Return the figures of everything in view, the rates by band and the figures per
    rep, from one read of the passes."""
    by_rep = read_speed(session, actor=actor, filters=filters, by="rep", now=now)
    overall = by_rep.overall()
    return SpeedSection(
        overall=speed_table(session, overall, None),
        bands=_band_rows(session, None, overall.counts.reset_index()),
        by_rep=speed_table(session, by_rep, "rep"),
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
