"""Migration 0012 on a database that already has leads: stored countries become codes."""

from __future__ import annotations

import pytest

from leaddash import migrate
from tests.test_migrations import execute, fetch_all

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

# Stored before codes were enforced (names, codes in any case, values no country has),
# and what each should be after the migration.
STORED = [
    ("United States", "US"),
    ("usa", "US"),
    ("US", "US"),
    ("Deutschland", "DE"),
    ("UK", "GB"),
    ("Unknown", "Unknown"),
    ("Pariss", "Pariss"),
    ("", ""),
    (None, None),
]
ROUTED = [("United States", "US"), ("de", "DE"), (None, None)]


def _text(value: str | None) -> str:
    return "NULL" if value is None else "'" + value.replace("'", "''") + "'"


def test_0012_turns_stored_countries_into_codes_and_keeps_unknown_ones(db_url):
    migrate.upgrade(db_url, "0011")
    execute(
        db_url,
        "INSERT INTO team (name, created_at) VALUES ('East', CURRENT_TIMESTAMP)",
        *(
            f"INSERT INTO lead (email, country, created_at, custom, stage, "
            f"stage_changed_at, score, updated_at) VALUES ('lead{n}@x.com', {_text(c)}, "
            "CURRENT_TIMESTAMP, '{}', 'inquiry', CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP)"
            for n, (c, _code) in enumerate(STORED)
        ),
        *(
            f"INSERT INTO routingrule (priority, country, team_id, is_active, version) "
            f"VALUES ({n}, {_text(c)}, 1, TRUE, 1)"
            for n, (c, _code) in enumerate(ROUTED)
        ),
    )

    migrate.upgrade(db_url)

    assert fetch_all(db_url, "SELECT country FROM lead ORDER BY id") == [
        (code,) for _c, code in STORED
    ]
    # A changed rule's version moves on, so a routing form opened before cannot undo it.
    assert fetch_all(db_url, "SELECT country, version FROM routingrule ORDER BY priority") == [
        (code, 1 if c == code else 2) for c, code in ROUTED
    ]


def test_0012_downgrades_keeping_the_codes(db_url):
    migrate.upgrade(db_url, "0011")
    execute(
        db_url,
        "INSERT INTO lead (email, country, created_at, custom, stage, "
        "stage_changed_at, score, updated_at) VALUES ('a@x.com', 'Germany', "
        "CURRENT_TIMESTAMP, '{}', 'inquiry', CURRENT_TIMESTAMP, 0, CURRENT_TIMESTAMP)",
    )
    migrate.upgrade(db_url)

    migrate.downgrade(db_url, "0011")

    assert fetch_all(db_url, "SELECT country FROM lead") == [("DE",)]
