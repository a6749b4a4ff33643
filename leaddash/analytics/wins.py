"""Deals (docs/metrics.md "Deals"): the passes won, lost and still open, the win rate, the
won amount and the sales cycle, overall or per group of the funnel's breakdowns.

- *won*: passes won, by the month they were won; *won amount*: the sum of their amounts.
- *lost*: passes lost (at any stage: a lead lost from mql closed too), by the exit month.
- *open*: passes that reached sql, not won and not out of the funnel, by the sql month.
- *win rate*: won ÷ (won + lost); open deals are not in it; NaN when nothing closed.
- *sales cycle*: median days from opportunity (and from MQL) to the close (won_at or
  exit_at), over the closed passes *seen* entering that stage (a stage a pass went past
  has no time).

One SQL query reads each kind of deal through its partial index (leaddash.analytics.models)
and returns per group the counts, the amount and the two medians, so a million leads cost
only their deals.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import (
    Select,
    and_,
    case,
    func,
    literal,
    literal_column,
    null,
    select,
    union_all,
)
from sqlalchemy.sql import ColumnElement, Subquery
from sqlmodel import Session

from leaddash.analytics.filters import PASSES, Filters, pass_clauses
from leaddash.analytics.funnel import BY, NONE_LABEL, days_between, group_labels
from leaddash.audit import Actor
from leaddash.errors import InvalidInput
from leaddash.models import Stage

ALL_LABEL = "all"
COUNTS = ["won", "lost", "open"]
MEDIANS = {"median_cycle_days": "opportunity", "median_mql_to_close_days": "mql"}
WIN_RATE_COLUMNS = ["label", *COUNTS, "win_rate", "won_amount", *MEDIANS]
# How people read the columns, on the Funnel page, in the review and in the report files.
WIN_RATE_HEADERS = {"win_rate": "Win rate", "won": "Won", "lost": "Lost", "open": "Open",
                    "won_amount": "Won amount",
                    "median_cycle_days": "Median days opportunity → close",
                    "median_mql_to_close_days": "Median days MQL → close"}
WIN_RATE_MEANS = ("Win rate: won ÷ (won + lost) of deals closed in the range; open deals "
                  "are not in the rate.")


def _deal_rows(key: list[ColumnElement], kind: str, closed_at: ColumnElement | None,
               dialect: str) -> Select:
    """Return the select of one kind of deal: its key, flags, amount and days to close."""
    days = [(null() if closed_at is None else days_between(PASSES[f"{stage}_at"], closed_at, dialect))
            .label(name) for name, stage in MEDIANS.items()]
    return select(*key, *(literal(int(kind == c)).label(c) for c in COUNTS),
                  (PASSES.amount if kind == "won" else null()).label("amount"), *days)


def _deals(actor: Actor, filters: Filters, key: list[ColumnElement], dialect: str
           ) -> Subquery:
    """Return one row per deal in scope and range: won by won month, lost by exit month,
    open by sql month, each kind read through its own partial index."""
    won = _deal_rows(key, "won", PASSES.won_at, dialect).where(
        PASSES.won_month.is_not(None), *pass_clauses(actor, filters, PASSES.won_month))
    # 'lost' inline, not bound: SQLite uses a partial index only when the query repeats its
    # WHERE (exit_stage = 'lost') to the letter.
    lost = _deal_rows(key, "lost", PASSES.exit_at, dialect).where(
        PASSES.exit_stage == literal_column(f"'{Stage.LOST.value}'"),
        *pass_clauses(actor, filters, PASSES.exit_month))
    still_open = _deal_rows(key, "open", None, dialect).where(
        PASSES.sql_month.is_not(None), PASSES.won_month.is_(None), PASSES.exit_stage.is_(None),
        *pass_clauses(actor, filters, PASSES.sql_month))
    return union_all(won, lost, still_open).subquery()


def _ranked(deals: Subquery, grouped: bool) -> Subquery:
    """Return the deals with, per median, each row's rank among its group's known days
    (unknown days ranked last) and how many days are known."""
    part = [deals.c.value] if grouped else None
    ranks = [column for name in MEDIANS for column in (
        func.row_number().over(partition_by=part, order_by=deals.c[name].asc().nulls_last())
        .label(f"{name}_rank"),
        func.count(deals.c[name]).over(partition_by=part).label(f"{name}_n"))]
    return select(deals, *ranks).subquery()


def _median(ranked: Subquery, name: str) -> ColumnElement:
    """Return the aggregate median of a days column: the mean of its middle known rows."""
    rank, known = ranked.c[f"{name}_rank"], ranked.c[f"{name}_n"]
    middle = and_(rank >= (known + 1) // 2, rank <= (known + 2) // 2)
    return func.avg(case((middle, ranked.c[name]))).label(name)


def _deal_query(actor: Actor, filters: Filters, by: str | None, dialect: str) -> Select:
    """Return the query of the deals' counts, won amount and medians, per value of `by`."""
    key = [] if by is None else [PASSES[BY[by]].label("value")]
    ranked = _ranked(_deals(actor, filters, key, dialect), grouped=by is not None)
    keys = [ranked.c.value] if by is not None else []
    query = select(*keys, *(func.coalesce(func.sum(ranked.c[c]), 0).label(c) for c in COUNTS),
                   func.coalesce(func.sum(ranked.c.amount), 0).label("won_amount"),
                   *(_median(ranked, name) for name in MEDIANS))
    return query.group_by(*keys) if keys else query


def _as_table(found: pd.DataFrame) -> pd.DataFrame:
    """Return the counts typed, with the win rate beside them (NaN when nothing closed)."""
    table = found.astype({c: "int64" for c in COUNTS}).astype(
        {c: float for c in ["won_amount", *MEDIANS]})
    closed = table["won"] + table["lost"]
    return table.assign(win_rate=(table["won"] / closed).where(closed > 0))


def win_rates(session: Session, *, actor: Actor, filters: Filters,
              by: str | None = None) -> pd.DataFrame:
    """Return per value of `by` (one of funnel.BY; value and a readable label first, groups
    without deals left out) or as one row labelled "all": won, lost, open, win_rate,
    won_amount and the median days opportunity → close and MQL → close (docstring above)."""
    if by is not None and by not in BY:
        raise InvalidInput(f"Break the win rate down by one of {', '.join(BY)}.", field="by")
    connection = session.connection()
    rows = connection.execute(_deal_query(actor, filters, by, connection.dialect.name))
    # As objects, so a group's key stays the id or text it is (an int column with a NULL
    # would turn float).
    found = pd.DataFrame([dict(r) for r in rows.mappings()], dtype=object,
                         columns=[*([] if by is None else ["value"]), *COUNTS, "won_amount",
                                  *MEDIANS])
    if by is None:
        return _as_table(found).assign(label=ALL_LABEL)[WIN_RATE_COLUMNS]
    return _named_groups(session, by, _as_table(found))


def _named_groups(session: Session, by: str, table: pd.DataFrame) -> pd.DataFrame:
    """Return the groups with their readable labels, in label order, "(none)" last."""
    labels = group_labels(session, by, table["value"].tolist())
    named = table.assign(label=[labels.get(v, NONE_LABEL) for v in table["value"]])
    order = named.assign(_none=named["value"].isna(),
                         _name=named["label"].astype(str).str.casefold())
    return order.sort_values(["_none", "_name"])[["value", *WIN_RATE_COLUMNS]].reset_index(
        drop=True)
