"""Migrations: the chain builds the models' schema on an empty database and keeps data."""

from __future__ import annotations

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel, select

from leaddash import cli, migrate
from leaddash.db import make_engine, read_session, write_session
from leaddash.models import DataVersion, Lead, Team, User

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

MODEL_TABLES = set(SQLModel.metadata.tables)


def table_names(url: str) -> set[str]:
    """Return the application tables in the database at `url` (Alembic's own left out)."""
    engine = make_engine(url)
    try:
        return set(inspect(engine).get_table_names()) - {"alembic_version"}
    finally:
        engine.dispose()


def fetch_all(url: str, sql: str) -> list[tuple]:
    """Return the rows of one plain SQL query against the database at `url`."""
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(text(sql))]
    finally:
        engine.dispose()


def execute(url: str, *statements: str) -> None:
    """Run plain SQL statements against the database at `url` in one transaction."""
    engine = make_engine(url)
    try:
        with engine.begin() as conn:
            for statement in statements:
                conn.execute(text(statement))
    finally:
        engine.dispose()


def rows_of(url: str, statement) -> list:
    """Return every row `statement` (a SQLModel select) reads from the database at `url`."""
    engine = make_engine(url)
    try:
        with read_session(engine) as session:
            return list(session.exec(statement).all())
    finally:
        engine.dispose()


def revisions_oldest_first() -> list[str]:
    """Return every revision id, from the first to the head."""
    script = ScriptDirectory.from_config(migrate.alembic_config("sqlite://"))
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


def add_team_user_and_lead(url: str) -> None:
    """Store one team, one rep in it and one lead owned by the rep."""
    engine = make_engine(url)
    try:
        with write_session(engine) as session:
            team = Team(name="North")
            session.add(team)
            session.flush()
            rep = User(
                username="rita",
                name="Rita",
                role="rep",
                team_id=team.id,
                password_hash="not-a-real-hash",
            )
            session.add(rep)
            session.flush()
            session.add(
                Lead(
                    email="ann@example.com",
                    team_id=team.id,
                    owner_id=rep.id,
                    custom={"plan": "pro"},
                )
            )
    finally:
        engine.dispose()


def test_migration_chain_has_exactly_one_head():
    assert len(migrate.head_revisions()) == 1


def test_upgrade_creates_every_model_table(db_url):
    migrate.upgrade(db_url)

    assert table_names(db_url) == MODEL_TABLES
    assert migrate.current_revision(db_url) == migrate.head_revisions()[0]


def test_upgrade_seeds_the_data_version_counter(db_url):
    migrate.upgrade(db_url)

    assert fetch_all(db_url, "SELECT scope, counter FROM dataversion") == [("all", 0)]


def test_models_match_the_migrated_schema(db_url):
    migrate.upgrade(db_url)

    migrate.check_drift(db_url)


def test_check_drift_reports_a_missing_index(db_url):
    migrate.upgrade(db_url)
    execute(db_url, "DROP INDEX ix_lead_mql_at")

    with pytest.raises(migrate.SchemaDrift, match="ix_lead_mql_at"):
        migrate.check_drift(db_url)


def test_downgrade_to_base_drops_everything_and_upgrade_rebuilds_it(db_url):
    migrate.upgrade(db_url)

    migrate.downgrade(db_url, "base")
    assert table_names(db_url) == set()
    assert migrate.current_revision(db_url) is None

    migrate.upgrade(db_url)
    assert table_names(db_url) == MODEL_TABLES
    migrate.check_drift(db_url)


@pytest.mark.parametrize("revision", revisions_oldest_first())
def test_each_revision_downgrades_and_upgrades_again(db_url, revision):
    migrate.upgrade(db_url, revision)

    migrate.downgrade(db_url, "-1")
    migrate.upgrade(db_url, revision)

    assert migrate.current_revision(db_url) == revision


