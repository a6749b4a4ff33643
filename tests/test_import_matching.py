"""Lead import matching on both databases: rows that collide on one lead or one email are
refused with a row problem, and empty cells never clear a stored value."""

from __future__ import annotations

import pytest

from leaddash.models import Role
from tests.conftest import make_user
from tests.test_import_leads import counts, leads, run

pytestmark = pytest.mark.postgresql  # the backend matters: runs on PostgreSQL too

STORED = "external_id,email,title\nP-1,ann@acme.example,CEO\n,bo@beta.example,CTO\n"
ONE_PERSON = "One person is one lead: "
SAME_LEAD = (
    ONE_PERSON + "keep one of the rows (merge the values by hand) and remove the "
    "others, or correct the email of a row that is a different person."
)

COLLISIONS = {
    "two new ids, one stored email": (
        "external_id,email,title\nQ-1,bo@beta.example,A\nQ-2,BO@Beta.example,B\n",
        [
            f"Row {n}, column 'email': Rows 2, 3 all match the stored lead with email "
            f"'bo@beta.example' (by id or by email), so they would update the same lead. "
            f"{SAME_LEAD}"
            for n in (2, 3)
        ],
    ),
    "one row by id, another by email": (
        "external_id,email,title\nP-1,ann@acme.example,A\n,ANN@acme.example,B\n",
        [
            (
                f"Row 2, column 'external_id': Rows 2, 3 all match the stored lead 'P-1' (by id "
                f"or by email), so they would update the same lead. {SAME_LEAD}"
            ),
            (
                f"Row 3, column 'email': Rows 2, 3 all match the stored lead 'P-1' (by id or by "
                f"email), so they would update the same lead. {SAME_LEAD}"
            ),
        ],
    ),
    "id of one lead, email of another": (
        "external_id,email,title\nP-1,Bo@beta.example,A\n",
        [
            (
                "Row 2, column 'email': 'Bo@beta.example' is already the email of the stored "
                "lead with email 'bo@beta.example'; this row would give it to lead 'P-1' too. "
                f"{ONE_PERSON}correct the email here, or change the other lead's email first."
            )
        ],
    ),
    "new id, email of a lead with another id": (
        "external_id,email,title\nZ-9,ann@acme.example,A\n",
        [
            (
                "Row 2, column 'email': 'ann@acme.example' is already the email of the stored "
                "lead 'P-1', and this row's id 'Z-9' is new. "
                f"{ONE_PERSON}if it is the same person, write 'P-1' as this row's id; if not, "
                "correct the email."
            )
        ],
    ),
    "two new ids, one new email": (
        "external_id,email,title\nN-1,cy@gamma.example,A\nN-2,Cy@Gamma.example,B\n",
        [
            f"Row {n}, column 'email': Rows 2, 3 all have 'cy@gamma.example' but are different "
            f"leads (different ids), so one email would belong to several leads. {ONE_PERSON}"
            "keep one of the rows and give it the right id, or correct the emails."
            for n in (2, 3)
        ],
    ),
}


@pytest.mark.parametrize("case", sorted(COLLISIONS))
def test_rows_colliding_on_a_lead_or_an_email_are_reported_and_nothing_is_written(engine, case):
    run(engine, STORED)
    before, stored = counts(engine), leads(engine)
    data, lines = COLLISIONS[case]

    result = run(engine, data)

    assert result.refused and not result.written
    assert result.report() == lines
    assert counts(engine) == before
    assert {k: (v.email, v.title, v.version) for k, v in leads(engine).items()} == {
        k: (v.email, v.title, v.version) for k, v in stored.items()
    }


def test_skipping_bad_rows_skips_every_colliding_row_and_imports_the_rest(engine):
    run(engine, STORED)
    data = (
        "external_id,email,title\nQ-1,bo@beta.example,A\nQ-2,bo@beta.example,B\n"
        "P-1,ann@acme.example,CFO\n"
    )

    result = run(engine, data, skip_bad_rows=True)

    assert (result.updated, result.skipped) == (1, 2)
    assert [r.row for r in result.problems] == [2, 3]
    stored = leads(engine)
    assert (stored["P-1"].title, stored["bo@beta.example"].title) == ("CFO", "CTO")


def test_a_new_id_claims_the_stored_lead_with_its_email_and_no_id(engine):
    run(engine, STORED)

    result = run(engine, "external_id,email,title\nQ-1,BO@beta.example,CTO\n")

    assert (result.created, result.updated, result.problems) == (0, 1, ())
    assert sorted(leads(engine)) == ["P-1", "Q-1"]


FULL = (
    "external_id,email,first_name,company,employees,created_at,owner,title\n"
    "P-1,ann@acme.example,Ann,Acme,40,2024-05-01,rita,CEO\n"
    ",bo@beta.example,Bo,Beta,12,2024-05-02,,CTO\n"
)


def test_empty_cells_never_clear_stored_values(engine):
    rep = make_user(engine, "rita", Role.REP, team="East")
    run(engine, FULL)
    before = counts(engine)
    blank = (
        "external_id,email,first_name,company,employees,created_at,owner,title\n"
        "P-1,,,,,,,\n,bo@beta.example,,,,,,\n"
    )

    result = run(engine, blank)

    assert result.summary() == "Nothing changed: all 2 rows match what is stored."
    assert counts(engine) == before
    ann, bo = leads(engine)["P-1"], leads(engine)["bo@beta.example"]
    assert (
        ann.email,
        ann.first_name,
        ann.company,
        ann.employees,
        ann.title,
        ann.created_at.date().isoformat(),
        ann.owner_id,
    ) == ("ann@acme.example", "Ann", "Acme", 40, "CEO", "2024-05-01", rep.id)
    assert (bo.first_name, bo.company, bo.employees, bo.title) == ("Bo", "Beta", 12, "CTO")


def test_a_row_with_empty_cells_updates_only_its_filled_ones(engine):
    run(engine, FULL.replace(",rita,", ",,"))

    result = run(engine, "external_id,email,company,title\nP-1,,Acme Corp,\n")

    ann = leads(engine)["P-1"]
    assert (result.updated, ann.company, ann.title, ann.email) == (
        1,
        "Acme Corp",
        "CEO",
        "ann@acme.example",
    )
