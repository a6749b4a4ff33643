"""A database the first release wrote (migration 0001, with data) upgrades to whatever the
head is with nothing lost: every stored row keeps its values, new columns get their
derived values, the analytics rebuild runs on it and the services read it.

The rows are tests/fixtures/first_release/first_release.json, written once by the first
release's own demo seeder (see generate.py beside it): teams, users, co-signed agreement
versions with comments, reasons, routing rules, leads with custom attributes, activities,
touches, stage events, disputes, an import batch, audit rows and the data version.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Date, DateTime, Engine, MetaData, Table, insert, select, text

from leaddash import cli, migrate
from leaddash.analytics.filters import Filters
from leaddash.analytics.funnel import waterfall
from leaddash.core.actor import Actor
from leaddash.db import make_engine, read_session
from leaddash.definitions import read_definition
from leaddash.queue.reads import rep_queue
from leaddash.sla import read_sla

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

FIXTURE = Path(__file__).parent / "fixtures" / "first_release" / "first_release.json"
FIRST_RELEASE = "0001"
OPEN = ("mql", "accepted")

Rows = dict[str, dict[tuple, dict[str, Any]]]


def fixture_tables() -> dict[str, dict]:
    """Return the fixture's tables: columns and rows, in the order they were written."""
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert data["revision"] == FIRST_RELEASE
    return data["tables"]


def typed(table: Table, name: str, value: Any) -> Any:
    """Return a fixture value as the column takes it (times are UTC)."""
    kind = table.c[name].type
    if value is not None and isinstance(kind, DateTime):
        return datetime.fromisoformat(value).replace(tzinfo=UTC)
    if value is not None and isinstance(kind, Date):
        return date.fromisoformat(value)
    return value


def comparable(value: Any) -> Any:
    """Return `value` with times as naive UTC, as both databases can be compared."""
    if isinstance(value, datetime) and value.tzinfo is not None:
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def reflected(engine: Engine) -> MetaData:
    """Return the tables as the database has them now."""
    meta = MetaData()
    meta.reflect(engine)
    return meta


def load_fixture(engine: Engine) -> None:
    """Replace the rows of the fixture's tables by its rows (0001 seeds the data version);
    on PostgreSQL, move each id sequence past the ids written."""
    meta, tables = reflected(engine), fixture_tables()
    with engine.begin() as conn:
        for name in reversed(list(tables)):
            conn.execute(meta.tables[name].delete())
        for name, data in tables.items():
            table = meta.tables[name]
            conn.execute(
                insert(table),
                [
                    {c: typed(table, c, v) for c, v in zip(data["columns"], row, strict=True)}
                    for row in data["rows"]
                ],
            )
            if engine.dialect.name == "postgresql" and "id" in table.c and data["rows"]:
                conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT max(id) FROM {name}))"
                    )
                )


def stored_rows(engine: Engine) -> Rows:
    """Return the rows of the fixture's tables as stored now, by primary key."""
    meta, found = reflected(engine), {}
    with engine.connect() as conn:
        for name in fixture_tables():
            table = meta.tables[name]
            keys = [c.name for c in table.primary_key.columns]
            found[name] = {
                tuple(r[k] for k in keys): {c: comparable(v) for c, v in r.items()}
                for r in conn.execute(select(table)).mappings()
            }
    return found


def expected_rows(engine: Engine) -> Rows:
    """Return the fixture's rows as the database should hold them, by primary key."""
    meta, expected = reflected(engine), {}
    for name, data in fixture_tables().items():
        table = meta.tables[name]
        keys = [c.name for c in table.primary_key.columns]
        rows = [
            {c: comparable(typed(table, c, v)) for c, v in zip(data["columns"], row, strict=True)}
            for row in data["rows"]
        ]
        expected[name] = {tuple(r[k] for k in keys): r for r in rows}
    return expected


@pytest.fixture
def upgraded(db_url) -> Engine:
    """Return an engine on a first-release database with the fixture, upgraded to head."""
    migrate.upgrade(db_url, FIRST_RELEASE)
    engine = make_engine(db_url)
    load_fixture(engine)
    engine.dispose()
    migrate.upgrade(db_url)
    engine = make_engine(db_url)
    yield engine
    engine.dispose()


