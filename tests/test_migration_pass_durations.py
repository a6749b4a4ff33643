"""Migration 0021 on a database that already has leads, events and touches: the facts
rebuilt right after it give each qualified pass its speed-to-lead durations in minutes
(worked out here by hand from the rows inserted) and its lead's history flag."""

from __future__ import annotations

import math

import pytest
from sqlmodel import select

from leaddash import migrate
from leaddash.fact_tables import LeadPass
from tests.test_migrations import execute, rows_of

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

LEAD = (
    "INSERT INTO lead (id, email, created_at, custom, stage, stage_changed_at, score, "
    "updated_at, owner_id, mql_at, assigned_at, first_touch_at, first_contact_at, is_history) "
    "VALUES ({id}, '{id}@x.com', '{mql}', '{{}}', 'mql', '{mql}', 70, '{mql}', 1, '{mql}', "
    "{assigned}, {touch}, {contact}, {history})"
)
EVENT = (
    "INSERT INTO stageevent (lead_id, from_stage, to_stage, occurred_at) "
    "VALUES ({id}, NULL, 'mql', '{mql}')"
)
# id: MQL, owner's assignment, first touch, first contact, history lead
LEADS = {
    # routed after 30 min, touched 45 min later (no answer), reached 2 h 30 min after MQL
    1: (
        "2026-03-02 10:00:00",
        "2026-03-02 10:30:00",
        "2026-03-02 11:15:00",
        "2026-03-02 12:30:00",
        False,
    ),
    # touched before anyone owned it (from the team queue): no routing or rep delay
    2: ("2026-03-03 10:00:00", "2026-03-03 11:00:00", "2026-03-03 10:20:00", None, False),
    # a CRM history lead, never touched
    3: ("2026-03-04 10:00:00", None, None, None, True),
}


def _time(value: str | None) -> str:
    return "NULL" if value is None else f"'{value}'"


def _rows() -> list[str]:
    return [
        LEAD.format(
            id=i,
            mql=mql,
            assigned=_time(owner),
            touch=_time(touch),
            contact=_time(contact),
            history="TRUE" if history else "FALSE",
        )
        for i, (mql, owner, touch, contact, history) in LEADS.items()
    ]


def _same(value: float | None, expected: float | None) -> bool:
    if expected is None:
        return value is None or math.isnan(value)
    return value is not None and math.isclose(value, expected)


def test_0021_gives_the_passes_their_durations_and_history_flag(db_url):
    migrate.upgrade(db_url, "0020")
    execute(
        db_url,
        "INSERT INTO app_user (id, username, name, role, password_hash, created_at) "
        "VALUES (1, 'sam', 'Sam', 'rep', 'x', CURRENT_TIMESTAMP)",
        *_rows(),
        *(EVENT.format(id=i, mql=row[0]) for i, row in LEADS.items()),
    )

    migrate.upgrade(db_url)

    passes = {p.lead_id: p for p in rows_of(db_url, select(LeadPass))}
    expected = {  # response, contact, routing, rep (minutes)
        1: (75.0, 150.0, 30.0, 45.0),
        2: (20.0, None, None, None),
        3: (None, None, None, None),
    }
    for lead_id, minutes in expected.items():
        found = passes[lead_id]
        got = (
            found.response_minutes,
            found.contact_minutes,
            found.routing_minutes,
            found.rep_minutes,
        )
        assert all(_same(g, e) for g, e in zip(got, minutes, strict=True)), (lead_id, got)
    assert [passes[i].is_history for i in (1, 2, 3)] == [False, False, True]
