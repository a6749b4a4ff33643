"""History imports on both databases: a CRM's stage dates become stage events in funnel
order, timelines that disagree are row problems, stored history is only ever extended."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest
from sqlalchemy import func
from sqlmodel import select

from leaddash.analytics.filters import Filters
from leaddash.analytics.funnel import waterfall
from leaddash.auth import CLI_ACTOR
from leaddash.db import read_session, write_session
from leaddash.definitions import default_definition_content
from leaddash.fact_tables import LeadPass
from leaddash.facts.refresh import rebuild_all_facts
from leaddash.imports import import_file, load_mapping, read_table, writing
from leaddash.models import AgreementVersion, Lead, Role, StageEvent
from leaddash.rescoring import rescore
from leaddash.users import create_user
from tests.conftest import TEST_PASSWORD
from tests.event_history import activate_sla, facts_table
from tests.test_import_leads import counts
from tests.test_rollups import rollup_rows

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
DEALS_MAPPING = """
fields:
  external_id: opportunity_id
  owner: sales_agent
  stage: deal_stage
  opportunity_at: engage_date
  stage_at: close_date
  amount: close_value
stage_values:
  Prospecting: sql
  Engaging: opportunity
  Won: won
  Lost: lost
"""
# The same export's later files, with fewer columns.
CLOSED_MAPPING = """
fields: {external_id: opportunity_id, stage: deal_stage, stage_at: close_date}
stage_values: {Won: won, Lost: lost, Engaging: opportunity}
"""
OPEN_MAPPING = """
fields: {external_id: opportunity_id, stage: deal_stage, opportunity_at: engage_date,
         stage_at: close_date}
stage_values: {Won: won, Lost: lost, Engaging: opportunity}
"""
DEALS = """opportunity_id,sales_agent,deal_stage,engage_date,close_date,close_value
1C1I7A6R,Moses Frase,Won,2016-10-20,2017-03-01,1054
Z063OYW0,Darcel Schlecht,Won,2016-10-25,2017-03-11,4514
EC4QE1BX,Darcel Schlecht,Lost,2016-10-25,2017-03-07,0
MV1LWRNH,Moses Frase,Engaging,2017-05-01,,
PE84CX4O,moses frase,Prospecting,,,
"""


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


@pytest.fixture
def agents(engine) -> dict[str, int]:
    """Two reps known by their display names, as an opportunity export names them."""
    with write_session(engine) as session:
        ids = {}
        for username, name in (("mfrase", "Moses Frase"), ("dschlecht", "Darcel Schlecht")):
            user = create_user(
                session,
                actor=CLI_ACTOR,
                username=username,
                role=Role.REP,
                password=TEST_PASSWORD,
                name=name,
            )
            ids[name] = user.id
        return ids


def run(engine, text: str, mapping: str = DEALS_MAPPING, **options):
    with write_session(engine) as session:
        return import_file(
            session,
            actor=CLI_ACTOR,
            kind="leads",
            table=read_table(text.encode(), "deals.csv"),
            mapping=load_mapping(mapping),
            at=NOW,
            **options,
        )


def timeline(engine, external_id: str) -> list[tuple]:
    """Return the lead's stage events as (from, to, when, time known), in order."""
    with read_session(engine) as session:
        lead = session.exec(select(Lead).where(Lead.external_id == external_id)).one()
        events = session.exec(
            select(StageEvent)
            .where(StageEvent.lead_id == lead.id)
            .order_by(StageEvent.occurred_at, StageEvent.id)
        ).all()
        return [(e.from_stage, e.to_stage, e.occurred_at, e.time_known) for e in events]


def lead(engine, external_id: str) -> Lead:
    with read_session(engine) as session:
        return session.exec(select(Lead).where(Lead.external_id == external_id)).one()


def test_an_opportunity_export_loads_each_deal_at_its_own_dates(engine, agents):
    result = run(engine, DEALS)

    assert result.summary() == (
        "Imported deals.csv: 5 new leads, 0 updated, 0 unchanged. 8 stage changes of their "
        "history recorded at their own dates."
    )
    assert timeline(engine, "1C1I7A6R") == [
        (None, "inquiry", at("2016-10-20 00:00"), True),
        ("inquiry", "opportunity", at("2016-10-20 00:00"), True),
        ("opportunity", "won", at("2017-03-01 00:00"), True),
    ]
    won = lead(engine, "1C1I7A6R")
    assert (won.stage, won.owner_id, won.amount, won.is_history, won.mql_at) == (
        "won",
        agents["Moses Frase"],
        1054.0,
        True,
        None,
    )
    assert timeline(engine, "EC4QE1BX")[-1] == ("opportunity", "lost", at("2017-03-07 00:00"), True)


