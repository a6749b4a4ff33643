"""A page's address answers every signed-in user: a page their role may not open says so
(and never runs), an address no page has says so, and neither lands on Home in silence.

A browser opening /users asks for the page by its address; AppTest sends no address, so
`at_address` makes its next run ask as a browser does. A click in the menu asks by the
hash st.navigation gives the page's url_path: `test_a_rep_asking_for_a_leader_page_by_its
_hash…` opens the page as the admin, then runs the same session as the rep.

The app runs as leaddash.ui.serve serves it: with pages/ never auto-discovered. AppTest
otherwise treats pages/ as an old-style multipage app and runs pages/disputes.py itself,
without app.py, for a request named like its file (as a plain `streamlit run app.py`
does for a process's first session); the services still refuse the rep there.
"""

from __future__ import annotations

import functools

import pytest
from streamlit.runtime.pages_manager import PagesManager
from streamlit.testing.v1 import AppTest

from leaddash.auth import PERMISSIONS
from leaddash.models import Role
from leaddash.ui.nav import NO_ACCESS, PAGES, pages_for
from tests.apptest import APP, TIMEOUT, app_as, log_in_as, texts

REP_PAGES = {spec.script for spec in pages_for(Role.REP)}
LEADER_PAGES = [spec for spec in PAGES if spec.script not in REP_PAGES]


class ServedPages(PagesManager):
    """The pages manager as leaddash.ui.serve leaves it: no pages/ folder discovery."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        PagesManager.uses_pages_directory = False


@pytest.fixture
def served(app_db, monkeypatch):
    # AppTest resets the flag before each run; its own name for the class is replaced.
    monkeypatch.setattr("streamlit.testing.v1.app_test.PagesManager", ServedPages)
    monkeypatch.setattr(PagesManager, "uses_pages_directory", False)
    return app_db


def at_address(username: str, address: str, monkeypatch) -> AppTest:
    """Return the first run of app.py for `username` ("": logged out) in a new session that
    asks for the page at /`address`, as a browser opening that URL does."""
    from streamlit.runtime.scriptrunner import RerunData

    monkeypatch.setattr(
        "streamlit.testing.v1.local_script_runner.RerunData",
        functools.partial(RerunData, page_name=address),
    )
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if username:
        log_in_as(at, username)
    return at.run()


def _roles_named(spec) -> list[str]:
    return [role.value.replace("_", " ") for role in Role if role in spec.roles]


@pytest.mark.parametrize("spec", LEADER_PAGES, ids=[spec.url_path for spec in LEADER_PAGES])
def test_a_rep_opening_a_leader_page_address_is_told_they_have_no_access(served, spec, monkeypatch):
    at = at_address("rep", spec.url_path, monkeypatch)

    assert not at.exception, at.exception
    assert [title.value for title in at.title] == [NO_ACCESS]
    said = texts(at)
    assert f"**{spec.title}** is for these roles: {', '.join(_roles_named(spec))}." in said
    assert "You are logged in as rep" in said and "ask an admin" in said
    assert "Open leads" not in said  # Home did not run underneath
    assert [link.label for link in at.get("page_link")] == ["Go to Home"]


@pytest.mark.parametrize("spec", LEADER_PAGES[:3], ids=[s.url_path for s in LEADER_PAGES[:3]])
def test_a_rep_asking_for_a_leader_page_by_its_hash_is_told_they_have_no_access(served, spec):
    at = app_as("admin", f"pages/{spec.script}")
    leader_headings = [title.value for title in at.title]
    assert not at.exception and leader_headings, f"the admin could not open /{spec.url_path}"

    log_in_as(at, "rep")
    at.run()

    assert not at.exception, at.exception
    assert [title.value for title in at.title] == [NO_ACCESS]
    assert not set(leader_headings) & {title.value for title in at.title}


def test_a_manager_is_refused_the_users_page_but_opens_the_team_queue(served, monkeypatch):
    refused = at_address("sales_manager", "users", monkeypatch)
    opened = at_address("sales_manager", "team-queue", monkeypatch)

    assert not refused.exception and not opened.exception
    assert [t.value for t in refused.title] == [NO_ACCESS]
    assert "**Users and teams** is for these roles: admin." in texts(refused)
    assert Role.SALES_MANAGER in PERMISSIONS["reassign_team_lead"]
    assert [t.value for t in opened.title] != [NO_ACCESS] and opened.title


def test_an_address_no_page_has_says_there_is_no_page_there(served, monkeypatch):
    at = at_address("marketing", "reports-2026", monkeypatch)

    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["Page not found"]
    assert "There is no page at /reports-2026." in texts(at)
    assert "Open leads" not in texts(at)
    assert [link.label for link in at.get("page_link")] == ["Go to Home"]


def test_homes_own_address_opens_home(served, monkeypatch):
    at = at_address("rep", "home", monkeypatch)

    assert not at.exception, at.exception
    assert [title.value for title in at.title] == ["Hello, Rep"]


def test_a_logged_out_visitor_at_a_page_address_reads_what_leaddash_is(served, monkeypatch):
    at = at_address("", "funnel", monkeypatch)

    assert not at.exception, at.exception
    said = texts(at)
    assert "LeadDash** is the lead agreement between marketing and sales" in said
    assert "reps work the leads it passes" in said and "managers see where leads leak" in said
    assert {t.label for t in at.text_input} == {"Username", "Password"}


def test_a_reps_menu_holds_home_their_queue_and_the_definition_only():
    # DESIGN: a rep has their own queue only; Home shows it and the definition is what
    # they judge leads by. Every other page is a leader page, checked above.
    assert {"home.py", "my_queue.py", "lead.py", "definition.py"} == REP_PAGES
    assert len(LEADER_PAGES) == 15
