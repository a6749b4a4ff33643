"""Helpers for AppTest runs of the real entry point over a test database."""

from __future__ import annotations

import functools
import os
import re
from pathlib import Path

import streamlit as st
from sqlalchemy import Engine
from streamlit.components.v2 import manifest_scanner
from streamlit.testing.v1 import AppTest

from leaddash.auth import get_user
from leaddash.core.actor import Actor
from leaddash.db import make_engine, write_session
from leaddash.logins import start_login
from leaddash.models import Role, utcnow
from leaddash.ui.login import LOGIN_KEY
from leaddash.ui.text import WORD_JOINER

APP = str(Path(__file__).resolve().parent.parent / "app.py")
TIMEOUT = 60

# Each AppTest run scans every installed package for Streamlit component manifests (about
# 0.2 s, as long as a typical page's run); the installed packages do not change while the
# tests run, so the first scan's answer serves every later run of this process.
manifest_scanner.scan_component_manifests = functools.cache(
    manifest_scanner.scan_component_manifests
)


def app_as(username: str | None, page: str | None = None) -> AppTest:
    """Return an AppTest of app.py, logged in as `username` (None: logged out), run once."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    if username:
        log_in_as(at, username)
    at.run()
    if page:
        at.switch_page(page)
        at.run()
    return at


def start_login_of(username: str) -> str:
    """Start a login of `username` in the database app.py uses (DATABASE_URL), as a right
    password would; return its digest."""
    engine = make_engine(os.environ["DATABASE_URL"])
    try:
        with write_session(engine) as session:
            user_id = get_user(session, username).id
            return start_login(session, user_id=user_id, key="apptest", now=utcnow())[1]
    finally:
        engine.dispose()


def log_in_as(at: AppTest, username: str) -> str:
    """Give the AppTest session a new login of `username` (before its next run); return the
    login's digest."""
    digest = start_login_of(username)
    at.session_state[LOGIN_KEY] = digest
    return digest


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


def link_names(links) -> list[str]:
    """Return the lead names a link column shows ("lead?id=12#Ann Lee" shows "Ann Lee")."""
    return [str(link).split("#", 1)[1] for link in links]


def texts(at: AppTest) -> str:
    """Return every piece of visible text of the last run, joined (for assertions)."""
    parts = []
    for kind in (
        "title",
        "header",
        "subheader",
        "markdown",
        "caption",
        "info",
        "success",
        "warning",
        "error",
        "exception",
    ):
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

    return {
        role.value: make_user(
            engine,
            role.value,
            role.value,
            team="East" if role in (Role.REP, Role.SALES_MANAGER) else None,
        )
        for role in Role
    }
