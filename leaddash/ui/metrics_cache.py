"""Cached dashboard reads. A result is keyed by the database's data-version counter (bumped by
every committed write, in any server process), by the acting user's identity and scope, by
the filters, and by the five-minute slot of "now" (deadlines pass without any write); so a
write anywhere shows up at the next rerun and one user's scoped numbers never reach another."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pandas as pd
import streamlit as st

from leaddash.analytics.filters import Filters
from leaddash.audit import current_data_version
from leaddash.core.actor import Actor
from leaddash.models import utcnow
from leaddash.ui.resources import reading

NOW_SLOT = timedelta(minutes=5)
Metric = Callable[..., pd.DataFrame]


def data_version() -> int:
    """Return the data-version counter as the database holds it now (one tiny query)."""
    with reading() as session:
        return current_data_version(session)


def now_slot(now: datetime | None = None) -> datetime:
    """Return `now` rounded down to its five-minute slot (what cached reads treat as now)."""
    now = now or utcnow()
    return now - (now - datetime.min.replace(tzinfo=now.tzinfo)) % NOW_SLOT


@st.cache_data(ttl=900, max_entries=400, show_spinner=False)
def _cached(_metric: Metric, name: str, version: int, actor: Actor, filters: Filters,
            options: tuple[tuple[str, Any], ...]) -> pd.DataFrame:
    # `name` stands for `_metric` in the key (functions are not hashed); `version` only keys.
    with reading() as session:
        return _metric(session, actor=actor, filters=filters, **dict(options))


def cached_metric(metric: Metric, *, actor: Actor, filters: Filters, **options: Any
                  ) -> pd.DataFrame:
    """Return `metric(session, actor=…, filters=…, **options)`, cached as the module says;
    a metric that takes `now` gets the current five-minute slot."""
    if "now" in metric.__code__.co_varnames[:metric.__code__.co_argcount
                                             + metric.__code__.co_kwonlyargcount]:
        options.setdefault("now", now_slot())
    name = f"{metric.__module__}.{metric.__qualname__}"
    return _cached(metric, name, data_version(), actor, filters, tuple(sorted(options.items())))
