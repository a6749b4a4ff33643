"""CSV exports for CRM sync: columns, encoding, scope, and formula payloads defused."""

from __future__ import annotations

import codecs
import csv
import io
import zipfile
from datetime import date, timedelta

import pandas as pd
import pytest

from leaddash.csv_safe import defuse
from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden, InvalidInput
from leaddash.models import Role, utcnow
from leaddash.queue.actions import disqualify_lead, reject_lead, validate_lead
from leaddash.queue.export import (
    DECISION_EXPORT_COLUMNS,
    QUEUE_EXPORT_COLUMNS,
    decisions_csv,
    queue_csv,
)
from leaddash.reports import Report, csv_zip
from tests.conftest import make_user
from tests.queue_factory import make_lead

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

TODAY = utcnow().date()


@pytest.fixture
def people(engine):
    return {
        "rep": make_user(engine, "ana", Role.REP, team="East"),
        "west_rep": make_user(engine, "cy", Role.REP, team="West"),
        "manager": make_user(engine, "eve", Role.SALES_MANAGER, team="East"),
        "leader": make_user(engine, "lee", Role.SALES_LEADER),
    }


def _rows(data: bytes) -> list[dict[str, str]]:
    assert data.startswith(codecs.BOM_UTF8)
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))


def _header(data: bytes) -> list[str]:
    return next(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


@pytest.mark.parametrize(
    ("cell", "shown"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1-555-0100", "'+1-555-0100"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tcmd", "'\tcmd"),
        ("\rcmd", "'\rcmd"),
        ("\uff1dcmd", "'\uff1dcmd"),  # full-width ＝, which some spreadsheets fold to =
        ("\uff0b1", "'\uff0b1"),
        ("\uff0d1", "'\uff0d1"),
        ("\uff20SUM(A1)", "'\uff20SUM(A1)"),
        ("-", "'-"),
        ("Anna Müller", "Anna Müller"),
        ("", ""),
        (-5, -5),
        ("-5", "-5"),  # a plain number is read as that number: nothing runs
        ("-2.5", "-2.5"),
        (-0.25, -0.25),
        (None, None),
    ],
)
def test_cells_a_spreadsheet_would_run_get_a_leading_quote(cell, shown):
    assert defuse(cell) == shown


def test_the_queue_export_defuses_formulas_in_names_and_keeps_accents(engine, people):
    make_lead(
        engine, people["rep"], first="=cmd|' /C calc'!A0", last="Müller", company="@evil Corp"
    )

    with read_session(engine) as session:
        data = queue_csv(session, actor=people["manager"])

    assert _header(data) == QUEUE_EXPORT_COLUMNS
    [row] = _rows(data)
    assert row["name"] == "'=cmd|' /C calc'!A0 Müller"
    assert row["company"] == "'@evil Corp"
    assert (row["team"], row["owner"], row["stage"]) == ("East", "Ana", "mql")
    assert row["due_at"].endswith("Z") and row["overdue"] == "False"


def test_the_queue_export_keeps_to_the_managers_team(engine, people):
    make_lead(engine, people["rep"], first="East")
    make_lead(engine, people["west_rep"], first="West")

    with read_session(engine) as session:
        mine = _rows(queue_csv(session, actor=people["manager"]))
        every = _rows(queue_csv(session, actor=people["leader"]))

    assert [r["name"] for r in mine] == ["East Lee"]
    assert sorted(r["name"] for r in every) == ["East Lee", "West Lee"]


def _decide(engine, rep, action, first, **kwargs):
    lead = make_lead(engine, rep, first=first)
    with write_session(engine) as session:
        action(session, actor=rep, lead_id=lead.id, expected_version=lead.version, **kwargs)
    return lead


def test_the_decisions_export_lists_each_decision_with_its_reason(engine, people):
    rep = people["rep"]
    dora = _decide(engine, rep, disqualify_lead, "Dora", reason_code="no_fit", note="=1+2")
    rita = _decide(engine, rep, reject_lead, "Rita", reason_code="bad_data")
    _decide(engine, rep, validate_lead, "Val")
    _decide(engine, people["west_rep"], validate_lead, "West")

    with read_session(engine) as session:
        data = decisions_csv(session, actor=people["manager"], since=TODAY, until=TODAY)

    assert _header(data) == DECISION_EXPORT_COLUMNS
    rows = _rows(data)
    assert [r["name"] for r in rows] == ["Dora Lee", "Rita Lee", "Val Lee"]
    assert rows[0]["lead_id"] == str(dora.id) and rows[0]["email"] == "dora.lee@example.com"
    assert (rows[0]["decision"], rows[0]["reason_code"], rows[0]["note"]) == (
        "disqualified",
        "no_fit",
        "'=1+2",
    )
    assert rows[0]["reason"] == "No fit (company or role outside the definition)"
    assert rows[1]["lead_id"] == str(rita.id)
    assert rows[1]["reason"] == "Bad data (fake or incomplete contact details)"
    assert (rows[2]["decision"], rows[2]["reason_code"]) == ("validated", "")
    assert {r["decided_by"] for r in rows} == {"Ana"}
    assert rows[2]["decided_at"].startswith(TODAY.isoformat())


def test_decisions_outside_the_dates_are_left_out(engine, people):
    _decide(engine, people["rep"], validate_lead, "Val")

    with read_session(engine) as session:
        data = decisions_csv(
            session,
            actor=people["leader"],
            since=TODAY - timedelta(days=9),
            until=TODAY - timedelta(days=1),
        )

    assert _header(data) == DECISION_EXPORT_COLUMNS
    assert _rows(data) == []


def test_dates_the_wrong_way_round_are_refused(engine, people):
    with read_session(engine) as session, pytest.raises(InvalidInput, match="wrong way round"):
        decisions_csv(
            session, actor=people["leader"], since=date(2026, 3, 2), until=date(2026, 3, 1)
        )


def test_a_rep_cannot_export(engine, people):
    with read_session(engine) as session, pytest.raises(Forbidden):
        queue_csv(session, actor=people["rep"])


@pytest.mark.parametrize("start", ["=", "+", "-", "@"])
def test_every_csv_download_defuses_a_cell_starting_with(engine, people, start):
    cell = f'{start}HYPERLINK("http://x")'
    make_lead(engine, people["rep"], first="Open", company=cell)
    _decide(engine, people["rep"], disqualify_lead, "Decided", reason_code="no_fit", note=cell)
    report = Report(name="r", title="r", period="p", tables={"t": pd.DataFrame({"c": [cell]})})

    with read_session(engine) as session:
        queue = _rows(queue_csv(session, actor=people["manager"]))
        decided = _rows(decisions_csv(session, actor=people["manager"], since=TODAY, until=TODAY))
    with zipfile.ZipFile(io.BytesIO(csv_zip(report))) as archive:
        zipped = list(csv.DictReader(io.StringIO(archive.read("r_t.csv").decode("utf-8-sig"))))

    defused = "'" + cell
    assert [r["company"] for r in queue] == [defused]
    assert [(r["name"], r["note"]) for r in decided] == [("Decided Lee", defused)]
    assert [r["c"] for r in zipped] == [defused]
