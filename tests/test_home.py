"""The home page's services, on a small deterministic demo."""

from datetime import UTC, date, datetime

import pandas as pd
import pytest
from sqlmodel import select

from leaddash.analytics.overview import (
    month_to_date_windows,
    overdue_open_leads,
    stage_counts,
)
from leaddash.auth import find_active_actor
from leaddash.core.times import describe_due
from leaddash.db import read_session
from leaddash.demo import seed_demo
from leaddash.errors import Forbidden
from leaddash.models import Lead, StageEvent
from leaddash.queue.reads import open_leads_for_rep

TODAY = date(2026, 6, 15)  # a fixed clock: the demo is seeded as of this day
NOW = datetime(2026, 6, 15, 12, tzinfo=UTC)


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    from sqlmodel import SQLModel

    from leaddash.db import make_engine

    engine = make_engine(f"sqlite:///{tmp_path_factory.mktemp('home') / 'home.db'}")
    SQLModel.metadata.create_all(engine)
    seed_demo(engine, leads=1500, months=6, seed=3, today=TODAY)
    yield engine
    engine.dispose()


def _actor(engine, username):
    with read_session(engine) as s:
        return find_active_actor(s, username)


def test_rep_sees_only_own_open_leads_nearest_deadline_first(demo):
    rep = _actor(demo, "rep")
    with read_session(demo) as s:
        leads = open_leads_for_rep(s, actor=rep)
        owners = set(s.exec(select(Lead.owner_id).where(Lead.id.in_(leads["id"].tolist()))))
    assert len(leads) > 0 and owners == {rep.id}
    assert set(leads["stage"]) <= {"mql", "accepted"}
    dues = leads["due_at"].dropna()
    assert dues.is_monotonic_increasing


def test_rep_may_not_see_team_counts(demo):
    with read_session(demo) as s, pytest.raises(Forbidden):
        stage_counts(
            s,
            actor=_actor(demo, "rep"),
            start=datetime(2020, 1, 1, tzinfo=UTC),
            end=datetime(2100, 1, 1, tzinfo=UTC),
        )


def test_manager_counts_only_own_team(demo):
    manager = _actor(demo, "sales_manager")
    leader = _actor(demo, "sales_leader")
    window = {"start": datetime(2020, 1, 1, tzinfo=UTC), "end": datetime(2100, 1, 1, tzinfo=UTC)}
    with read_session(demo) as s:
        team = stage_counts(s, actor=manager, **window).set_index("stage")["leads"]
        everyone = stage_counts(s, actor=leader, **window).set_index("stage")["leads"]
        validated_in_team = s.exec(
            select(StageEvent.lead_id)
            .join(Lead, Lead.id == StageEvent.lead_id)
            .where(StageEvent.to_stage == "validated", Lead.team_id == manager.team_id)
        ).all()
    assert team["validated"] == len(set(validated_in_team))
    assert 0 < team["validated"] < everyone["validated"]


def test_overdue_counts_untouched_leads_past_deadline(demo):
    leader = _actor(demo, "sales_leader")
    now = NOW
    with read_session(demo) as s:
        expected = sum(
            1
            for lead in s.exec(select(Lead).where(Lead.stage.in_(["mql", "accepted"])))
            if lead.first_touch_at is None and lead.touch_due_at and lead.touch_due_at < now
        )
        assert overdue_open_leads(s, actor=leader, now=now) == expected
    assert expected > 0


def test_month_to_date_windows_compare_like_with_like():
    start, prev, same = month_to_date_windows(datetime(2026, 3, 31, 12, tzinfo=UTC))
    assert start == datetime(2026, 3, 1, tzinfo=UTC)
    assert prev == datetime(2026, 2, 1, tzinfo=UTC)
    assert same == datetime(2026, 3, 1, tzinfo=UTC)  # February is shorter: capped
    _, _, same = month_to_date_windows(datetime(2026, 11, 22, 6, tzinfo=UTC))
    assert same == datetime(2026, 10, 22, 6, tzinfo=UTC)


def test_describe_due_reads_like_a_person_would_say_it():
    now = datetime(2026, 11, 22, 12, tzinfo=UTC)
    assert describe_due(datetime(2026, 11, 22, 15, 20, tzinfo=UTC), now) == "3 h 20 min left"
    assert describe_due(datetime(2026, 11, 21, 10, tzinfo=UTC), now) == "overdue by 1 d 2 h"
    assert describe_due(pd.NaT, now) == "no deadline"
