"""Helpers for AppTest runs of the real entry point over a test database."""

from __future__ import annotations

import re
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine
from streamlit.testing.v1 import AppTest

from leaddash.audit import Actor
from leaddash.models import Role
from leaddash.ui.text import WORD_JOINER

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60


def app_as(username: str | None, page: str | None = None) -> AppTest:
    """Return an AppTest of app.py, logged in as `username` (None: logged out), run once."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if username:
        at.session_state["authentication_status"] = True
        at.session_state["username"] = username
        at.session_state["name"] = username
        at.session_state["logout"] = None
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def submit_login(at: AppTest, username: str, password: str) -> AppTest:
    """Fill the login form, press Log in and return the run that follows."""
    inputs = {t.label: t for t in at.text_input}
    inputs["Username"].input(username)
    inputs["Password"].input(password)
    at.button[0].click()
    return at.run()


def seen(markdown: str) -> str:
    """Return Markdown text as a person reads it: without the backslashes that escape
    punctuation and the invisible word joiners that keep addresses from becoming links
    (pages pass what people typed through leaddash.ui.text.plain so it shows literally)."""
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", markdown).replace(WORD_JOINER, "")


def texts(at: AppTest) -> str:
    """Return every piece of visible text of the last run, joined (for assertions)."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "info", "success",
                 "warning", "error", "exception"):
        parts.extend(seen(str(el.value)) for el in getattr(at, kind))
    parts.extend(f"{m.label} {m.value}" for m in at.metric)
    return "\n".join(parts)


def use_database(engine: Engine, monkeypatch) -> None:
    """Point app.py at `engine` in demo mode, with Streamlit's caches emptied."""
    monkeypatch.setenv("DATABASE_URL", engine.url.render_as_string(hide_password=False))
    monkeypatch.setenv("LEADDASH_DEMO", "1")
    st.cache_resource.clear()
    st.cache_data.clear()


def one_user_per_role(engine: Engine) -> dict[str, Actor]:
    """Create a user named after each role (rep and manager in team East); return them."""
    from tests.conftest import make_user

    return {role.value: make_user(engine, role.value, role.value,
                                  team="East" if role in (Role.REP, Role.SALES_MANAGER) else None)
            for role in Role}
