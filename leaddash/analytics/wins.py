"""Deals (docs/metrics.md "Deals"): the passes won, lost and still open, the win rate, the
won amount and the sales cycle, overall or per group of the funnel's breakdowns.

- *won*: passes won, by the month they were won; *won amount*: the sum of their amounts.
- *lost*: passes lost (at any stage: a lead lost from mql closed too), by the exit month.
- *open*: passes that reached sql, not won and not out of the funnel, by the sql month.
- *win rate*: won ÷ (won + lost); open deals are not in it; NaN when nothing closed.
- *sales cycle*: median days from opportunity (and from MQL) to the close (won_at or
  exit_at), over the closed passes *seen* entering that stage (a stage a pass went past
  has no time).

Summed from two rollups (leaddash.analytics.funnel_rollups): the deals per kind, month
and group, and a histogram of the closed deals' cycles; so a million leads cost a few
hundred rows. The medians are read from the histogram, at its resolution: to the hour under
two days, to six hours under thirty days, to the day beyond.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import Table, func, select
from sqlalchemy.sql import ColumnElement
from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.analytics.filters import Filters, pass_clauses
from leaddash.analytics.funnel import BY, NONE_LABEL, group_labels
from leaddash.analytics.funnel_rollups import CYCLE_ROLLUP, DEAL_ROLLUP
from leaddash.analytics.rollups import shown_dim, total
from leaddash.analytics.stats import median_of_counts
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput

ALL_LABEL = "all"
COUNTS = ["won", "lost", "open"]
MEDIANS = {"median_cycle_days": "opportunity", "median_mql_to_close_days": "mql"}
WIN_RATE_COLUMNS = ["label", *COUNTS, "win_rate", "won_amount", *MEDIANS]
# How people read the columns, on the Funnel page, in the review and in the report files.
WIN_RATE_HEADERS = {
    "win_rate": "Win rate",
    "won": "Won",
    "lost": "Lost",
    "open": "Open",
    "won_amount": "Won amount",
    "median_cycle_days": "Median days opportunity → close",
    "median_mql_to_close_days": "Median days MQL → close",
}
WIN_RATE_MEANS = (
    "Win rate: won ÷ (won + lost) of deals closed in the range; open deals are not in the rate."
)


def _key(table: Table, by: str | None) -> list[ColumnElement]:
    return [] if by is None else [shown_dim(table, BY[by]).label("value")]


def _counts(session: Session, actor: Actor, filters: Filters, by: str | None) -> pd.DataFrame:
    """Return per group and kind of deal (won, lost, open) its deals and amount."""
    rows, key = DEAL_ROLLUP.c, _key(DEAL_ROLLUP, by)
    query = (
        select(
            *key,
            rows.kind,
            total(rows.deals).label("deals"),
            func.coalesce(func.sum(rows.amount), 0).label("amount"),
        )
        .where(*pass_clauses(actor, filters, rows.month, rows))
        .group_by(*key, rows.kind)
    )
    found = session.connection().execute(query).mappings().all()
    return pd.DataFrame(
        [dict(r) for r in found],
        dtype=object,
        columns=[*(["value"] if by else []), "kind", "deals", "amount"],
    )


def _medians(session: Session, actor: Actor, filters: Filters, by: str | None) -> pd.DataFrame:
    """Return per group and start (opportunity, mql) the median days to close, read from
    the cycle histogram."""
    rows, key = CYCLE_ROLLUP.c, _key(CYCLE_ROLLUP, by)
    query = (
        select(*key, rows.start, rows.hours, total(rows.deals).label("deals"))
        .where(*pass_clauses(actor, filters, rows.month, rows))
        .group_by(*key, rows.start, rows.hours)
        .order_by(rows.hours)
    )
    found = [dict(r) for r in session.connection().execute(query).mappings()]
    histograms: dict[tuple, tuple[list, list]] = {}
    for r in found:
        hours, deals = histograms.setdefault((_group(r.get("value")), r["start"]), ([], []))
        hours.append(int(r["hours"]))
        deals.append(int(r["deals"]))
    return pd.DataFrame(
        [
            (value, start, median_of_counts(*counted) / 24)
            for (value, start), counted in histograms.items()
        ],
        columns=["value", "start", "days"],
    )


def _group(value: object) -> object:
    """Return a group's key as a dict key: None for no value (NULL or NaN)."""
    return None if value is None or pd.isna(value) else value


def _table(counts: pd.DataFrame, medians: pd.DataFrame, whole: bool) -> pd.DataFrame:
    """Return one row per group: its counts, won amount and medians (with `whole`, the one
    row of all deals, even with none)."""
    rows: dict[object, dict[str, object]] = {None: {"value": None}} if whole else {}
    for r in counts.to_dict("records"):
        row = rows.setdefault(_group(r.get("value")), {"value": _group(r.get("value"))})
        row[r["kind"]] = int(r["deals"])
        if r["kind"] == "won":
            row["won_amount"] = float(r["amount"])
    names = {start: name for name, start in MEDIANS.items()}
    for r in medians.to_dict("records"):
        row = rows.setdefault(_group(r["value"]), {"value": _group(r["value"])})
        row[names[r["start"]]] = r["days"]
    table = pd.DataFrame(list(rows.values()), columns=["value", *COUNTS, "won_amount", *MEDIANS])
    # As objects, so a group's key stays the id or text it is (a NULL would turn ids float).
    table["value"] = pd.Series([row["value"] for row in rows.values()], dtype=object)
    return table.fillna(dict.fromkeys([*COUNTS, "won_amount"], 0))


def _as_table(found: pd.DataFrame) -> pd.DataFrame:
    """Return the counts typed, with the win rate beside them (NaN when nothing closed)."""
    table = found.astype(dict.fromkeys(COUNTS, "int64")).astype(
        dict.fromkeys(["won_amount", *MEDIANS], float)
    )
    closed = table["won"] + table["lost"]
    return table.assign(win_rate=(table["won"] / closed).where(closed > 0))


def win_rates(
    session: Session, *, actor: Actor, filters: Filters, by: str | None = None
) -> pd.DataFrame:
    """Return per value of `by` (one of funnel.BY; value and a readable label first, groups
    without deals left out) or as one row labelled "all": won, lost, open, win_rate,
    won_amount and the median days opportunity → close and MQL → close (docstring above)."""
    verify_actor(session, actor)
    if by is not None and by not in BY:
        raise InvalidInput(f"Break the win rate down by one of {', '.join(BY)}.", field="by")
    table = _as_table(
        _table(
            _counts(session, actor, filters, by),
            _medians(session, actor, filters, by),
            whole=by is None,
        )
    )
    if by is None:
        return table.assign(label=ALL_LABEL)[WIN_RATE_COLUMNS]
    return _named_groups(session, by, table)


def _named_groups(session: Session, by: str, table: pd.DataFrame) -> pd.DataFrame:
    """Return the groups with their readable labels, in label order, "(none)" last."""
    labels = group_labels(session, by, table["value"].tolist())
    named = table.assign(label=[labels.get(v, NONE_LABEL) for v in table["value"]])
    order = named.assign(
        _none=named["value"].isna(), _name=named["label"].astype(str).str.casefold()
    )
    return order.sort_values(["_none", "_name"])[["value", *WIN_RATE_COLUMNS]].reset_index(
        drop=True
    )
