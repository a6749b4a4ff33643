"""Activities and outcomes imports on both databases: writes, re-imports, bad rows, MQLs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import insert
from sqlmodel import select

from leaddash.db import read_session, write_session
from leaddash.definitions import summarize
from leaddash.demo.agreements import definition_v3
from leaddash.imports import load_mapping
from leaddash.models import (
    Activity,
    AgreementVersion,
    Lead,
    Role,
    RoutingRule,
    StageEvent,
)
from tests.conftest import make_user
from tests.test_import_leads import counts, leads, run

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


def _activities(engine) -> list[tuple]:
    with read_session(engine) as session:
        rows = session.exec(
            select(Lead.external_id, Lead.email_key, Activity.type, Activity.detail)
            .join(Lead, Lead.id == Activity.lead_id)
            .order_by(Activity.occurred_at)
        ).all()
    return [(ext or email, kind, detail) for ext, email, kind, detail in rows]


def _events(engine, lead_id: int) -> list[tuple]:
    with read_session(engine) as session:
        return [
            (e.from_stage, e.to_stage, e.occurred_at.date().isoformat())
            for e in session.exec(
                select(StageEvent).where(StageEvent.lead_id == lead_id).order_by(StageEvent.id)
            )
        ]


def test_activities_attach_to_leads_by_id_or_email_once(engine):
    run(engine, "leads_plain.csv")

    first = run(engine, "activities.csv", "activities")
    before = counts(engine)
    again = run(engine, "activities.csv", "activities")

    assert (first.created, first.written) == (3, True)
    assert _activities(engine) == [
        ("P-1", "webinar", "Spring webinar"),
        ("kim@beta.example", "demo_request", None),
        ("P-2", "pricing_page", None),
    ]
    assert again.summary() == "Nothing changed: all 3 rows match what is stored."
    assert counts(engine) == before


def test_an_unknown_type_or_lead_refuses_the_whole_file(engine):
    run(engine, "leads_plain.csv")
    before = counts(engine)
    data = (
        "external_id,type,timestamp\nP-1,webinar,2024-06-05\nP-1,party,2024-06-05\n"
        "P-404,webinar,2024-06-05\n"
    )

    result = run(engine, data, "activities")

    assert result.refused
    assert result.report() == [
        (
            "Row 3, column 'type': 'party' is not a known activity type. Use one of: "
            "content_download, demo_request, email_click, form_fill, pricing_page, web_visit, "
            "webinar."
        ),
        (
            "Row 4, column 'external_id': No lead has 'P-404'. Import the lead first (import "
            "leads), or correct the id or email."
        ),
    ]
    assert counts(engine) == before


def test_new_activities_qualify_and_route_an_inquiry(engine):
    rep = make_user(engine, "rita", Role.REP, team="East")
    with write_session(engine) as session:
        now = datetime.now(UTC)
        session.connection().execute(
            insert(AgreementVersion.__table__),
            [
                {
                    "kind": "definition",
                    "number": 1,
                    "title": "v1",
                    "status": "active",
                    "content": definition_v3(),
                    "summary": summarize(definition_v3()),
                    "created_at": now,
                    "updated_at": now,
                    "effective_from": now,
                    "version": 1,
                }
            ],
        )
        session.connection().execute(
            insert(RoutingRule.__table__),
            [{"priority": 1, "team_id": rep.team_id, "is_active": True, "version": 1}],
        )
    run(engine, "leads_plain.csv")
    today = datetime.now(UTC).date().isoformat()

    result = run(
        engine,
        f"external_id,type,timestamp\nP-1,demo_request,{today}\n"
        f"P-1,form_fill,{today}\nP-1,webinar,{today}\n",
        "activities",
    )

    lead = leads(engine)["P-1"]
    assert (result.new_mqls, result.routed) == (1, 1)
    assert result.summary().endswith("1 leads became MQLs; 1 went to a rep.")
    assert (lead.stage, lead.owner_id) == ("mql", rep.id)


def test_outcomes_move_the_stage_with_events_in_date_order_and_only_once(engine):
    run(engine, "leads_plain.csv")

    first = run(engine, "outcomes.csv", "outcomes")
    before = counts(engine)
    again = run(engine, "outcomes.csv", "outcomes")

    stored = leads(engine)
    assert (first.created, again.summary()) == (
        3,
        "Nothing changed: all 3 rows match what is stored.",
    )
    assert (stored["P-1"].stage, stored["P-1"].amount) == ("won", 25000.0)
    assert _events(engine, stored["P-1"].id)[1:] == [
        ("inquiry", "sql", "2024-07-01"),
        ("sql", "won", "2024-08-15"),
    ]
    assert stored["kim@beta.example"].stage == "lost"
    assert counts(engine) == before


def test_a_new_amount_for_a_recorded_outcome_updates_only_the_amount(engine):
    run(engine, "leads_plain.csv")
    run(engine, "outcomes.csv", "outcomes")
    events = counts(engine)["stageevent"]

    result = run(engine, "external_id,stage,date,amount\nP-1,won,2024-08-15,30000\n", "outcomes")

    assert (result.created, result.updated) == (0, 1)
    assert leads(engine)["P-1"].amount == 30000.0
    assert counts(engine)["stageevent"] == events


def test_outcome_rows_name_unknown_leads_and_pre_sales_stages(engine):
    run(engine, "leads_plain.csv")
    before = counts(engine)
    mapping = load_mapping(
        "fields:\n  email: Mail\n  stage: Phase\n  occurred_at: Day\n"
        "stage_values:\n  Closed Won: won\n",
        "outcomes",
    )

    result = run(
        engine,
        "Mail,Phase,Day\nivy@acme.example,mql,2024-07-01\n"
        "who@nowhere.example,Closed Won,2024-07-01\n",
        "outcomes",
        mapping=mapping,
    )

    assert result.report() == [
        (
            "Row 2, column 'Phase': 'mql' is not a known outcome. Use one of: Closed Won, lost, "
            "opportunity, sql, won (or map it under stage_values in a mapping file)."
        ),
        (
            "Row 3, column 'Mail': No lead has 'who@nowhere.example'. Import the lead first "
            "(import leads), or correct the id or email."
        ),
    ]
    assert counts(engine) == before
