"""Login with streamlit-authenticator, fed from the users table (no YAML of users)."""

from __future__ import annotations

import streamlit as st
import streamlit_authenticator as stauth

from leaddash.audit import Actor
from leaddash.auth import find_active_actor
from leaddash.config import Settings
from leaddash.ui.resources import reading
from leaddash.users import login_credentials

WRONG_LOGIN = (
    "Wrong username or password. Check the spelling and try again, "
    "or ask your admin to reset your password."
)
GONE_LOGIN = "Your account is no longer active. Ask your admin if you think this is a mistake."


def authenticator(settings: Settings) -> stauth.Authenticate:
    """Return an authenticator holding the current active users from the database."""
    with reading() as session:
        credentials = login_credentials(session)
    return stauth.Authenticate(
        credentials,
        cookie_name=settings.cookie_name,
        cookie_key=settings.require_cookie_key(),
        cookie_expiry_days=settings.cookie_days,
        auto_hash=False,
    )


def _demo_logins() -> None:
    from leaddash.demo import DEMO_PASSWORD, DEMO_USERS

    rows = " · ".join(f"`{u}`" for u in DEMO_USERS)
    st.info(f"Demo mode. Log in as one of {rows} with the password `{DEMO_PASSWORD}`.",
            icon=":material/info:")


def logged_in_actor(auth: stauth.Authenticate, settings: Settings) -> Actor | None:
    """Draw the login form when needed; return the Actor once a valid user is logged in."""
    try:
        auth.login(location="main", fields={"Form name": "Log in to LeadDash",
                                            "Username": "Username", "Password": "Password",
                                            "Login": "Log in"})
    except stauth.LoginError:
        st.error(WRONG_LOGIN)
    status = st.session_state.get("authentication_status")
    if status:
        return _active_actor(auth)
    if status is False:
        st.error(WRONG_LOGIN, icon=":material/lock:")
    if settings.demo:
        _demo_logins()
    return None


def _active_actor(auth: stauth.Authenticate) -> Actor | None:
    username = st.session_state.get("username") or ""
    with reading() as session:
        actor = find_active_actor(session, username)
    if actor is None:
        auth.logout(location="unrendered")
        st.error(GONE_LOGIN, icon=":material/lock:")
    return actor


def current_actor() -> Actor:
    """Return the logged-in user's Actor, re-read from the database on every run."""
    username = st.session_state.get("username") or ""
    with reading() as session:
        actor = find_active_actor(session, username)
    if actor is None:
        st.error(GONE_LOGIN)
        st.stop()
    return actor


def login_only_navigation() -> None:
    """Claim navigation with no visible page, so no page can be opened before logging in."""
    st.navigation([st.Page(_login_placeholder, title="Log in", url_path="login")],
                  position="hidden")


def _login_placeholder() -> None:
    """Never run: the login form is drawn by the entry point before navigation."""
