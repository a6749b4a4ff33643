"""Lead import on both databases: presets, upserts, broken rows, skip, dry run, permission."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func
from sqlmodel import select

from leaddash.auth import CLI_ACTOR
from leaddash.core.actor import Actor
from leaddash.db import read_session, write_session
from leaddash.errors import Forbidden
from leaddash.imports import ImportResult, import_file, preset, read_table
from leaddash.models import Activity, AuditLog, ImportBatch, Lead, Role, StageEvent
from tests.conftest import make_user

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

FIXTURES = Path(__file__).parent / "fixtures" / "imports"
COUNTED = (Lead, Activity, StageEvent, ImportBatch, AuditLog)
HEADER = "external_id,email,first_name,company,employees,created_at,stage\n"


def counts(engine) -> dict[str, int]:
    """Return the number of rows of each table an import may write."""
    with read_session(engine) as session:
        return {
            m.__tablename__: session.exec(select(func.count()).select_from(m)).one()
            for m in COUNTED
        }


def run(
    engine,
    data: bytes | str,
    kind: str = "leads",
    *,
    name: str = "file.csv",
    actor: Actor = CLI_ACTOR,
    **options,
) -> ImportResult:
    """Import `data` (bytes, text, or a fixture's file name) in one write transaction."""
    if isinstance(data, str) and data.endswith(".csv") and "\n" not in data:
        name, data = data, (FIXTURES / data).read_bytes()
    raw = data.encode() if isinstance(data, str) else data
    with write_session(engine) as session:
        return import_file(session, actor=actor, kind=kind, table=read_table(raw, name), **options)


def leads(engine) -> dict[str, Lead]:
    """Return the stored leads by external id (or lower-cased email when they have none)."""
    with read_session(engine) as session:
        return {lead.external_id or lead.email_key: lead for lead in session.exec(select(Lead))}


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "salesforce",
            {
                "00Q5g000001AbcDEA2": (
                    "ben@contoso.example",
                    "Contoso",
                    1200,
                    "GB",
                    {"Rating": "Warm", "crm_stage": "Working - Contacted"},
                )
            },
        ),
        (
            "hubspot",
            {
                "5102": (
                    "eli@globex.example",
                    "Globex",
                    60,
                    "DE",
                    {"Lead Status": "Attempted to contact", "crm_stage": "Lead"},
                )
            },
        ),
        (
            "marketo",
            {
                "9002": (
                    "hana@piedpiper.example",
                    "Pied Piper",
                    45,
                    "AU",
                    {"crm_stage": "Contacted"},
                )
            },
        ),
    ],
)
def test_each_preset_imports_its_fixture(engine, name, expected):
    result = run(engine, f"{name}.csv", mapping=preset(name))

    stored = leads(engine)
    assert (
        result.summary() == f"Imported {name}.csv: {len(stored)} new leads, 0 updated, 0 unchanged."
    )
    for key, (email, company, employees, country, custom) in expected.items():
        lead = stored[key]
        assert (lead.email, lead.company, lead.employees, lead.country, lead.custom) == (
            email,
            company,
            employees,
            country,
            custom,
        )
        assert lead.stage == "inquiry" and lead.email_key == email.lower()
    assert counts(engine)["stageevent"] == len(stored)
    assert counts(engine)["importbatch"] == 1


def test_a_post_sales_crm_stage_is_kept_but_not_applied(engine):
    run(engine, "salesforce.csv", mapping=preset("salesforce"))

    lead = leads(engine)["00Q5g000001AbcDEA3"]
    assert (lead.stage, lead.custom["crm_stage"]) == ("inquiry", "Closed - Converted")


def test_importing_the_same_file_twice_changes_nothing(engine):
    run(engine, "leads_plain.csv")
    before = counts(engine)

    again = run(engine, "leads_plain.csv")

    assert again.summary() == "Nothing changed: all 3 rows match what is stored."
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    assert counts(engine) == before


def test_a_changed_value_updates_only_that_lead_matched_by_email_ignoring_case(engine):
    run(engine, "leads_plain.csv")
    before = leads(engine)

    result = run(engine, "email,title,Favourite colour\nKIM@Beta.example,CEO,red\n")

    after = leads(engine)
    assert (result.created, result.updated, result.unchanged) == (0, 1, 0)
    kim = after["kim@beta.example"]
    assert (kim.title, kim.custom) == ("CEO", {"Favourite colour": "red"})
    assert kim.version == before["kim@beta.example"].version + 1
    assert after["P-1"].version == before["P-1"].version


@pytest.mark.parametrize("header", ["Phone", "Mobile", "Phone Number", "Telefon", "phone"])
def test_a_phone_column_under_any_usual_header_is_the_leads_phone(engine, header):
    run(engine, f"email,{header}\nkim@beta.example, +49 30 1234567 \n")

    kim = leads(engine)["kim@beta.example"]
    assert (kim.phone, kim.custom) == ("+49 30 1234567", {})


def test_an_owner_in_the_file_owns_the_new_lead(engine):
    rep = make_user(engine, "rita", Role.REP, team="East")

    run(engine, "email,owner\nnew@lead.example,RITA\n")

    lead = leads(engine)["new@lead.example"]
    assert (lead.owner_id, lead.team_id) == (rep.id, rep.team_id)


