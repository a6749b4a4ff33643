"""The importers under a property-based fuzzer: whatever the file, an import succeeds or is
refused with our own message or problem report (row and column named), a refused import
or a dry run leaves every table as it was, and skipping bad rows writes exactly what a file
of only the good rows writes.

Each example gets its own copy of one small database (users, an active definition and a
routing rule, three stored leads and their activities), so examples do not see each
other's writes and a failure replays. PostgreSQL runs the core property on a few examples
only: each needs a database created from a template (about a tenth of a second).

Bytes and corrupted files try 25 examples each (LEADDASH_FUZZ_EXAMPLES, default 25), the
costlier properties a share of that, ten at least; PostgreSQL 10. Both loops (`make check`,
`make test`) search this much on every run, each run from a new random start;
`make fuzz` searches 1,000 files per property.
Hypothesis keeps no example database here,
so a failure prints its reproduce_failure blob instead.
"""

from __future__ import annotations

import itertools
import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, insert, text
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from leaddash.auth import CLI_ACTOR
from leaddash.db import make_engine, write_session
from leaddash.definitions import summarize
from leaddash.demo.agreements import definition_v3
from leaddash.errors import LeadDashError
from leaddash.imports import (
    ImportResult,
    Table,
    chosen_mapping,
    import_file,
    read_table,
)
from leaddash.imports.reading import FIRST_DATA_ROW
from leaddash.models import AgreementVersion, Role, RoutingRule
from tests.conftest import make_user, pg_admin_url
from tests.db_snapshot import snapshot
from tests.fuzz_csv import CsvFile, any_text_files, csv_files, mapping_files
from tests.test_import_leads import run

# Slow (its examples on each database take over a minute): make test runs it, make check
# leaves it out.
pytestmark = pytest.mark.slow

KINDS = ("leads", "activities", "outcomes")
AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
EXAMPLES = int(os.environ.get("LEADDASH_FUZZ_EXAMPLES", "25"))
FUZZ = settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    print_blob=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


def share(fraction: float) -> int:
    """Return the examples a costlier property tries: `fraction` of EXAMPLES, ten at least."""
    return max(int(EXAMPLES * fraction), 10)


BATCH_AND_AUDIT = frozenset({"importbatch", "auditlog"})
_copies = itertools.count()

Outcome = tuple[ImportResult | LeadDashError, Table | None]


def seed(engine: Engine) -> None:
    """Store a rep with an email, an active definition with routing, three leads and their
    activities: what rows of a fuzzed file update, match, collide with and qualify."""
    make_user(engine, "rita", Role.REP, team="East")
    with write_session(engine) as session:
        team_id = session.execute(text("SELECT id FROM team")).scalar_one()
        session.execute(text("UPDATE app_user SET email = 'rita@east.example'"))
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
                    "created_at": AT,
                    "updated_at": AT,
                    "effective_from": AT,
                    "version": 1,
                }
            ],
        )
        session.connection().execute(
            insert(RoutingRule.__table__),
            [{"priority": 1, "team_id": team_id, "is_active": True, "version": 1}],
        )
    run(engine, "leads_plain.csv")
    run(engine, "activities.csv", "activities")


@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    """Return the path of the seeded SQLite database every example copies."""
    path = tmp_path_factory.mktemp("fuzz") / "template.db"
    engine = make_engine(f"sqlite:///{path}")
    SQLModel.metadata.create_all(engine)
    seed(engine)
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    engine.dispose()
    return path


@contextmanager
def copied(template: Path) -> Iterator[Engine]:
    """Yield an engine on a fresh copy of the template database, removed afterwards."""
    path = template.with_name(f"example-{next(_copies)}.db")
    shutil.copyfile(template, path)
    engine = make_engine(f"sqlite:///{path}")
    try:
        yield engine
    finally:
        engine.dispose()
        for leftover in template.parent.glob(f"{path.name}*"):
            leftover.unlink()


def attempt(
    engine: Engine, data: bytes, kind: str, mapping_text: str | None = None, **options
) -> Outcome:
    """Return what importing `data` gave: the result, or the refusal with our message.
    Any other exception escapes: it is the traceback a user would see."""
    try:
        mapping = chosen_mapping(kind, mapping_text=mapping_text)
        table = read_table(data, "fuzz.csv")
        with write_session(engine) as session:
            return import_file(
                session, actor=CLI_ACTOR, kind=kind, table=table, mapping=mapping, at=AT, **options
            ), table
    except LeadDashError as refusal:
        return refusal, None


def assert_well_reported(outcome: Outcome) -> None:
    """Assert that a refusal has a message and each problem names a row and column."""
    result, table = outcome
    if isinstance(result, LeadDashError):
        assert result.message.strip() and "Traceback" not in result.message
        return
    assert table is not None
    for problem in result.problems:
        assert problem.row - FIRST_DATA_ROW in table.frame.index, problem
        assert problem.column in table.columns, problem
        named = (
            f"Row {problem.row} has "
            if problem.whole_row
            else f"Row {problem.row}, column {problem.column!r}: "
        )
        assert problem.line().startswith(named), problem
        assert not problem.whole_row or f"column {problem.column!r}" in problem.line()
    assert len(result.report()) == min(len(result.problems), 50) + (len(result.problems) > 50)


