"""The LeadPass facts: passes, milestones, SLA times and month keys from hand-built
histories, on both databases; a rebuild equals the refreshes."""

from __future__ import annotations

import pytest

from leaddash.db import write_session
from leaddash.facts.refresh import rebuild_all_facts, refresh_facts
from leaddash.models import Lead, Role, StageEvent
from tests.conftest import make_user
from tests.event_history import (
    TOUCH,
    Step,
    activate_sla,
    add_history,
    at,
    facts_table,
    passes_of,
)

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too


@pytest.fixture
def rep(engine):
    return make_user(engine, "rita", Role.REP, team="North")


def whole_funnel(rep_id: int) -> list[Step]:
    """Return a lead's history from inquiry (a Sunday) to won, MQL on Monday 10:00 New
    York, touched 3.5 business hours later."""
    return [
        Step("2026-03-01 12:00", "inquiry"),
        Step("2026-03-02 15:00", "mql"),
        Step("2026-03-02 16:00", "accepted", by=rep_id),
        Step("2026-03-02 18:30", TOUCH, by=rep_id),
        Step("2026-03-03 15:00", "validated", by=rep_id),
        Step("2026-03-10 15:00", "sql", by=rep_id),
        Step("2026-03-20 15:00", "opportunity", by=rep_id),
        Step("2026-04-10 15:00", "won", by=rep_id),
    ]


def test_a_lead_through_the_whole_funnel_has_one_pass_with_every_milestone(engine, rep):
    activate_sla(engine)
    lead_id = add_history(
        engine,
        whole_funnel(rep.id),
        owner_id=rep.id,
        team_id=rep.team_id,
        source="Webinar",
        touch_due_at=at("2026-03-02 19:00"),
    )

    [row] = passes_of(engine, lead_id)

    assert (row.pass_no, row.owner_id, row.team_id, row.source) == (
        1,
        rep.id,
        rep.team_id,
        "Webinar",
    )
    assert [
        row.inquiry_at,
        row.mql_at,
        row.accepted_at,
        row.validated_at,
        row.sql_at,
        row.opportunity_at,
        row.won_at,
    ] == [
        at("2026-03-01 12:00"),
        at("2026-03-02 15:00"),
        at("2026-03-02 16:00"),
        at("2026-03-03 15:00"),
        at("2026-03-10 15:00"),
        at("2026-03-20 15:00"),
        at("2026-04-10 15:00"),
    ]
    assert (row.first_touch_at, row.attempts, row.response_hours) == (
        at("2026-03-02 18:30"),
        1,
        3.5,
    )
    assert (row.decided_at, row.touch_due_at, row.exit_stage) == (
        at("2026-03-03 15:00"),
        at("2026-03-02 19:00"),
        None,
    )
    assert (row.inquiry_month, row.mql_month, row.won_month) == (202603, 202603, 202604)


def test_a_skipped_stage_counts_as_reached_but_carries_no_time(engine, rep):
    lead_id = add_history(
        engine,
        [
            Step("2026-03-02 15:00", "inquiry"),
            Step("2026-03-02 15:00", "mql"),
            Step("2026-03-03 15:00", "validated", by=rep.id),
            Step("2026-03-04 15:00", "sql"),
            Step("2026-04-05 15:00", "won"),
        ],
    )

    [row] = passes_of(engine, lead_id)

    assert (row.accepted_at, row.validated_at) == (None, at("2026-03-03 15:00"))
    assert (row.opportunity_at, row.won_at) == (None, at("2026-04-05 15:00"))
    assert row.went_past == (1 << 2) | (1 << 5)  # accepted and opportunity
    # Reached all the same, in the month of the next stage the lead was seen in.
    assert (row.accepted_month, row.opportunity_month) == (202603, 202604)


def test_an_event_without_a_known_time_reaches_its_stage_without_a_time(engine, rep):
    with write_session(engine) as session:
        lead = Lead(first_name="Open", last_name="Deal", created_at=at("2026-03-02 15:00"))
        session.add(lead)
        session.flush()
        session.add_all(
            [
                StageEvent(lead_id=lead.id, to_stage="inquiry", occurred_at=at("2026-03-02 15:00")),
                StageEvent(
                    lead_id=lead.id,
                    from_stage="inquiry",
                    to_stage="sql",
                    occurred_at=at("2026-03-02 15:00"),
                    time_known=False,
                ),
            ]
        )
        session.flush()
        refresh_facts(session, lead_ids=[lead.id])

    [row] = passes_of(engine, lead.id)

    assert (row.mql_at, row.sql_at, row.exit_stage) == (None, None, None)
    assert (row.mql_month, row.validated_month, row.sql_month, row.opportunity_month) == (
        202603,
        202603,
        202603,
        None,
    )
    # It went past mql, accepted and validated (bits 1–3), not past sql: it is there.
    assert row.went_past == 0b1110


