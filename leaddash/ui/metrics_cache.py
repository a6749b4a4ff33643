"""How the seam's cached reads are keyed (leaddash.ui.seam is what pages call). A result is
keyed by the database's data-version counter (bumped by every committed write, in any server
process), by the acting user's identity and scope, by the filters and other arguments, and by
the five-minute slot of "now" (deadlines pass without any write); so a write anywhere shows
up at the next rerun and one user's scoped numbers never reach another."""

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
Query = Callable[..., Any]


def data_version() -> int:
    """Return the data-version counter as the database holds it now (one tiny query)."""
    with reading() as session:
        return current_data_version(session)


def now_slot(now: datetime | None = None) -> datetime:
    """Return `now` rounded down to its five-minute slot (what cached reads treat as now)."""
    now = now or utcnow()
    return now - (now - datetime.min.replace(tzinfo=now.tzinfo)) % NOW_SLOT


@st.cache_data(ttl=900, max_entries=600, show_spinner=False)
def _cached(
    _query: Query, name: str, version: int, actor: Actor, arguments: tuple[tuple[str, Any], ...]
) -> Any:
    # `name` stands for `_query` in the key (functions are not hashed); `version` only keys.
    with reading() as session:
        return _query(session, actor=actor, **dict(arguments))


def _takes_now(query: Query) -> bool:
    code = query.__code__
    return "now" in code.co_varnames[: code.co_argcount + code.co_kwonlyargcount]


def cached_read(query: Query, *, actor: Actor, **arguments: Any) -> Any:
    """Return `query(session, actor=…, **arguments)`, cached as the module says; a query
    that takes `now` gets the current five-minute slot."""
    if _takes_now(query):
        arguments.setdefault("now", now_slot())
    name = f"{query.__module__}.{query.__qualname__}"
    return _cached(query, name, data_version(), actor, tuple(sorted(arguments.items())))


def cached_metric(
    metric: Metric, *, actor: Actor, filters: Filters, **options: Any
) -> pd.DataFrame:
    """Return `metric(session, actor=…, filters=…, **options)`, cached as `cached_read`."""
    return cached_read(metric, actor=actor, filters=filters, **options)
