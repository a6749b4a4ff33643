"""Migration 0017 on a database that already has leads, events and touches: old touches
have no outcome, and the facts rebuilt right after it give each lead's last qualified pass
the lead's assignment (no earlier than its MQL time)."""

from __future__ import annotations

import pytest
from sqlmodel import select

from leaddash import migrate
from leaddash.fact_tables import LeadPass
from leaddash.models import Lead, Touch
from tests.event_history import at
from tests.test_migrations import execute, rows_of

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

LEAD = (
    "INSERT INTO lead (id, email, created_at, custom, stage, stage_changed_at, score, "
    "updated_at, owner_id, mql_at, assigned_at) VALUES ({id}, '{id}@x.com', '{mql}', '{{}}', "
    "'mql', '{mql}', 70, '{mql}', 1, '{mql}', '{assigned}')"
)
EVENT = (
    "INSERT INTO stageevent (lead_id, from_stage, to_stage, occurred_at) "
    "VALUES ({id}, NULL, 'mql', '{mql}')"
)
# Lead 1 waited 30 minutes for its rep; lead 2's rep held it from before it qualified.
LEADS = {
    1: ("2026-03-02 10:00:00", "2026-03-02 10:30:00"),
    2: ("2026-03-03 10:00:00", "2026-01-05 09:00:00"),
}


def test_0017_keeps_old_touches_unknown_and_gives_the_passes_their_assignment(db_url):
    migrate.upgrade(db_url, "0014")
    execute(
        db_url,
        "INSERT INTO app_user (id, username, name, role, password_hash, created_at) "
        "VALUES (1, 'sam', 'Sam', 'rep', 'x', CURRENT_TIMESTAMP)",
        *(LEAD.format(id=i, mql=m, assigned=a) for i, (m, a) in LEADS.items()),
        *(EVENT.format(id=i, mql=m) for i, (m, _) in LEADS.items()),
        "INSERT INTO touch (lead_id, rep_id, channel, occurred_at) "
        "VALUES (1, 1, 'call', '2026-03-02 11:00:00')",
    )

    migrate.upgrade(db_url)

    passes = {p.lead_id: p for p in rows_of(db_url, select(LeadPass))}
    (touch,) = rows_of(db_url, select(Touch))
    leads = rows_of(db_url, select(Lead))
    assert passes[1].assigned_at == at(LEADS[1][1][:16])
    assert passes[2].assigned_at == at(LEADS[2][0][:16])  # held before: routed at once
    assert passes[1].first_touch_at == at("2026-03-02 11:00")
    assert passes[1].first_contact_at is None
    assert touch.outcome is None
    assert all(lead.first_contact_at is None and lead.callback_at is None for lead in leads)
