"""Login with streamlit-authenticator, fed from the users table (no YAML of users)."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import jwt
import streamlit as st
import streamlit_authenticator as stauth

from leaddash.audit import Actor
from leaddash.auth import find_active_actor
from leaddash.config import Settings
from leaddash.db_faults import login_message, write_message
from leaddash.errors import DatabaseFault, LoginThrottled
from leaddash.models import utcnow
from leaddash.sessions import attempt_login, is_revoked, revoke_token, token_digest
from leaddash.ui.client import session_client_address
from leaddash.ui.resources import engine, reading, writing
from leaddash.ui.text import plain
from leaddash.users import login_credentials

WRONG_LOGIN = (
    "Wrong username or password. Check the spelling and try again, "
    "or ask your admin to reset your password."
)
# Lets the cookie component reach the browser before the rerun replaces the page.
COOKIE_SETTLE_SECONDS = 0.6
GONE_LOGIN = "Your account is no longer active. Ask your admin if you think this is a mistake."
# Session-state key of this session's login token: its digest and expiry, to revoke at logout.
HELD_TOKEN = "login_token"


def authenticator(settings: Settings) -> stauth.Authenticate:
    """Return an authenticator holding the current active users from the database."""
    with reading() as session:
        credentials = login_credentials(session)
    auth = stauth.Authenticate(
        credentials,
        cookie_name=settings.cookie_name,
        cookie_key=settings.require_cookie_key(),
        cookie_expiry_days=settings.cookie_days,
        auto_hash=False,
        login_sleep_time=0,  # cookies are read from the request, not waited for
    )
    # The authenticator has no hook before it compares a password, so its check is replaced
    # with ours, which applies the shared login throttle first.
    auth.authentication_controller.authentication_model.check_credentials = _check_password
    return auth


def _check_password(username: str, password: str) -> bool:
    return attempt_login(engine(), username=username, password=password,
                         now=utcnow(), address=session_client_address()) is not None


def _demo_logins() -> None:
    from leaddash.demo import DEMO_PASSWORD, DEMO_USERS

    rows = " · ".join(f"`{u}`" for u in DEMO_USERS)
    st.info(f"Demo mode. Log in as one of {rows} with the password `{DEMO_PASSWORD}`.",
            icon=":material/info:")


def restored_actor(settings: Settings) -> Actor | None:
    """Return the logged-in Actor from this session or the login cookie, drawing nothing.

    It renders no component: the authenticator's cookie component would rerun the first
    script run of a new session before the browser has named its page, so a reload or a
    link to a page would land on Home. The cookie is the authenticator's own signed token.
    """
    if st.session_state.get("authentication_status"):
        username = st.session_state.get("username")
    elif st.session_state.get("logout"):
        return None  # logged out, or shown the login form: the cookie was judged already
    else:
        username = _cookie_username(settings)
    if not username:
        return None
    held = st.session_state.get(HELD_TOKEN)
    with reading() as session:
        actor = find_active_actor(session, username)
        revoked = held is not None and is_revoked(session, held[0])
    if revoked:  # logged out elsewhere: in another tab, browser or app instance
        _forget_login()
        return None
    if actor is None:
        _forget_login()
        st.error(GONE_LOGIN, icon=":material/lock:")
        return None
    st.session_state.update(authentication_status=True, username=actor.username,
                            name=actor.name)
    return actor


def _cookie_username(settings: Settings) -> str | None:
    token = st.context.cookies.get(settings.cookie_name)
    if not token:
        return None
    try:
        claims = jwt.decode(token, settings.require_cookie_key(), algorithms=["HS256"])
    except jwt.PyJWTError:
        return None
    if float(claims.get("exp_date", 0)) < time.time():
        return None
    _hold_token(token, float(claims["exp_date"]))
    return claims.get("username")


def _hold_token(token: str, exp_date: float) -> None:
    st.session_state[HELD_TOKEN] = (token_digest(token), datetime.fromtimestamp(exp_date, UTC))


def _hold_written_token(auth: stauth.Authenticate) -> None:
    cookie = auth.cookie_controller.cookie_model
    if cookie.exp_date is not None:
        # The authenticator keeps the token it wrote in a local only; the same claims
        # encode to the same string.
        _hold_token(cookie._token_encode(), cookie.exp_date)


def _forget_login() -> None:
    for key in ("authentication_status", "username", "name"):
        st.session_state[key] = None
    st.session_state.pop(HELD_TOKEN, None)


def show_login_form(auth: stauth.Authenticate, settings: Settings) -> None:
    """Draw the login form; after a good login, rerun into the user's own pages."""
    # restored_actor alone judges the cookie (revoked, expired, user gone); the
    # authenticator's own cookie login would skip those checks.
    st.session_state["logout"] = True
    try:
        auth.login(location="main", fields={"Form name": "Log in to LeadDash",
                                            "Username": "Username", "Password": "Password",
                                            "Login": "Log in"})
    except stauth.LoginError:
        st.error(WRONG_LOGIN, icon=":material/lock:")
    except LoginThrottled as exc:
        st.session_state["authentication_status"] = None  # this password was never judged
        st.error(plain(exc.message), icon=":material/timer:")
    except DatabaseFault as exc:  # a login writes its attempt before the password is judged
        st.session_state["authentication_status"] = None
        st.error(login_message(exc.reason), icon=":material/database:")
    status = st.session_state.get("authentication_status")
    if status and _active_actor(auth) is not None:
        _hold_written_token(auth)
        time.sleep(COOKIE_SETTLE_SECONDS)
        st.rerun()
    if status is False:
        st.error(WRONG_LOGIN, icon=":material/lock:")
    if settings.demo:
        _demo_logins()


def _active_actor(auth: stauth.Authenticate) -> Actor | None:
    username = st.session_state.get("username") or ""
    with reading() as session:
        actor = find_active_actor(session, username)
    if actor is None:
        auth.logout(location="unrendered")
        st.error(GONE_LOGIN, icon=":material/lock:")
    return actor


def logout_button(settings: Settings) -> None:
    """Draw the sidebar's Log out button; logging out revokes this session's login token and
    deletes the cookie."""
    # The authenticator is built only on a click: it draws the cookie component, whose first
    # answer reruns the page, and a click landing during that rerun could be lost.
    if st.button("Log out", key="Logout"):
        try:
            _revoke_held_token()
        except DatabaseFault as exc:  # the login stays until it can be ended for good
            st.error(write_message(exc.reason, "log you out"), icon=":material/database:")
            return
        authenticator(settings).logout(location="unrendered")


def _revoke_held_token() -> None:
    held = st.session_state.pop(HELD_TOKEN, None)
    if held is None:
        return
    digest, expires_at = held
    with writing() as session:
        revoke_token(session, digest=digest, expires_at=expires_at, now=utcnow())


def login_navigation(settings: Settings) -> None:
    """Run the only page a logged-out visitor can reach: the login form."""

    def log_in() -> None:
        show_login_form(authenticator(settings), settings)

    st.navigation([st.Page(log_in, title="Log in", url_path="login", default=True)],
                  position="hidden").run()


def current_actor() -> Actor:
    """Return the logged-in user's Actor, re-read from the database on every run."""
    username = st.session_state.get("username") or ""
    with reading() as session:
        actor = find_active_actor(session, username)
    if actor is None:
        st.error(GONE_LOGIN)
        st.stop()
    return actor