def describe(result: ImportResult | LeadDashError) -> str:
    """Return the kind of outcome, for the fuzzer's statistics."""
    if isinstance(result, LeadDashError):
        return "file refused"
    if result.refused or result.dry_run:
        return "rows refused" if result.refused else "dry run"
    return "written" if result.written else "nothing to write"


def check_import(engine: Engine, data: bytes, kind: str, **options) -> Outcome:
    """Import `data` and assert the core property; return what the import gave."""
    before = snapshot(engine)
    outcome = attempt(engine, data, kind, **options)
    assert_well_reported(outcome)
    result = outcome[0]
    event(f"{kind}: {describe(result)}")
    after = snapshot(engine)
    if isinstance(result, LeadDashError) or not result.written:
        assert after == before
    else:
        assert not (result.refused or result.dry_run)
        assert len(after["importbatch"]) == len(before["importbatch"]) + 1
    return outcome


@FUZZ
@given(data=st.binary(max_size=2_000), kind=st.sampled_from(KINDS))
def test_arbitrary_bytes_are_imported_or_refused_in_words(template, data, kind):
    with copied(template) as engine:
        check_import(engine, data, kind)


@settings(FUZZ, max_examples=share(0.6))
@given(data=any_text_files(), kind=st.sampled_from(KINDS), skip=st.booleans())
def test_arbitrary_text_is_imported_or_refused_in_words(template, data, kind, skip):
    with copied(template) as engine:
        check_import(engine, data, kind, skip_bad_rows=skip)


@FUZZ
@given(data=st.data(), kind=st.sampled_from(KINDS), dry_run=st.booleans())
def test_a_corrupted_file_is_imported_whole_or_not_at_all(template, data, kind, dry_run):
    file = data.draw(csv_files(kind))

    with copied(template) as engine:
        result, _table = check_import(engine, file.encoded(), kind, dry_run=dry_run)

    if isinstance(result, ImportResult) and result.problems:
        assert result.refused and not result.written


@settings(FUZZ, max_examples=share(0.3))
@given(data=st.data(), kind=st.sampled_from(KINDS))
def test_a_fuzzed_mapping_file_is_used_or_refused_in_words(template, data, kind):
    file = data.draw(csv_files(kind))
    mapping_text = data.draw(mapping_files(kind, file.header))

    with copied(template) as engine:
        check_import(engine, file.encoded(), kind, mapping_text=mapping_text)


@settings(FUZZ, max_examples=share(0.3))
@given(data=st.data(), kind=st.sampled_from(KINDS))
def test_skipping_bad_rows_writes_what_the_good_rows_alone_write(template, data, kind):
    file: CsvFile = data.draw(csv_files(kind))

    with copied(template) as skipping, copied(template) as alone:
        result, _table = check_import(skipping, file.encoded(), kind, skip_bad_rows=True)
        if isinstance(result, LeadDashError):
            return
        bad = {p.row for p in result.problems}
        good_only, _ = check_import(alone, file.without(bad).encoded(), kind)
        if len(bad) == result.rows_total:  # every row bad (blank lines are no rows)
            assert not result.written
            return
        assert isinstance(good_only, ImportResult) and not good_only.problems
        assert (result.skipped, result.written) == (len(bad), good_only.written)
        assert snapshot(skipping, BATCH_AND_AUDIT) == snapshot(alone, BATCH_AND_AUDIT)


@pytest.fixture(scope="module")
def pg_template() -> Iterator[str]:
    """Return the URL of a seeded PostgreSQL template database (dropped afterwards)."""
    admin_url = pg_admin_url()
    admin = make_engine(admin_url).execution_options(isolation_level="AUTOCOMMIT")
    name = f"leaddash_fuzz_{next(_copies)}_{datetime.now(UTC):%H%M%S%f}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    url = make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    engine = make_engine(url)
    SQLModel.metadata.create_all(engine)
    seed(engine)
    engine.dispose()
    yield url
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}_copy" WITH (FORCE)'))
    admin.dispose()


@contextmanager
def pg_copy(template_url: str) -> Iterator[Engine]:
    """Yield an engine on a fresh copy of the PostgreSQL template database."""
    url = make_url(template_url)
    admin = make_engine(pg_admin_url()).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{url.database}_copy" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{url.database}_copy" TEMPLATE "{url.database}"'))
    admin.dispose()
    engine = make_engine(
        url.set(database=f"{url.database}_copy").render_as_string(hide_password=False)
    )
    try:
        yield engine
    finally:
        engine.dispose()


@settings(FUZZ, max_examples=share(0.1))
@given(data=st.data(), kind=st.sampled_from(KINDS), skip=st.booleans())
def test_a_corrupted_file_is_imported_whole_or_not_at_all_on_postgresql(
    pg_template, data, kind, skip
):
    file = data.draw(csv_files(kind))

    with pg_copy(pg_template) as engine:
        check_import(engine, file.encoded(), kind, skip_bad_rows=skip)
