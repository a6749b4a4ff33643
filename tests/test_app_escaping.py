"""Messages that quote what people typed are drawn as escaped Markdown: a lead name, a note or
a search shows literally, and never turns into a link, emphasis or markup."""

from __future__ import annotations

import re

from leaddash.auth import find_active_actor
from leaddash.db import read_session
from tests.apptest import app_as, seen
from tests.queue_factory import make_lead

HOSTILE = "[click](https://evil.example) *bold* <img src=x onerror=alert(1)> `code`"
# A Markdown-significant character with no backslash before it.
UNESCAPED = re.compile(r"(?<!\\)[\[\]()*_<>`#|~!]")


def _rep(engine):
    with read_session(engine) as session:
        return find_active_actor(session, "rep")


def test_a_flash_naming_a_lead_shows_its_name_literally(app_db):
    lead = make_lead(app_db, _rep(app_db), first="Ann", last=HOSTILE)
    at = app_as("rep", "pages/my_queue.py")
    at.button_group(key=f"outcome_call_{lead.id}").set_value("no_answer").run()
    at = at.button(key=f"attempt_{lead.id}").click().run()

    assert not at.exception
    message = at.success[0].value
    assert seen(message).startswith(f"Attempt 1 (call, no answer) logged for Ann {HOSTILE}.")
    assert UNESCAPED.search(message) is None


def test_a_refusal_naming_a_lead_shows_its_name_literally(app_db):
    lead = make_lead(app_db, _rep(app_db), first="Ann", last=HOSTILE)
    at = app_as("rep", "pages/my_queue.py")
    at.button_group(key=f"dq_reason_{lead.id}").set_value("unable_to_reach").run()
    at = at.button(key=f"disqualify_{lead.id}").click().run()

    assert not at.exception
    message = at.error[0].value
    assert f"and Ann {HOSTILE} has 0" in seen(message)
    assert UNESCAPED.search(message) is None


def test_a_search_with_no_match_is_quoted_literally(app_db):
    at = app_as("marketing", "pages/disputes.py")
    at = at.text_input(key="dispute_search").input(HOSTILE).run()

    assert not at.exception
    message = at.info[-1].value
    assert seen(message).endswith(f"matching {HOSTILE!r}.")
    assert UNESCAPED.search(message) is None
