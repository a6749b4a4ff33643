"""AppTest runs of the Import page: who sees it, preview, every problem, skip, confirm."""

from __future__ import annotations

import pytest

from leaddash.models import Role
from leaddash.ui.imports import INJECTED_FILE
from tests.apptest import app_as, seen, texts
from tests.test_import_leads import FIXTURES, counts

PAGE = "pages/import_data.py"


def _with_file(username: str, name: str, data: bytes):
    at = app_as(username, PAGE)
    at.session_state[INJECTED_FILE] = (name, data)
    return at.run()


def _button(at, label: str):
    return next(b for b in at.button if b.label == label)


@pytest.mark.parametrize("role", [Role.ADMIN, Role.MARKETING_LEADER, Role.MARKETING])
def test_importing_roles_open_the_page_and_are_asked_for_a_file(app_db, role):
    at = app_as(role.value, PAGE)

    assert not at.exception, at.exception
    assert [t.value for t in at.title] == ["Import"]
    assert "Choose a CSV file exported from your CRM" in texts(at)


@pytest.mark.parametrize("role", [Role.REP, Role.SALES_MANAGER, Role.SALES_LEADER])
def test_other_roles_cannot_open_the_import_page(app_db, role):
    at = app_as(role.value)

    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)
    at.run()

    assert not at.exception
    assert "Import" not in [t.value for t in at.title]


def test_a_preset_file_is_previewed_then_imported_on_confirm(app_db):
    at = _with_file("marketing", "hubspot.csv", (FIXTURES / "hubspot.csv").read_bytes())
    next(s for s in at.selectbox if s.label == "How are the columns named?").set_value("hubspot")
    at.run()

    assert not at.exception, at.exception
    assert "It would give 3 new leads, 0 updated, 0 unchanged." in texts(at)
    assert at.dataframe[0].value["Email"].tolist()[0] == "dana.ruiz@initech.example"
    assert counts(app_db)["lead"] == 0

    _button(at, "Import").click()
    at.run()

    assert not at.exception, at.exception
    assert "Imported hubspot.csv: 3 new leads, 0 updated, 0 unchanged." in texts(at)
    assert counts(app_db)["lead"] == 3


def test_every_problem_is_listed_and_skipping_is_a_choice(app_db):
    data = b"email,first_name\nok@acme.example,Ann\nbroken,Bo\nalso broken,Cy\n"
    at = _with_file("marketing_leader", "mixed.csv", data)

    problems = at.dataframe[1].value
    assert problems[["Row", "Column", "Problem"]].values.tolist() == [
        [3, "email", "'broken' is not an email address."],
        [4, "email", "'also broken' is not an email address."],
    ]
    assert _button(at, "Import").disabled

    next(c for c in at.checkbox if c.label.startswith("Skip the 2 bad rows")).check()
    at.run()
    _button(at, "Import").click()
    at.run()

    assert not at.exception, at.exception
    assert "1 new leads, 0 updated, 0 unchanged; 2 bad rows skipped." in texts(at)
    assert counts(app_db)["lead"] == 1


def test_a_clean_file_offers_no_skip_choice(app_db):
    at = _with_file("admin", "plain.csv", (FIXTURES / "leads_plain.csv").read_bytes())

    assert not at.exception
    assert not [c for c in at.checkbox if c.label.startswith("Skip")]
    assert not _button(at, "Import").disabled


def test_a_broken_file_shows_its_message(app_db):
    at = _with_file("admin", "empty.csv", b"")

    assert not at.exception
    assert next(seen(e.value) for e in at.error).startswith("empty.csv is empty (0 bytes)")
    assert not [b for b in at.button if b.label == "Import"]


def _how(at):
    return next(s for s in at.selectbox if s.label == "How are the columns named?")


def _read_as(at) -> list[list[str]]:
    """Return the rows of the table saying which file column goes to which field, as a
    person reads them (st.table draws its cells as Markdown, so they come escaped)."""
    return [[seen(cell) for cell in row] for row in at.table[0].value.reset_index().values.tolist()]


def test_a_hubspot_export_is_recognised_and_every_known_column_mapped(app_db):
    at = _with_file("marketing", "hubspot.csv", (FIXTURES / "hubspot.csv").read_bytes())

    assert not at.exception, at.exception
    assert _how(at).value == "hubspot"
    assert "Looks like a HubSpot export: 12 of 13 columns recognised." in texts(at)
    assert _read_as(at) == [
        ["Record ID", "external_id"],
        ["First Name", "first_name"],
        ["Last Name", "last_name"],
        ["Email", "email"],
        ["Company Name", "company"],
        ["Job Title", "title"],
        ["Original Source", "source"],
        ["Lifecycle Stage", "stage"],
        ["Lead Status", "(kept as a custom attribute)"],
        ["Create Date", "created_at"],
        ["Number of Employees", "employees"],
        ["Country/Region", "country"],
        ["Industry", "industry"],
    ]
    assert "No column gives" not in texts(at)
    assert not at.warning


def test_a_hubspot_connector_export_maps_its_lifecycle_dates(app_db):
    data = (
        b"property_hs_object_id,property_email,property_firstname,property_lifecyclestage,"
        b"property_hs_lifecyclestage_marketingqualifiedlead_date,property_hs_score\n"
        b"71,ana@acme.example,Ana,marketingqualifiedlead,2024-05-02,40\n"
    )
    at = _with_file("marketing", "contacts.csv", data)

    assert not at.exception, at.exception
    assert "Looks like a HubSpot export: 5 of 6 columns recognised." in texts(at)
    mapped = dict(_read_as(at))
    assert (
        mapped["property_lifecyclestage"],
        mapped["property_hs_lifecyclestage_marketingqualifiedlead_date"],
    ) == ("stage", "mql_at")
    assert "No column gives: last_name, company, country, source, created_at." in texts(at)
    assert [i.value for i in at.info if "History" in i.value] == [
        (
            "History: each lead is loaded at the stages and on the dates the file gives (mql_at), "
            "and the lead definition does not qualify it."
        )
    ]
    assert not at.warning


def test_a_file_with_our_own_column_names_keeps_matching_by_name(app_db):
    at = _with_file("admin", "plain.csv", (FIXTURES / "leads_plain.csv").read_bytes())

    assert not at.exception, at.exception
    assert _how(at).value == "Match columns by name"
    assert "Looks like" not in texts(at)
    assert _read_as(at)[-1] == ["Favourite colour", "(kept as a custom attribute)"]


def test_a_file_without_a_date_warns_that_leads_are_dated_today(app_db):
    at = _with_file("marketing", "list.csv", b"email,company\nann@acme.example,Acme\n")

    assert not at.exception, at.exception
    assert [w.value for w in at.warning] == [
        (
            "No column gives a date: every lead will be dated today, the day of the import; map "
            "created_at or a stage date if the file has one."
        )
    ]
    assert (
        "No column gives: external_id, first_name, last_name, country, source, created_at."
    ) in texts(at)


def test_switching_a_detected_file_to_matching_by_name_maps_only_our_names(app_db):
    at = _with_file("marketing", "hubspot.csv", (FIXTURES / "hubspot.csv").read_bytes())

    _how(at).set_value("Match columns by name")
    at.run()

    assert not at.exception, at.exception
    mapped = {c: f for c, f in _read_as(at) if not f.startswith("(")}
    assert mapped == {
        "Record ID": "external_id",
        "First Name": "first_name",
        "Last Name": "last_name",
        "Email": "email",
        "Industry": "industry",
    }
