"""A rep asking for a leader's page by its URL path lands on their own Home, with no leader
content: the page is not in the rep's st.navigation, so Streamlit runs the default page.

AppTest cannot type a URL, so each case first opens the leader page as the admin (the run
records the page's heading, and the session now asks for the page by the hash that
st.navigation gives its url_path, exactly what a browser sends for /users and the like),
then the same session becomes the rep and runs again, still asking for that page.

The app runs as leaddash.ui.serve serves it: with pages/ never auto-discovered. AppTest
otherwise treats pages/ as an old-style multipage app and runs pages/disputes.py itself,
without app.py, for a request named like its file (as a plain `streamlit run app.py`
does for a process's first session); the services still refuse the rep there.
"""

from __future__ import annotations

import pytest
from streamlit.runtime.pages_manager import PagesManager

from leaddash.models import Role
from leaddash.ui.nav import PAGES, pages_for
from tests.apptest import app_as, log_in_as, texts

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


@pytest.mark.parametrize("spec", LEADER_PAGES, ids=[spec.url_path for spec in LEADER_PAGES])
def test_a_rep_asking_for_a_leader_page_gets_their_own_home(served, spec):
    at = app_as("admin", f"pages/{spec.script}")
    leader_headings = [title.value for title in at.title]
    assert not at.exception and leader_headings, f"the admin could not open /{spec.url_path}"

    log_in_as(at, "rep")
    at.run()

    assert not at.exception, at.exception
    shown = [title.value for title in at.title]
    assert shown == ["Hello, Rep"]
    assert "Open leads" in texts(at)
    assert not set(leader_headings) & set(shown)


def test_a_reps_menu_holds_home_their_queue_and_the_definition_only():
    # DESIGN: a rep has their own queue only; Home shows it and the definition is what
    # they judge leads by. Every other page is a leader page, checked above.
    assert {"home.py", "my_queue.py", "lead.py", "definition.py"} == REP_PAGES
    assert len(LEADER_PAGES) == 15
