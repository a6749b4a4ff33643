"""End to end: real queue actions, the facts refreshed, then the scorecard and breaches."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leaddash.analytics.breaches import breaches
from leaddash.analytics.filters import Filters
from leaddash.analytics.sla import scorecard
from leaddash.db import read_session, write_session
from leaddash.facts.refresh import refresh_facts
from leaddash.models import Role, utcnow
from leaddash.queue import actions
from leaddash.reasons import ensure_default_reasons
from tests.conftest import make_user
from tests.queue_factory import lead_now, make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


def test_a_validated_lead_and_an_untouched_one_as_the_scorecard_sees_them(engine):
    with write_session(engine) as session:
        ensure_default_reasons(session)
    rep = make_user(engine, "sam", Role.REP, team="East")
    leader = make_user(engine, "lea", Role.SALES_LEADER)
    done = make_lead(engine, rep, first="Val")
    waiting = make_lead(engine, rep, first="Una")
    with write_session(engine) as session:
        actions.validate_lead(
            session, actor=rep, lead_id=done.id, expected_version=lead_now(engine, done.id).version
        )
        refresh_facts(session, lead_ids=[done.id, waiting.id])

    def rows(now):
        with read_session(engine) as session:
            frame = scorecard(session, actor=leader, filters=Filters(), by="rep", now=now)
        return {r.metric: (r.numerator, r.denominator) for r in frame.itertuples()}

    today = rows(utcnow())
    assert today["first_touch"] == (0, 0)  # both deadlines are still ahead
    assert today["validation_rate"] == (1, 1)
    later = utcnow() + timedelta(days=10)
    assert rows(later)["first_touch"] == (1, 2)
    assert rows(later)["feedback_rate"] == (1, 2)
    with read_session(engine) as session:
        found = breaches(session, actor=leader, filters=Filters(), kind="untouched", now=later)
    assert list(found["name"]) == ["Una Lee"]
