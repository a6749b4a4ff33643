"""What every report is made of, how its metrics are read, and the months it covers."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Protocol

import altair as alt
import pandas as pd
from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.analytics.filters import Filters, month_key
from leaddash.analytics.funnel import version_markers
from leaddash.core.actor import Actor
from leaddash.core.times import as_utc
from leaddash.models import utcnow
from leaddash.reasons import reason_labels

Chart = alt.Chart | alt.LayerChart | alt.FacetChart


class Read(Protocol):
    """Reads one metric: `read(metric, filters, **options)` → its frame (the UI's version
    caches it; the command line's runs it on one session)."""

    def __call__(
        self, metric: Callable[..., pd.DataFrame], filters: Filters, **options: Any
    ) -> pd.DataFrame: ...


@dataclass(frozen=True)
class Report:
    """A report as every format draws it: named tables (in order), charts, plain notes."""

    name: str
    title: str
    period: str
    tables: dict[str, pd.DataFrame]
    charts: tuple[Chart, ...] = ()
    notes: tuple[str, ...] = field(default=())


def session_reader(session: Session, *, actor: Actor, now: datetime | None = None) -> Read:
    """Return a Read running each metric on `session` as `actor`, judged at `now`."""
    verify_actor(session, actor)
    judged_at = now or utcnow()

    def read(metric: Callable[..., pd.DataFrame], filters: Filters, **options: Any) -> pd.DataFrame:
        if "now" in inspect.signature(metric).parameters:
            options.setdefault("now", judged_at)
        return metric(session, actor=actor, filters=filters, **options)

    return read


def markers_between(session: Session, *, actor: Actor, filters: Filters) -> pd.DataFrame:
    """Return the definition and SLA versions that took effect within the filters' months
    (date, label, kind); the same for every actor."""
    verify_actor(session, actor)
    markers = version_markers(session)
    keys = markers["date"].map(month_key)
    inside = pd.Series(True, index=markers.index)
    if filters.start is not None:
        inside &= keys >= month_key(filters.start)
    if filters.end is not None:
        inside &= keys <= month_key(filters.end)
    return markers[inside].reset_index(drop=True)


def reason_names(session: Session, *, actor: Actor, filters: Filters) -> pd.DataFrame:
    """Return every rejection and disqualification reason code with its label."""
    verify_actor(session, actor)
    return pd.DataFrame(sorted(reason_labels(session).items()), columns=["code", "label"])


def month_start(day: date) -> date:
    """Return the first day of the month `day` falls in."""
    return day.replace(day=1)


def months_before(day: date, months: int) -> date:
    """Return the first day of the month `months` months before the month of `day`."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)


def month_end(day: date) -> date:
    """Return the last day of the month `day` falls in."""
    return months_before(day, -1) - timedelta(days=1)


def last_full_month(now: datetime | None = None) -> date:
    """Return the first day of the last month that has ended (UTC)."""
    return months_before(as_utc(now or utcnow()).date(), 1)


def month_filters(month: date) -> Filters:
    """Return the filters of the whole month `month` falls in."""
    return Filters(start=month_start(month), end=month_end(month))
