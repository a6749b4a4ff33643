"""Queue reads: the rep's open leads overdue first, and one lead's facts and timeline."""

from __future__ import annotations

from datetime import timedelta

import pytest

from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden
from leaddash.models import Activity, AgreementVersion, Role
from leaddash.queue.actions import log_attempt, reject_lead
from leaddash.queue.reads import lead_detail, rep_queue
from leaddash.reasons import ensure_default_reasons
from tests.conftest import make_user
from tests.queue_factory import make_lead
from tests.test_routing import DEFINITION

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


@pytest.fixture
def rep(engine):
    with write_session(engine) as session:
        ensure_default_reasons(session)
    return make_user(engine, "sam", Role.REP, team="East")


def test_queue_lists_open_own_leads_overdue_first(engine, rep):
    make_lead(engine, rep, first="Soon", due_in=timedelta(hours=1))
    make_lead(engine, rep, first="Late", due_in=timedelta(hours=-3))
    done = make_lead(engine, rep, first="Done")
    make_lead(engine, make_user(engine, "kim", Role.REP, team="East"), first="Theirs")
    with write_session(engine) as session:
        reject_lead(
            session, actor=rep, lead_id=done.id, expected_version=None, reason_code="bad_data"
        )
    with read_session(engine) as session:
        queue = rep_queue(session, actor=rep)
    assert queue["name"].tolist() == ["Late Lee", "Soon Lee"]
    assert queue["overdue"].tolist() == [True, False]
    assert queue["due"].iloc[0].startswith("overdue by ")


def test_detail_shows_facts_and_a_timeline_newest_first(engine, rep):
    lead = make_lead(engine, rep, custom={"plan": "Pro"})
    with write_session(engine) as session:
        log_attempt(
            session,
            actor=rep,
            lead_id=lead.id,
            expected_version=None,
            channel="call",
            outcome="voicemail",
            note="left a voicemail",
        )
    with read_session(engine) as session:
        detail = lead_detail(session, actor=rep, lead_id=lead.id)
    assert detail.facts["Company"] == "Acme Corp" and detail.facts["plan"] == "Pro"
    assert [(i.text, i.who) for i in detail.timeline] == [
        ("Stage mql → accepted", "Sam"),
        ("Call attempt (voicemail): left a voicemail", "Sam"),
        ("Stage inquiry → mql", ""),
    ]
    assert (detail.attempts, detail.min_attempts, detail.explanation) == (1, 3, None)


def test_detail_of_another_reps_lead_is_refused(engine, rep):
    lead = make_lead(engine, rep)
    other = make_user(engine, "kim", Role.REP, team="East")
    with read_session(engine) as session, pytest.raises(Forbidden):
        lead_detail(session, actor=other, lead_id=lead.id)


def test_the_score_is_explained_as_of_qualification_not_today(engine, rep):
    lead = make_lead(engine, rep)
    with write_session(engine) as session:
        version = AgreementVersion(
            kind="definition", number=1, title="Def", status="active", content=DEFINITION
        )
        session.add(version)
        session.flush()
        stored = session.get(type(lead), lead.id)
        stored.definition_version_id = version.id
        before, after = stored.mql_at - timedelta(hours=2), stored.mql_at + timedelta(minutes=30)
        session.add_all(
            [
                Activity(lead_id=lead.id, type="form_fill", occurred_at=before),
                Activity(lead_id=lead.id, type="form_fill", occurred_at=before),
                Activity(lead_id=lead.id, type="form_fill", occurred_at=after),
            ]
        )

    with read_session(engine) as session:
        detail = lead_detail(session, actor=rep, lead_id=lead.id)

    assert detail.explanation.as_of == lead.mql_at
    assert detail.explanation.sentence() == "MQL: fits, and scores 40 of 40 needed."