def test_upgrade_of_a_database_with_rows_keeps_them(db_url):
    migrate.upgrade(db_url)
    add_team_user_and_lead(db_url)

    migrate.upgrade(db_url)

    engine = make_engine(db_url)
    try:
        with read_session(engine) as session:
            lead = session.exec(select(Lead)).one()
            assert (lead.email, lead.custom, lead.version, lead.attempts) == (
                "ann@example.com",
                {"plan": "pro"},
                1,
                0,
            )
            assert session.exec(select(User.username)).all() == ["rita"]
            assert session.exec(select(func.count()).select_from(DataVersion)).one() == 1
    finally:
        engine.dispose()


def test_a_failed_upgrade_leaves_the_database_untouched(db_url):
    execute(db_url, "CREATE TABLE dataversion (scope VARCHAR(40))")

    with pytest.raises(DBAPIError):
        migrate.upgrade(db_url)

    assert table_names(db_url) == {"dataversion"}
    assert migrate.current_revision(db_url) is None


def test_plain_inserts_get_the_server_defaults(db_url):
    migrate.upgrade(db_url)

    execute(
        db_url,
        "INSERT INTO team (name, created_at) VALUES ('South', CURRENT_TIMESTAMP)",
        "INSERT INTO app_user (username, name, role, password_hash, created_at) "
        "VALUES ('sam', 'Sam', 'rep', 'x', CURRENT_TIMESTAMP)",
    )

    assert fetch_all(db_url, "SELECT name, version FROM team") == [("South", 1)]
    assert fetch_all(db_url, "SELECT version, daily_cap, is_active, is_away FROM app_user") == [
        (1, 25, True, False)
    ]


def test_cli_migrate_creates_the_tables(tmp_path, monkeypatch, capsys):
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("DATABASE_URL", url)

    assert cli.main(["migrate"]) == 0

    assert table_names(url) == MODEL_TABLES
    assert capsys.readouterr().out == f"Migrated the SQLite file {tmp_path / 'cli.db'} to head.\n"


def test_0002_gives_owned_leads_their_mql_time_as_assignment_time(db_url):
    migrate.upgrade(db_url, "0001")
    execute(
        db_url,
        "INSERT INTO team (name, created_at) VALUES ('East', CURRENT_TIMESTAMP)",
        "INSERT INTO app_user (username, name, role, password_hash, created_at) "
        "VALUES ('sam', 'Sam', 'rep', 'x', CURRENT_TIMESTAMP)",
        "INSERT INTO lead (email, created_at, custom, stage, stage_changed_at, score, "
        "updated_at, owner_id, mql_at) VALUES ('a@x.com', CURRENT_TIMESTAMP, '{}', 'mql', "
        "CURRENT_TIMESTAMP, 70, CURRENT_TIMESTAMP, 1, '2026-03-02 10:00:00+00:00')",
        "INSERT INTO lead (email, created_at, custom, stage, stage_changed_at, score, "
        "updated_at) VALUES ('b@x.com', CURRENT_TIMESTAMP, '{}', 'inquiry', "
        "CURRENT_TIMESTAMP, 5, CURRENT_TIMESTAMP)",
    )

    migrate.upgrade(db_url)

    engine = make_engine(db_url)
    try:
        with read_session(engine) as session:
            rows = session.exec(
                select(Lead.email, Lead.assigned_at, Lead.mql_at).order_by(Lead.email)
            ).all()
    finally:
        engine.dispose()
    assert rows[0][1] == rows[0][2] and rows[0][1] is not None
    assert rows[1][1] is None


def test_0015_leaves_existing_leads_without_warning_points_at_alert_step_zero(db_url):
    migrate.upgrade(db_url, "0014")
    execute(
        db_url,
        "INSERT INTO lead (email, created_at, custom, stage, stage_changed_at, score, "
        "updated_at, mql_at, touch_due_at) VALUES ('a@x.com', CURRENT_TIMESTAMP, '{}', "
        "'mql', CURRENT_TIMESTAMP, 70, CURRENT_TIMESTAMP, '2026-03-02 10:00:00+00:00', "
        "'2026-03-02 14:00:00+00:00')",
    )

    migrate.upgrade(db_url)

    assert fetch_all(
        db_url,
        "SELECT touch_warn_at, decision_warn_at, touch_alert_step, decision_alert_step FROM lead",
    ) == [(None, None, 0, 0)]