def test_an_open_deal_without_dates_is_at_its_stage_with_no_time(engine, agents):
    run(engine, DEALS)

    assert timeline(engine, "PE84CX4O") == [
        (None, "inquiry", NOW, True),
        ("inquiry", "sql", NOW, False),
    ]
    prospect = lead(engine, "PE84CX4O")
    assert (prospect.stage, prospect.owner_id, prospect.created_at) == (
        "sql",
        agents["Moses Frase"],
        NOW,
    )


def test_history_leads_are_never_qualified_by_the_definition(engine, agents):
    result = run(engine, DEALS)

    assert (result.new_mqls, result.routed) == (0, 0)
    with read_session(engine) as session:
        assert (
            session.exec(
                select(func.count()).select_from(StageEvent).where(StageEvent.to_stage == "mql")
            ).one()
            == 0
        )


def test_importing_the_same_history_twice_changes_nothing(engine, agents):
    run(engine, DEALS)
    before = counts(engine)

    again = run(engine, DEALS)

    assert again.summary() == "Nothing changed: all 5 rows match what is stored."
    assert counts(engine) == before


def test_a_file_that_extends_a_history_appends_to_it(engine, agents):
    run(engine, DEALS)

    later = run(
        engine,
        "opportunity_id,deal_stage,close_date,close_value\nMV1LWRNH,Won,2017-06-30,2200\n",
        CLOSED_MAPPING.replace("close_date}", "close_date, amount: close_value}"),
    )

    assert later.summary() == (
        "Imported deals.csv: 0 new leads, 1 updated, 0 unchanged. 1 stage changes of their "
        "history recorded at their own dates."
    )
    assert timeline(engine, "MV1LWRNH")[-1] == ("opportunity", "won", at("2017-06-30 00:00"), True)
    extended = lead(engine, "MV1LWRNH")
    assert (extended.stage, extended.stage_changed_at, extended.amount) == (
        "won",
        at("2017-06-30 00:00"),
        2200.0,
    )


def test_a_won_date_before_the_engage_date_is_a_row_problem(engine, agents):
    before = counts(engine)

    result = run(
        engine,
        "opportunity_id,deal_stage,engage_date,close_date\nA1,Won,2017-03-01,2016-10-20\n",
        OPEN_MAPPING,
    )

    assert result.refused
    assert [p.line() for p in result.problems] == [
        (
            "Row 2, column 'close_date': The lead reached won on 2016-10-20, before it reached "
            "opportunity on 2017-03-01 (engage_date): the dates disagree. Correct whichever date "
            "is wrong; stages are imported in funnel order and never reordered."
        )
    ]
    assert counts(engine) == before


def test_an_outcome_dated_before_the_stored_history_is_a_row_problem(engine, agents):
    run(engine, DEALS)
    before = counts(engine)

    result = run(
        engine, "opportunity_id,deal_stage,close_date\nMV1LWRNH,Won,2017-04-01\n", CLOSED_MAPPING
    )

    assert [p.line() for p in result.problems] == [
        (
            "Row 2, column 'close_date': The file says the lead reached won on 2017-04-01, "
            "before its last recorded stage change (opportunity, 2017-05-01). Stages are added "
            "after what LeadDash already has, never before: correct the date or the stage, or "
            "leave the cell empty."
        )
    ]
    assert counts(engine) == before
    assert lead(engine, "MV1LWRNH").stage == "opportunity"


def test_a_closed_stage_without_a_date_is_a_row_problem(engine, agents):
    result = run(engine, "opportunity_id,deal_stage,close_date\nB2,Won,\n", CLOSED_MAPPING)

    assert [(p.row, p.column, p.problem) for p in result.problems] == [
        (
            2,
            "deal_stage",
            ("The stage 'Won' is a decision or a close, and the row gives no date for it."),
        )
    ]


def test_dates_after_the_import_are_refused(engine, agents):
    result = run(
        engine,
        "opportunity_id,deal_stage,engage_date,close_date\nC3,Won,2026-11-20,2027-01-15\n",
        OPEN_MAPPING,
    )

    assert [(p.column, p.problem) for p in result.problems] == [
        ("close_date", ("2027-01-15 is after today: a history import holds what has happened."))
    ]


def test_an_open_deals_expected_close_date_is_not_a_stage_date(engine, agents):
    run(
        engine,
        "opportunity_id,deal_stage,engage_date,close_date\nC3,Engaging,2026-11-20,2027-01-15\n",
        OPEN_MAPPING,
    )

    assert timeline(engine, "C3") == [
        (None, "inquiry", at("2026-11-20 00:00"), True),
        ("inquiry", "opportunity", at("2026-11-20 00:00"), True),
    ]


