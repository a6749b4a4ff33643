"""Domain errors reach the screen through one seam (leaddash.ui.seam), always escaped: no
page or leaddash/ui module draws a refusal itself, and the seam draws what people typed as
text."""

from __future__ import annotations

import ast

import pytest
from streamlit.testing.v1 import AppTest

from leaddash.ui.text import plain
from tests.security.error_guard import SEAM, domain_errors, findings, module_findings
from tests.security.markdown_guard import ROOT, Module

HOSTILE = "[click](http://evil.example) **bold**"
ERRORS = {"LeadDashError", "InvalidInput", "Conflict", "NotFound", "StaleDataError"}


def _found(source: str) -> list[str]:
    return [d.source for d in module_findings(Module("page.py", ast.parse(source)), ERRORS)]


UNSAFE = {
    "a caught error's message": "try:\n    f()\nexcept LeadDashError as exc:\n"
    "    st.error(plain(exc.message))",
    "a box drawn for a refusal": "try:\n    f()\nexcept InvalidInput:\n    st.warning('Fix it')",
    "one of several caught": "try:\n    f()\nexcept (ValueError, Conflict) as exc:\n"
    "    col.info(str(exc))",
    "a lost update race": "try:\n    f()\nexcept StaleDataError:\n    st.error(STALE)",
    "an error named through its module": "try:\n    f()\nexcept errors.NotFound as e:\n"
    "    st.caption(e.message)",
    "an error handed to a helper": "def _show(exc: InvalidInput, where):\n"
    "    where.error(plain(exc.message))",
    "inside a with block": "try:\n    f()\nexcept LeadDashError as exc:\n"
    "    with st.sidebar:\n        st.markdown(exc.message)",
}
SAFE = {
    "through the seam": "try:\n    f()\nexcept LeadDashError as exc:\n    show_error(exc.message)",
    "the authenticator's own error": "try:\n    f()\nexcept stauth.LoginError:\n"
    "    st.error(WRONG_LOGIN)",
    "a log line": "import logging\ntry:\n    f()\nexcept ConfigError as exc:\n"
    "    logging.getLogger(__name__).error('%s', exc.message)",
    "a parse error of a widget's text": "try:\n    int(x)\nexcept ValueError:\n"
    "    st.caption('Not a number')",
    "a refusal kept for the next run": "try:\n    f()\nexcept LeadDashError as exc:\n"
    "    st.session_state['refusal'] = exc.message",
}


@pytest.mark.parametrize("source", UNSAFE.values(), ids=UNSAFE.keys())
def test_the_error_guard_finds_a_domain_error_drawn_outside_the_seam(source):
    assert _found(source)


@pytest.mark.parametrize("source", SAFE.values(), ids=SAFE.keys())
def test_the_error_guard_accepts_errors_left_to_the_seam(source):
    assert _found(source) == []


def test_the_error_guard_knows_every_leaddash_error():
    assert {
        "LeadDashError",
        "InvalidInput",
        "Conflict",
        "DatabaseFault",
        "LoginThrottled",
        "EditConflict",
        "SchemaDrift",
        "StaleDataError",
    } <= domain_errors()


def test_no_ui_module_draws_a_domain_error_outside_the_seam():
    found = findings()
    assert found == [], "\n".join(map(str, found))


@pytest.mark.parametrize("private", ["leaddash/ui/errors.py", "leaddash/ui/agreements/text.py"])
def test_the_private_copies_are_gone(private):
    assert not (ROOT / private).exists()


def test_the_dashboards_read_only_through_the_seam():
    # The cache's keying (metrics_cache) is the seam's own: pages and ui modules call seam.read.
    users = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "leaddash" / "ui").rglob("*.py")
        if "metrics_cache" in p.read_text(encoding="utf-8")
    ]
    assert users == [SEAM]
    pages = [
        p for p in (ROOT / "pages").glob("*.py") if "metrics_cache" in p.read_text(encoding="utf-8")
    ]
    assert pages == []


# --- what the seam draws ----------------------------------------------------------------


def _refusals() -> None:
    import streamlit as st

    from leaddash.errors import InvalidInput, NotFound
    from leaddash.ui.seam import or_stop, show_error, show_invalid

    typed = "[click](http://evil.example) **bold**"
    show_error(typed, warning=True)
    show_invalid(
        InvalidInput(typed, field="title"), where=st.container(), slots={"title": st.container()}
    )

    def refused() -> None:
        raise NotFound(f"No lead called {typed}.")

    or_stop(refused)
    st.caption("not reached")


def test_the_seam_draws_a_refusal_as_text_where_it_was_asked_and_stops_when_told():
    at = AppTest.from_function(_refusals).run()

    assert not at.exception
    assert [w.value for w in at.warning] == [plain(HOSTILE)]
    assert [e.value for e in at.error] == [
        "Nothing was saved: fix the field marked in red, then save again.",
        plain(HOSTILE),
        plain(f"No lead called {HOSTILE}."),
    ]
    assert [c.value for c in at.caption] == []
