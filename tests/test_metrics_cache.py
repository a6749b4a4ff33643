"""Cached dashboard reads: keyed by the data version, the actor and the filters."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd

from leaddash.analytics.filters import Filters
from leaddash.audit import act_as
from leaddash.core.actor import Actor
from leaddash.db import write_session
from leaddash.models import Team
from leaddash.ui.metrics_cache import cached_metric, now_slot
from tests.apptest import use_database

CALLS: list[tuple] = []
MANAGER = Actor(id=1, username="mia", role="sales_manager", team_id=1)
OTHER_MANAGER = Actor(id=2, username="max", role="sales_manager", team_id=2)


def counting_metric(session, *, actor: Actor, filters: Filters, now: datetime) -> pd.DataFrame:
    CALLS.append((actor.username, filters, now))
    return pd.DataFrame({"team": [actor.team_id]})


def test_a_second_read_is_served_from_the_cache(engine, monkeypatch):
    use_database(engine, monkeypatch)
    CALLS.clear()

    first = cached_metric(counting_metric, actor=MANAGER, filters=Filters())
    second = cached_metric(counting_metric, actor=MANAGER, filters=Filters())

    assert len(CALLS) == 1 and first.equals(second)


def test_a_committed_write_anywhere_refreshes_the_read(engine, monkeypatch):
    use_database(engine, monkeypatch)
    CALLS.clear()
    cached_metric(counting_metric, actor=MANAGER, filters=Filters())

    with write_session(engine) as session:
        act_as(session, None, "team.create")
        session.add(Team(name="South"))
    cached_metric(counting_metric, actor=MANAGER, filters=Filters())

    assert len(CALLS) == 2


def test_another_user_or_other_filters_never_get_a_cached_answer(engine, monkeypatch):
    use_database(engine, monkeypatch)
    CALLS.clear()

    mine = cached_metric(counting_metric, actor=MANAGER, filters=Filters())
    theirs = cached_metric(counting_metric, actor=OTHER_MANAGER, filters=Filters())
    cached_metric(counting_metric, actor=MANAGER, filters=Filters(source="Webinar"))

    assert (mine["team"].item(), theirs["team"].item()) == (1, 2)
    assert len(CALLS) == 3


def test_now_is_rounded_down_to_its_five_minute_slot():
    assert now_slot(datetime(2026, 3, 2, 10, 7, 59, tzinfo=UTC)) == datetime(
        2026, 3, 2, 10, 5, tzinfo=UTC
    )