def test_a_history_lead_has_one_pass_with_observed_and_skipped_stages(engine, agents):
    run(engine, DEALS)

    with read_session(engine) as session:
        won = lead(engine, "1C1I7A6R")
        [row] = session.exec(select(LeadPass).where(LeadPass.lead_id == won.id)).all()

    assert (row.mql_at, row.sql_at, row.opportunity_at, row.won_at, row.amount) == (
        None,
        None,
        at("2016-10-20 00:00"),
        at("2017-03-01 00:00"),
        1054.0,
    )
    assert (row.mql_month, row.sql_month, row.won_month, row.validated_at) == (
        201610,
        201610,
        201703,
        None,
    )


def outcomes(engine, text: str):
    with write_session(engine) as session:
        return import_file(
            session,
            actor=CLI_ACTOR,
            kind="outcomes",
            table=read_table(text.encode(), "outcomes.csv"),
            at=NOW,
        )


def test_an_outcome_dated_before_the_leads_last_stage_change_is_refused(engine, agents):
    run(engine, DEALS)
    before = counts(engine)

    result = outcomes(engine, "external_id,stage,date\nMV1LWRNH,won,2017-04-30\n")

    assert [p.line() for p in result.problems] == [
        (
            "Row 2, column 'date': The file says the lead reached won on 2017-04-30, before its "
            "last recorded stage change (opportunity, 2017-05-01). Stages are added after what "
            "LeadDash already has, never before: correct the date or the stage, or leave the "
            "cell empty."
        )
    ]
    assert counts(engine) == before


def test_an_outcome_never_moves_a_lead_backwards(engine, agents):
    run(engine, DEALS)

    result = outcomes(engine, "external_id,stage,date\n1C1I7A6R,sql,2017-05-01\n")

    assert [p.problem for p in result.problems] == [
        (
            "The file says the lead reached sql on 2017-05-01, but it is already won (since "
            "2017-03-01)."
        )
    ]
    assert lead(engine, "1C1I7A6R").stage == "won"


def test_a_later_outcome_extends_the_history_and_a_repeat_changes_nothing(engine, agents):
    run(engine, DEALS)
    text = "external_id,stage,date,amount\nMV1LWRNH,lost,2017-08-01,\nMV1LWRNH,lost,2017-08-01,\n"

    first = outcomes(engine, text)
    before = counts(engine)
    again = outcomes(engine, text)

    assert first.created == 1
    assert timeline(engine, "MV1LWRNH")[-1] == ("opportunity", "lost", at("2017-08-01 00:00"), True)
    assert again.summary() == "Nothing changed: all 2 rows match what is stored."
    assert counts(engine) == before


def test_one_outcome_with_two_dates_in_a_file_is_refused(engine, agents):
    run(engine, DEALS)

    result = outcomes(
        engine, "external_id,stage,date\nMV1LWRNH,won,2017-08-01\nMV1LWRNH,won,2017-09-01\n"
    )

    assert [(p.row, p.problem) for p in result.problems] == [
        (3, ("Another row says this lead reached won on 2017-08-01; this one says 2017-09-01."))
    ]


def test_outcomes_of_one_lead_after_it_closed_in_the_same_file_are_refused(engine, agents):
    run(engine, DEALS)

    result = outcomes(
        engine, "external_id,stage,date\nMV1LWRNH,won,2017-08-01\nMV1LWRNH,lost,2017-09-01\n"
    )

    assert [(p.row, p.problem) for p in result.problems] == [
        (
            3,
            (
                "This row says the lead reached lost on 2017-09-01, after a row of this file "
                "closed it or moved it further on."
            ),
        )
    ]


def test_an_outcome_before_an_undated_stage_says_when_that_stage_was_recorded(engine, agents):
    run(engine, DEALS)

    result = outcomes(engine, "external_id,stage,date\nPE84CX4O,won,2017-08-01\n")

    assert [p.problem for p in result.problems] == [
        (
            "The file says the lead reached won on 2017-08-01, before its last recorded stage "
            "change (sql, recorded without a date on 2026-12-01 12:00, when it was imported)."
        )
    ]


SCORING_EXPORT = "Prospect ID,Converted,Country\nX1,0,India\nX2,1,United States\n"
SCORING_MAPPING = """
fields:
  external_id: Prospect ID
  stage: Converted
  stage_at: {value: "2024-06-30"}
  country: Country
stage_values: {"0": inquiry, "1": won}
"""


def every_lead_qualifies(engine) -> AgreementVersion:
    """Store an active definition every lead meets (no rule, threshold 0)."""
    content = default_definition_content()
    content.update(fit_rules=[], disqualifiers=[], threshold=0)
    content["reasons"] = [{**r, "clause": None} for r in content["reasons"]]
    with write_session(engine) as session:
        version = AgreementVersion(
            kind="definition",
            number=1,
            title="everyone",
            status="active",
            content=content,
            effective_from=NOW,
        )
        session.add(version)
        session.flush()
        session.expunge(version)
        return version


