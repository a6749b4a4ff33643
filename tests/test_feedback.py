"""Feedback to marketing: rejection and disqualification reasons by source, campaign,
definition clause and month, on a hand-built history.

Definition v1 ties no_fit to clause F1 and bad_data to D1; v2 ties no_fit to F3.
  A webinar c1  v1  Mar  validated
  B webinar c1  v1  Mar  disqualified no_fit
  C webinar c2  v2  Mar  disqualified no_fit
  D ads     c2  v1  Mar  rejected bad_data
  E ads     -   v1  Feb  disqualified no_need (no clause)
  F webinar c1  v1  Mar  sample, disqualified no_fit   (left out)
  G ads     c2  v1  Mar  still undecided               (left out)
"""

from __future__ import annotations

import pytest

from leaddash.analytics.feedback import FEEDBACK_COLUMNS, reasons_by
from leaddash.analytics.filters import Filters
from leaddash.db import read_session
from leaddash.errors import Forbidden
from leaddash.models import Role
from tests.conftest import make_user
from tests.pass_factory import DEFINITION, activate, add_pass

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

ALL = Filters()
NO = {"exit_at": "2026-03-05 15:00"}


@pytest.fixture
def history(engine):
    rep = make_user(engine, "ann", Role.REP, team="East")
    v1 = activate(
        engine,
        DEFINITION,
        {
            "reasons": [
                {"code": "no_fit", "clause": "F1"},
                {"code": "bad_data", "clause": "D1"},
                {"code": "no_need", "clause": None},
            ]
        },
        number=1,
    )
    v2 = activate(engine, DEFINITION, {"reasons": [{"code": "no_fit", "clause": "F3"}]}, number=2)
    base = {"owner_id": rep.id, "team_id": rep.team_id, "mql_at": "2026-03-02 14:00"}
    add_pass(
        engine,
        "A",
        **base,
        source="webinar",
        campaign="c1",
        definition_version_id=v1,
        validated_at="2026-03-04 15:00",
    )
    add_pass(
        engine,
        "B",
        **base,
        source="webinar",
        campaign="c1",
        definition_version_id=v1,
        exit_stage="disqualified",
        exit_reason="no_fit",
        **NO,
    )
    add_pass(
        engine,
        "C",
        **base,
        source="webinar",
        campaign="c2",
        definition_version_id=v2,
        exit_stage="disqualified",
        exit_reason="no_fit",
        **NO,
    )
    add_pass(
        engine,
        "D",
        **base,
        source="ads",
        campaign="c2",
        definition_version_id=v1,
        exit_stage="rejected",
        exit_reason="bad_data",
        **NO,
    )
    add_pass(
        engine,
        "E",
        **{**base, "mql_at": "2026-02-02 14:00"},
        source="ads",
        definition_version_id=v1,
        exit_stage="disqualified",
        exit_reason="no_need",
        **NO,
    )
    add_pass(
        engine,
        "F",
        **base,
        source="webinar",
        campaign="c1",
        definition_version_id=v1,
        is_sample=True,
        exit_stage="disqualified",
        exit_reason="no_fit",
        **NO,
    )
    add_pass(engine, "G", **base, source="ads", campaign="c2", definition_version_id=v1)
    return {
        "rep": rep,
        "leader": make_user(engine, "lea", Role.MARKETING_LEADER),
        "west": make_user(engine, "wes", Role.SALES_MANAGER, team="West"),
    }


def rows(engine, actor, by, filters=ALL):
    with read_session(engine) as session:
        frame = reasons_by(session, actor=actor, filters=filters, by=by)
    assert list(frame.columns) == FEEDBACK_COLUMNS
    return [
        (r.label, r.stage, r.reason, r.leads, r.decisions, round(r.share, 3))
        for r in frame.itertuples()
    ]


def test_reasons_by_source_as_a_share_of_the_sources_decisions(engine, history):
    assert rows(engine, history["leader"], "source") == [
        ("ads", "rejected", "bad_data", 1, 2, 0.5),
        ("ads", "disqualified", "no_need", 1, 2, 0.5),
        ("webinar", "disqualified", "no_fit", 2, 3, 0.667),
    ]


def test_reasons_by_campaign_name_leads_without_one(engine, history):
    assert [
        (label, reason, share)
        for label, _, reason, _, _, share in rows(engine, history["leader"], "campaign")
    ] == [
        ("No campaign", "no_need", 1.0),
        ("c1", "no_fit", 0.5),
        ("c2", "bad_data", 0.5),
        ("c2", "no_fit", 0.5),
    ]


def test_reasons_by_the_clause_their_definition_version_names(engine, history):
    assert rows(engine, history["leader"], "clause") == [
        ("D1", "rejected", "bad_data", 1, 5, 0.2),
        ("F1", "disqualified", "no_fit", 1, 5, 0.2),
        ("F3", "disqualified", "no_fit", 1, 5, 0.2),
        ("No clause", "disqualified", "no_need", 1, 5, 0.2),
    ]


def test_reasons_by_month_and_within_a_date_range(engine, history):
    assert rows(engine, history["leader"], "month") == [
        ("2026-02", "disqualified", "no_need", 1, 1, 1.0),
        ("2026-03", "disqualified", "no_fit", 2, 4, 0.5),
        ("2026-03", "rejected", "bad_data", 1, 4, 0.25),
    ]
    from datetime import date

    march = Filters(start=date(2026, 3, 1), end=date(2026, 3, 31))
    assert {r[0] for r in rows(engine, history["leader"], "source", march)} == {"ads", "webinar"}
    assert [r[2] for r in rows(engine, history["leader"], "source", march) if r[0] == "ads"] == [
        "bad_data"
    ]


def test_scope_and_empty_results(engine, history):
    assert rows(engine, history["west"], "clause") == []  # another team's leads
    with read_session(engine) as session, pytest.raises(Forbidden):
        reasons_by(session, actor=history["rep"], filters=ALL, by="source")
