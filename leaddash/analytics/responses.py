"""The median response time (business hours from MQL to first touch) per group, from the
response-time histogram rollup.

The histogram holds whole quarter hours, so a median read from it is to the quarter hour
(finer than an SLA written in hours needs). A query the histogram cannot answer (it
filters by source, campaign or segment, or a median lies beyond the capped bucket) reads
LeadPass and gets the exact median.
"""

from __future__ import annotations

import pandas as pd
from sqlalchemy import func, select
from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.analytics.filters import PASSES, Filters, pass_clauses
from leaddash.analytics.outcomes import is_mql
from leaddash.analytics.rollups import (
    CAP_QUARTERS,
    RESPONSE_DIMS,
    RESPONSES,
    needed,
    shown_dim,
)
from leaddash.analytics.stats import median_by, median_of_counts
from leaddash.core.actor import Actor

MEDIAN_COLUMNS = ["median", "n"]


def response_medians(session: Session, *, actor: Actor, filters: Filters, key: str) -> pd.DataFrame:
    """Return per value of `key` (mql_month, team_id or owner_id) the median response time
    in business hours and how many passes it is over, indexed by the key's values."""
    verify_actor(session, actor)
    if needed(actor, filters, [key]) <= set(RESPONSE_DIMS):
        found = _from_histogram(session, actor, filters, key)
        if found is not None:
            return found
    exact = median_by(
        session, PASSES.response_hours, [PASSES[key]], [is_mql(), *pass_clauses(actor, filters)]
    )
    return exact.set_index(key)[MEDIAN_COLUMNS]


def _from_histogram(
    session: Session, actor: Actor, filters: Filters, key: str
) -> pd.DataFrame | None:
    """Return the medians from the histogram (None when one lies in the capped bucket)."""
    group, quarters = shown_dim(RESPONSES, key), RESPONSES.c.quarter_hours
    query = (
        select(group, quarters, func.sum(RESPONSES.c.passes))
        .where(*pass_clauses(actor, filters, columns=RESPONSES.c))
        .group_by(group, quarters)
        .order_by(group, quarters)
    )
    rows = pd.DataFrame(
        session.connection().execute(query).all(), columns=[key, "quarters", "passes"]
    )
    medians = {
        value: (
            median_of_counts(part["quarters"].tolist(), part["passes"].tolist()),
            int(part["passes"].sum()),
        )
        for value, part in rows.groupby(key, dropna=False)
    }
    if any(median >= CAP_QUARTERS for median, _ in medians.values()):
        return None
    frame = pd.DataFrame(
        [(k, m / 4, n) for k, (m, n) in medians.items()], columns=[key, *MEDIAN_COLUMNS]
    )
    return frame.astype({"median": float, "n": "int64"}).set_index(key)