def test_a_file_without_dates_loads_with_a_fixed_stage_date(engine):
    result = run(engine, SCORING_EXPORT, SCORING_MAPPING)

    assert result.history_events == 1
    assert timeline(engine, "X2") == [
        (None, "inquiry", at("2024-06-30 00:00"), True),
        ("inquiry", "won", at("2024-06-30 00:00"), True),
    ]
    assert (lead(engine, "X1").stage, lead(engine, "X1").created_at) == ("inquiry", NOW)
    assert lead(engine, "X2").country == "US"


def test_a_new_definition_never_qualifies_a_history_lead(engine):
    run(engine, SCORING_EXPORT, SCORING_MAPPING)
    run(engine, "Prospect ID\nLIVE-1\n", "fields: {external_id: Prospect ID}\n")
    version = every_lead_qualifies(engine)

    with write_session(engine) as session:
        rescore(session, session.get(AgreementVersion, version.id), as_of=NOW)

    assert lead(engine, "X1").stage == "inquiry"
    assert lead(engine, "LIVE-1").stage == "mql"


def test_a_date_without_a_zone_is_a_day_of_the_teams_calendar(engine, agents):
    activate_sla(engine)  # New York

    run(
        engine,
        "opportunity_id,deal_stage,engage_date,close_date\nNY1,Won,2017-02-01,2017-03-01\n",
        OPEN_MAPPING,
    )

    with read_session(engine) as session:
        [row] = session.exec(select(LeadPass)).all()
    # Midnight of 1 March in New York is 05:00 UTC, and its month is March, not February.
    assert (row.won_at, row.won_month) == (at("2017-03-01 05:00"), 201703)


def test_the_waterfall_counts_a_prospect_at_its_stage_not_past_it(engine, agents):
    run(engine, DEALS)

    with read_session(engine) as session:
        frame = waterfall(session, actor=CLI_ACTOR, filters=Filters())

    past = dict(zip(frame["stage"], frame["went_past"], strict=True))
    leads = dict(zip(frame["stage"], frame["leads"], strict=True))
    # Five deals reached sql; four went past it to opportunity, the prospect is at sql.
    assert (leads["sql"], past["sql"]) == (5, 4)
    assert (leads["mql"], past["mql"], past["opportunity"]) == (5, 5, 0)


def sqlite_indexes(engine) -> list[tuple[str, str]]:
    with engine.connect() as connection:
        return connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND sql IS NOT NULL "
            "ORDER BY name"
        ).all()


def test_a_large_history_import_rebuilds_the_indexes_it_set_aside(sqlite_engine, monkeypatch):
    monkeypatch.setattr(writing, "DEFER_INDEXES_FROM", 1)
    before = sqlite_indexes(sqlite_engine)

    run(
        sqlite_engine,
        DEALS.replace("Moses Frase", "").replace("moses frase", "").replace("Darcel Schlecht", ""),
    )

    assert sqlite_indexes(sqlite_engine) == before
    assert timeline(sqlite_engine, "1C1I7A6R")[-1] == (
        "opportunity",
        "won",
        at("2017-03-01 00:00"),
        True,
    )
    with sqlite_engine.connect() as connection:
        plan = connection.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT id FROM stageevent WHERE lead_id = 1"
        ).all()
    assert "ix_stageevent_lead_time" in str(plan)


def test_a_history_imports_facts_and_rollups_equal_a_rebuild_from_the_database(engine, agents):
    run(engine, DEALS)
    run(engine, SCORING_EXPORT, SCORING_MAPPING)
    outcomes(engine, "external_id,stage,date\nMV1LWRNH,lost,2017-08-01\n")
    written, counted = facts_table(engine), rollup_rows(engine)

    with write_session(engine) as session:
        rebuild_all_facts(session)

    assert facts_table(engine) == written
    assert rollup_rows(engine) == counted
    assert len(written) == 7


def test_a_value_every_row_shares_is_written_as_it_is_quotes_and_all(sqlite_engine):
    note = "Imported from O'Brien's deals.csv'); DROP TABLE lead; --"
    with write_session(sqlite_engine) as session:
        lead = Lead(first_name="Q")
        session.add(lead)
        session.flush()
        writing.insert_frame(
            session,
            StageEvent,
            pd.DataFrame(
                {
                    "lead_id": [lead.id, lead.id],
                    "to_stage": "inquiry",
                    "note": note,
                    "occurred_at": pd.Series([NOW, NOW], dtype="datetime64[us, UTC]"),
                    "time_known": True,
                    "reason_code": None,
                }
            ),
        )

    with read_session(sqlite_engine) as session:
        stored = session.exec(select(StageEvent)).all()
    assert [(e.note, e.occurred_at, e.time_known, e.reason_code) for e in stored] == [
        (note, NOW, True, None)
    ] * 2