BROKEN = {
    "bad dates": (
        HEADER + "P-1,a@b.example,Ann,Acme,10,31/12/2024,\n",
        (
            "Row 2, column 'created_at': '31/12/2024' is not a date. Write it like "
            "2024-03-31 or 2024-03-31T14:05:00Z, or set date_format in a mapping file."
        ),
    ),
    "bad emails": (
        HEADER + "P-1,a@b.example,Ann,Acme,10,,\nP-2,ann at acme,Ann,Acme,10,,\n",
        (
            "Row 3, column 'email': 'ann at acme' is not an email address. Correct it "
            "(like name@company.com) or leave the cell empty."
        ),
    ),
    "duplicate keys": (
        HEADER + "P-1,a@b.example,A,X,1,,\nP-2,b@b.example,B,X,1,,\nP-1,c@b.example,C,X,1,,\n",
        (
            "Row 2, column 'external_id': Rows 2, 4 all have 'P-1', so they would "
            "update the same lead. Keep one of them (merge the values by hand) and "
            "remove the others."
        ),
    ),
    "no key": (
        HEADER + ",,Ann,Acme,10,,\n",
        (
            "Row 2, column 'email': The row has neither an id nor an email, so it cannot "
            "be matched to a lead. Fill in the id or the email."
        ),
    ),
    "employees": (
        HEADER + "P-1,a@b.example,Ann,Acme,about 50,,\n",
        (
            "Row 2, column 'employees': 'about 50' is not a whole number. Write digits "
            "only, like 250, or leave the cell empty."
        ),
    ),
    "stage": (
        HEADER + "P-1,a@b.example,Ann,Acme,10,,Hot\n",
        "Row 2, column 'stage': 'Hot' is not a known stage. Use one of: accepted, ",
    ),
    "owner": (
        "email,owner\na@b.example,nobody\n",
        (
            "Row 2, column 'owner': There is no active user 'nobody'. Use the username, "
            "email or name of a user"
        ),
    ),
    "phone too long": (
        "email,Phone\na@b.example," + "1" * 41 + "\n",
        "Row 2, column 'Phone': The value is 41 characters long; at most 40 fit. Shorten it.",
    ),
    "too long": (
        HEADER + f"P-1,a@b.example,{'A' * 121},Acme,10,,\n",
        (
            "Row 2, column 'first_name': The value is 121 characters long; at most 120 "
            "fit. Shorten it."
        ),
    ),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_a_bad_row_is_reported_and_nothing_is_written(engine, case):
    run(engine, "leads_plain.csv")
    before = counts(engine)
    data, line = BROKEN[case]

    result = run(engine, data)

    assert result.refused and not result.written
    assert any(text.startswith(line) for text in result.report()), result.report()
    assert result.summary().startswith("Nothing was imported:")
    assert counts(engine) == before


def test_skipping_bad_rows_writes_the_good_ones_and_reports_the_rest(engine):
    data = (
        HEADER + "P-1,a@b.example,Ann,Acme,10,,\nP-2,nope,Bo,Acme,10,,\nP-3,c@d.example,Cy,X,5,,\n"
    )

    result = run(engine, data, skip_bad_rows=True)

    assert (result.created, result.skipped, result.refused) == (2, 1, False)
    assert (
        result.summary()
        == "Imported file.csv: 2 new leads, 0 updated, 0 unchanged; 1 bad rows skipped."
    )
    assert result.report() == [
        (
            "Row 3, column 'email': 'nope' is not an email address. Correct "
            "it (like name@company.com) or leave the cell empty."
        )
    ]
    assert sorted(leads(engine)) == ["P-1", "P-3"]


def test_a_dry_run_counts_and_writes_nothing(engine):
    run(engine, "leads_plain.csv")
    before = counts(engine)
    data = "external_id,email,title\nP-1,ivy@acme.example,CEO\nP-9,new@acme.example,CEO\nP-2,jon@acme.example,CEO\n"

    result = run(engine, data, dry_run=True)

    assert (result.created, result.updated, result.unchanged) == (1, 1, 1)
    assert result.summary() == (
        "Dry run of file.csv, nothing written. It would give 1 new leads, 1 updated, 1 unchanged."
    )
    assert counts(engine) == before


def test_a_rep_may_not_import_and_nothing_is_written(engine):
    rep = make_user(engine, "rita", Role.REP, team="East")
    before = counts(engine)

    with pytest.raises(Forbidden, match="A rep may not import leads"):
        run(engine, "leads_plain.csv", actor=rep)

    assert counts(engine) == before


def test_the_batch_and_one_import_audit_row_record_the_import(engine):
    marketer = make_user(engine, "mo", Role.MARKETING)

    result = run(engine, "leads_plain.csv", actor=marketer)

    with read_session(engine) as session:
        batch = session.get(ImportBatch, result.batch_id)
        audit = session.exec(select(AuditLog).where(AuditLog.action == "import.leads")).all()
    assert (
        batch.kind,
        batch.filename,
        batch.rows_total,
        batch.rows_created,
        batch.imported_by_id,
    ) == ("leads", "leads_plain.csv", 3, 3, marketer.id)
    assert [(a.entity, a.entity_id, a.actor_id) for a in audit] == [
        ("importbatch", batch.id, marketer.id)
    ]
