"""The admin pages keep the tab an admin works in: an action (which reruns the page to show
its confirmation) leaves the same tab open, and the tab is named in the address."""

from __future__ import annotations

from leaddash.auth import team_by_name
from leaddash.db import read_session
from leaddash.ui.admin import USER_TABS
from leaddash.ui.notifications import NOTIFICATION_TABS
from tests.apptest import app_as, texts


def _nodes(node):
    yield node
    for child in getattr(node, "children", {}).values():
        yield from _nodes(child)


def tab_index(at) -> int:
    container = next(node for node in _nodes(at._tree) if node.type == "tab_container")
    return container.proto.tab_container.default_tab_index


def test_adding_a_team_from_the_third_tab_leaves_that_tab_open(app_db):
    at = app_as("admin", "pages/admin_users.py")
    at.session_state["tab"] = "Add a team"  # what a click on the tab does
    at.run()
    assert tab_index(at) == USER_TABS.index("Add a team")

    next(t for t in at.text_input if t.label == "Team name").input("North")
    next(b for b in at.button if b.label == "Add team").click()
    at.run()

    assert not at.exception, at.exception
    assert "Added team 'North'" in texts(at)
    with read_session(app_db) as session:
        assert team_by_name(session, "North") is not None
    assert at.session_state["tab"] == "Add a team"
    assert tab_index(at) == USER_TABS.index("Add a team")


def test_resetting_a_password_leaves_the_change_a_user_tab_open(app_db):
    at = app_as("admin", "pages/admin_users.py")
    at.session_state["tab"] = "Change a user"
    at.run()

    next(t for t in at.text_input if t.label == "New password").input("a-new-password-42")
    next(b for b in at.button if b.label == "Reset password").click()
    at.run()

    assert not at.exception, at.exception
    assert "reset. Tell them the new one in person." in texts(at)
    assert tab_index(at) == USER_TABS.index("Change a user")


def test_narrowing_the_outbox_leaves_the_outbox_tab_open(app_db):
    at = app_as("admin", "pages/admin_notifications.py")
    at.session_state["tab"] = "Outbox"
    at.run()

    next(s for s in at.selectbox if s.label == "Status").set_value("failed")
    at.run()

    assert not at.exception, at.exception
    assert "No failed notifications." in texts(at)
    assert tab_index(at) == NOTIFICATION_TABS.index("Outbox")