def test_a_recycled_lead_qualified_again_has_two_passes(engine, rep):
    activate_sla(engine)
    lead_id = add_history(
        engine,
        [
            Step("2026-01-05 15:00", "inquiry"),
            Step("2026-01-05 16:00", "mql"),
            Step("2026-01-06 15:00", "accepted", by=rep.id),
            Step("2026-01-06 15:00", TOUCH, by=rep.id),
            Step("2026-01-07 15:00", "recycled", reason="not_now", by=rep.id),
            Step("2026-02-02 15:00", "inquiry"),
            Step("2026-02-03 15:00", "mql"),
            Step("2026-02-03 16:00", TOUCH, by=rep.id),
            Step("2026-02-04 16:00", TOUCH, by=rep.id),
            Step("2026-02-05 15:00", "validated", by=rep.id),
        ],
        owner_id=rep.id,
    )

    first, second = passes_of(engine, lead_id)

    assert (first.mql_month, first.exit_stage, first.exit_reason, first.exit_at) == (
        202601,
        "recycled",
        "not_now",
        at("2026-01-07 15:00"),
    )
    assert (first.first_touch_at, first.attempts, first.decided_at) == (
        at("2026-01-06 15:00"),
        1,
        at("2026-01-07 15:00"),
    )
    # Monday 11:00 New York + 4 business hours; closing time five business days on.
    assert (first.touch_due_at, first.decision_due_at) == (
        at("2026-01-05 20:00"),
        at("2026-01-12 22:00"),
    )
    assert (second.pass_no, second.inquiry_at, second.mql_month, second.attempts) == (
        2,
        at("2026-02-02 15:00"),
        202602,
        2,
    )
    assert (second.validated_at, second.exit_stage) == (at("2026-02-05 15:00"), None)


def test_a_lead_back_at_inquiry_keeps_no_stale_deadline(engine, rep):
    activate_sla(engine)
    lead_id = add_history(
        engine,
        [
            Step("2026-01-05 15:00", "inquiry"),
            Step("2026-01-05 16:00", "mql"),
            Step("2026-01-07 15:00", "recycled", reason="nurture", by=rep.id),
            Step("2026-02-02 15:00", "inquiry"),
        ],
        touch_due_at=at("2026-01-05 20:00"),
    )

    first, second = passes_of(engine, lead_id)

    assert (first.touch_due_at, first.exit_stage) == (at("2026-01-05 20:00"), "recycled")
    assert (second.inquiry_at, second.mql_at, second.touch_due_at) == (
        at("2026-02-02 15:00"),
        None,
        None,
    )


def test_month_keys_are_taken_in_the_sla_time_zone(engine):
    steps = [Step("2026-03-01 03:00", "inquiry"), Step("2026-03-01 03:00", "mql")]
    utc_lead = add_history(engine, steps)
    activate_sla(engine)
    new_york_lead = add_history(engine, steps)

    assert passes_of(engine, utc_lead)[0].mql_month == 202603
    assert passes_of(engine, new_york_lead)[0].mql_month == 202602


def test_an_overturned_rejection_leaves_one_open_pass(engine, rep):
    lead_id = add_history(
        engine,
        [
            Step("2026-03-02 15:00", "inquiry"),
            Step("2026-03-02 15:00", "mql"),
            Step("2026-03-02 16:00", "rejected", reason="bad_data", by=rep.id),
            Step("2026-03-04 15:00", "mql", by=rep.id),
        ],
    )

    [row] = passes_of(engine, lead_id)

    assert (row.exit_stage, row.exit_reason, row.decided_at) == (None, None, None)


def test_a_lead_without_events_is_one_inquiry_pass(engine):
    with write_session(engine) as session:
        lead = Lead(first_name="Quiet", created_at=at("2026-03-02 15:00"))
        session.add(lead)
        session.flush()
        assert refresh_facts(session, lead_ids=[lead.id]) == 1

    [row] = passes_of(engine, lead.id)
    assert (row.inquiry_at, row.mql_at, row.inquiry_month) == (at("2026-03-02 15:00"), None, 202603)


def test_a_rebuild_equals_the_refreshes_and_a_refresh_replaces_old_rows(engine, rep):
    activate_sla(engine)
    lead_id = add_history(engine, whole_funnel(rep.id), owner_id=rep.id)
    add_history(engine, [Step("2026-03-02 15:00", "inquiry")])
    refreshed = facts_table(engine)

    with write_session(engine) as session:
        assert refresh_facts(session, lead_ids=[lead_id, lead_id]) == 1
        assert rebuild_all_facts(session, chunk=1) == 2

    assert facts_table(engine) == refreshed
    assert len(refreshed) == 2


def test_rebuilding_an_empty_database_writes_nothing(engine):
    with write_session(engine) as session:
        assert rebuild_all_facts(session) == 0


def test_cli_analytics_rebuild_says_how_many_passes_it_wrote(engine, monkeypatch, capsys):
    from leaddash.cli import main

    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string())
    add_history(engine, [Step("2026-03-02 15:00", "inquiry")])

    assert main(["analytics", "rebuild"]) == 0

    assert capsys.readouterr().out.startswith(
        "Rebuilt the dashboards' facts (1 rows, one per lead and qualification round) in "
    )