def test_every_first_release_row_keeps_its_values_at_head(upgraded, db_url):
    expected, stored = expected_rows(upgraded), stored_rows(upgraded)

    assert migrate.current_revision(db_url) == migrate.head_revisions()[0]
    # Upgrading to head rebuilt the facts (migration 0011 changed what they mean): one
    # audit row more, and the data version moved on so every cache reads again.
    rebuilt = {
        key: row for key, row in stored["auditlog"].items() if key not in expected["auditlog"]
    }
    assert [row["action"] for row in rebuilt.values()] == ["analytics.rebuild"]
    assert stored["dataversion"][("all",)]["counter"] > expected["dataversion"][("all",)]["counter"]
    for name, rows in expected.items():
        kept = {k: v for k, v in stored[name].items() if k not in rebuilt or name != "auditlog"}
        assert kept.keys() == rows.keys(), name
        for key, row in rows.items():
            if name == "dataversion":
                row = {**row, "counter": kept[key]["counter"]}
            assert {c: kept[key][c] for c in row} == row, (name, key)
    assert sum(len(rows) for rows in expected.values()) > 500
    assert {name for name, rows in expected.items() if not rows} == set()


def test_owned_first_release_leads_take_their_mql_time_as_assignment_time(upgraded):
    leads = stored_rows(upgraded)["lead"].values()

    owned = [lead for lead in leads if lead["owner_id"] is not None]
    assert owned and all(lead["assigned_at"] == lead["mql_at"] for lead in owned)
    assert all(lead["assigned_at"] is None for lead in leads if lead["owner_id"] is None)


def test_the_analytics_rebuild_gives_every_first_release_lead_its_passes(
    upgraded, db_url, monkeypatch, capsys
):
    monkeypatch.setenv("DATABASE_URL", db_url)

    code = cli.main(["analytics", "rebuild"])

    assert code == 0 and capsys.readouterr().out.startswith("Rebuilt the dashboards' facts")
    with upgraded.connect() as conn:
        passed = set(conn.execute(text("SELECT DISTINCT lead_id FROM leadpass")).scalars())
        leads = set(conn.execute(text("SELECT id FROM lead")).scalars())
    assert passed == leads


def actor(engine: Engine, role: str) -> Actor:
    """Return the first fixture user with `role` as an actor."""
    with engine.connect() as conn:
        row = conn.execute(
            text(
                "SELECT id, username, role, team_id, name FROM app_user "
                "WHERE role = :role ORDER BY id"
            ),
            {"role": role},
        ).first()
    return Actor(*row)


def test_the_services_read_a_first_release_database(upgraded, db_url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", db_url)
    assert cli.main(["analytics", "rebuild"]) == 0
    leads = stored_rows(upgraded)["lead"].values()
    rep = actor(upgraded, "rep")
    owned_open = sorted(
        lead["id"] for lead in leads if lead["owner_id"] == rep.id and lead["stage"] in OPEN
    )

    with read_session(upgraded) as session:
        queue = rep_queue(session, actor=rep)
        funnel = waterfall(session, actor=actor(upgraded, "sales_leader"), filters=Filters())

    assert owned_open and sorted(queue["id"]) == owned_open
    reached = funnel.set_index("stage")["leads"]
    assert reached["inquiry"] == len(leads)
    assert reached["mql"] == sum(lead["mql_at"] is not None for lead in leads) > 0


def test_every_first_release_agreement_version_reads_as_its_typed_model(upgraded):
    readers = {"definition": read_definition, "sla": read_sla}
    with upgraded.connect() as conn:
        table = reflected(upgraded).tables["agreementversion"]
        versions = conn.execute(select(table.c.kind, table.c.number, table.c.content)).all()

    assert sorted((kind, number) for kind, number, _ in versions) == [
        ("definition", 1),
        ("definition", 2),
        ("definition", 3),
        ("sla", 1),
    ]
    for kind, number, content in versions:
        stored = json.loads(content) if isinstance(content, str) else content
        terms = readers[kind](stored)
        assert terms.model_dump(exclude_unset=True) == stored, (kind, number)
