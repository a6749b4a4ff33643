"""Small statistics the dashboards share: Wilson score intervals and a median in SQL.

The median is computed by the database with window functions (row_number and count over
each group), which SQLite and PostgreSQL both run, so only one row per group comes back.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
from sqlalchemy import func
from sqlmodel import Session, select

Z_95 = 1.959963984540054


def wilson_interval(successes: int, trials: int, z: float = Z_95) -> tuple[float, float]:
    """Return the Wilson score interval (low, high) of successes/trials; (nan, nan) for 0."""
    low, high = wilson_bounds(pd.Series([successes]), pd.Series([trials]), z)
    return float(low.iloc[0]), float(high.iloc[0])


def wilson_bounds(
    successes: pd.Series,
    trials: pd.Series,
    z: float = Z_95,
) -> tuple[pd.Series, pd.Series]:
    """Return the Wilson score interval bounds per row (NaN where there are no trials)."""
    n = trials.astype(float).where(trials > 0)
    p = successes.astype(float) / n
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    margin = z * np.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (centre - margin).clip(lower=0.0), (centre + margin).clip(upper=1.0)


def share(numerator: pd.Series, denominator: pd.Series) -> pd.Series:
    """Return numerator ÷ denominator per row as floats, NaN where the denominator is 0."""
    return numerator.astype(float) / denominator.astype(float).where(denominator > 0)


def median_by(
    session: Session,
    value: Any,
    keys: Sequence[Any],
    where: Sequence[Any],
) -> pd.DataFrame:
    """Return one row per group of `keys` with the median of `value` and how many values
    it is over (NULLs skipped), computed in the database; columns: the keys' names,
    "median", "n"."""
    columns: list[Any] = [
        *keys,
        value.label("value"),
        func.row_number().over(partition_by=list(keys) or None, order_by=value).label("rank"),
        func.count().over(partition_by=list(keys) or None).label("n"),
    ]
    ranked = select(*columns).where(value.is_not(None), *where).subquery()
    grouped = [ranked.c[key.key] for key in keys]
    medians: list[Any] = [*grouped, func.avg(ranked.c.value), func.max(ranked.c.n)]
    middle = ranked.c["rank"].in_([(ranked.c.n + 1) // 2, (ranked.c.n + 2) // 2])
    query = select(*medians).where(middle).group_by(*grouped)
    names = [key.key for key in keys]
    frame = pd.DataFrame(session.exec(query).all(), columns=[*names, "median", "n"])
    return frame.astype({"median": float, "n": "int64"})


def median_of_counts(values: Sequence[float], counts: Sequence[int]) -> float:
    """Return the median of a histogram given as ascending values and how many of each."""
    total, running = sum(counts), np.cumsum(counts)
    middle = [
        values[int(np.searchsorted(running, rank))] for rank in ((total + 1) // 2, (total + 2) // 2)
    ]
    return sum(middle) / 2
