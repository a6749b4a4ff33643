"""AppTest runs of the lead page: the search, opening a lead by its address, and the
plain refusal of a lead that is unknown or outside the user's scope."""

from __future__ import annotations

import pytest

from leaddash.auth import find_active_actor
from leaddash.db import read_session
from leaddash.models import Role
from leaddash.ui.lead_links import LEAD_PAGE, lead_links
from leaddash.ui.lead_page import SEARCH_KEY
from leaddash.ui.nav import pages_for, spec_at
from tests.apptest import app_as, seen, texts
from tests.conftest import make_user
from tests.queue_factory import make_lead

PAGE = "pages/lead.py"


@pytest.fixture
def leads(app_db):
    """A lead of the rep "rep" (team East) and one of Cy (team West), both at Orbit Labs."""
    with read_session(app_db) as session:
        rep = find_active_actor(session, "rep")
    cy = make_user(app_db, "cy", Role.REP, team="West")
    return {
        "own": make_lead(app_db, rep, first="Owen", company="Orbit Labs"),
        "west": make_lead(app_db, cy, first="Wanda", company="Orbit Labs"),
    }


def refusal(lead_id: int) -> str:
    return (
        f"There is no lead {lead_id} that you may open. "
        "Check the number, or search for the lead by name."
    )


def _open(username: str, lead_id: object):
    at = app_as(username)
    at.query_params["id"] = str(lead_id)
    at.switch_page(PAGE)
    return at.run()


def _results(at) -> list[str]:
    return [seen(link.proto.label) for link in at.get("page_link") if "lead" in link.proto.page]


def test_every_role_may_open_the_page_and_the_menu_does_not_list_it():
    assert all(spec_at(LEAD_PAGE) in pages_for(role) for role in Role)
    assert spec_at(LEAD_PAGE).hidden


def test_the_search_lists_only_the_leads_the_user_may_see(leads):
    at = app_as("sales_manager", PAGE)
    at.text_input(key=SEARCH_KEY).input("ORBIT").run()

    assert not at.exception, at.exception
    own = leads["own"]
    assert _results(at) == [f"#{own.id} Owen Lee · Orbit Labs · owen.lee@example.com · mql"]
    assert "1 lead(s) found" in texts(at)


def test_a_search_with_no_match_says_so(leads):
    at = app_as("sales_leader", PAGE)
    at.text_input(key=SEARCH_KEY).input("no such lead").run()

    assert not at.exception, at.exception
    assert "No lead you may open matches “no such lead”." in texts(at)


def test_a_lead_opens_from_its_address_with_its_sections(leads):
    at = _open("sales_leader", leads["west"].id)

    assert not at.exception, at.exception
    assert seen(at.subheader[0].value) == f"#{leads['west'].id} Wanda Lee"
    assert "Stage mql · score 72 · owner Cy · team West" in texts(at)
    assert [t.label for t in at.tabs] == ["Timeline", "Disputes", "Audit trail"]
    sla = at.dataframe[0].value
    assert list(sla["Milestone"]) == ["First touch", "Decision"]
    assert list(sla["State"]) == ["pending", "pending"]


def test_a_lead_outside_the_user_s_scope_is_refused_plainly(leads):
    west = leads["west"].id
    at = _open("rep", west)

    assert not at.exception, at.exception
    assert [seen(e.value) for e in at.error] == [refusal(west)]
    assert not at.subheader


def test_an_unknown_lead_is_refused_in_the_same_words(leads):
    missing = leads["west"].id + 50
    at = _open("admin", missing)

    assert not at.exception, at.exception
    assert [seen(e.value) for e in at.error] == [refusal(missing)]


def test_an_address_without_a_number_says_what_to_do(leads):
    at = _open("admin", "abc")

    assert not at.exception, at.exception
    assert [seen(e.value) for e in at.error] == [
        "'abc' is not a lead number. Search for the lead below instead."
    ]


def test_a_table_link_names_the_lead_page_and_the_lead(leads):
    own = leads["own"]
    assert lead_links([own.id], ["Owen Lee"]) == [f"lead?id={own.id}#Owen Lee"]
    assert lead_links([own.id], [""]) == [f"lead?id={own.id}#Lead {own.id}"]
