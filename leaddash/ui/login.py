"""Logging in and out: streamlit-authenticator's form, then a login the server holds.

After a right password the server records a login (leaddash.logins) and this session keeps
its digest; the browser gets the login's token as an HttpOnly cookie set by the server
(leaddash.ui.login_routes: a tiny component posts a one-time ticket there), never written by
script. A new session (a reload, another tab) finds its login through that cookie. Every run
checks the login against the database, and every service checks it again (leaddash.access);
a login that has ended brings back the form, saying why.
"""

from __future__ import annotations

from typing import Any

import streamlit as st
import streamlit_authenticator as stauth
from streamlit_authenticator.controllers import AuthenticationController
from streamlit_authenticator.utilities import Encryptor

from leaddash.auth import get_user
from leaddash.config import Settings
from leaddash.core.actor import Actor
from leaddash.db_faults import login_message, write_message
from leaddash.errors import DatabaseFault, LoginEnded, LoginThrottled
from leaddash.logins import end_login, login_digest, resume_login, start_login
from leaddash.models import stored_id, utcnow
from leaddash.throttle import attempt_login
from leaddash.ui.client import session_client_address
from leaddash.ui.login_routes import (
    LOGIN_ROUTE,
    LOGOUT_ROUTE,
    TICKETS,
    post_snippet,
    route_path,
)
from leaddash.ui.nav import PAGES
from leaddash.ui.resources import engine, reading, settings, writing
from leaddash.ui.seam import show_error, show_fault, stop_with
from leaddash.users import login_credentials

WRONG_LOGIN = (
    "Wrong username or password. Check the spelling and try again, "
    "or ask your admin to reset your password."
)
# Session-state keys: the digest of this session's login; the ticket the browser trades for
# the login cookie; why the last login ended (shown above the form); and the digest of a
# login this session is done with, whose cookie the login page has the server expire.
LOGIN_KEY = "leaddash_login"
TICKET_KEY = "leaddash_login_ticket"
ENDED_KEY = "leaddash_login_ended"
DONE_LOGIN_KEY = "leaddash_done_login"
ABOUT = (
    "**LeadDash** is the lead agreement between marketing and sales. Marketing and sales "
    "leaders sign one definition of a qualified lead and one SLA; reps work the leads it "
    "passes and say on the first call whether each one fits, and why not; managers see "
    "where leads leak, who acted in time, and which sources and rules sales turns down."
)
FORM_FIELDS = {
    "Form name": "Log in to LeadDash",
    "Username": "Username",
    "Password": "Password",
    "Login": "Log in",
}


class _NoCookie:
    """Stands in for streamlit-authenticator's cookie, which script writes (never HttpOnly):
    LeadDash's login cookie is the server's."""

    def get_cookie(self) -> None:
        return None

    def set_cookie(self) -> None:
        return None

    def delete_cookie(self) -> None:
        return None


class LoginForm(stauth.Authenticate):  # type: ignore[misc]  # the package has no types
    """streamlit-authenticator's login form without its cookie. Its own constructor would
    draw the cookie-manager component, which reads and writes document.cookie."""

    def __init__(self, credentials: dict[str, Any], secret_key: str) -> None:
        self.api_key = None
        self.attrs = {"login_sleep_time": 0}
        self.secret_key = secret_key
        self.path = None
        self.cookie_controller = _NoCookie()
        self.authentication_controller = AuthenticationController(
            credentials, None, False, None, None, secret_key, None
        )
        self.encryptor = Encryptor(secret_key)


def authenticator(settings: Settings) -> LoginForm:
    """Return the login form, holding the current active users from the database."""
    with reading() as session:
        credentials = login_credentials(session)
    form = LoginForm(credentials, settings.require_cookie_key())
    # The form has no hook before it compares a password, so its check is replaced with
    # ours, which applies the shared login throttle first.
    form.authentication_controller.authentication_model.check_credentials = _check_password
    return form


def _check_password(username: str, password: str) -> bool:
    return (
        attempt_login(
            engine(),
            username=username,
            password=password,
            now=utcnow(),
            address=session_client_address(),
        )
        is not None
    )


def _demo_logins() -> None:
    from leaddash.demo import DEMO_PASSWORD, DEMO_USERS

    rows = " · ".join(f"`{u}`" for u in DEMO_USERS)
    st.info(
        f"Demo mode. Log in as one of {rows} with the password `{DEMO_PASSWORD}`.",
        icon=":material/info:",
    )


def restored_actor(settings: Settings) -> Actor | None:
    """Return the Actor of this session's login, or of the login cookie on a new session,
    when that login is still going; None (remembering why it ended) when there is none."""
    digest = st.session_state.get(LOGIN_KEY) or _cookie_digest(settings)
    if digest is None or digest == st.session_state.get(DONE_LOGIN_KEY):
        return None  # none, or the one this session is done with (its cookie is going)
    try:
        actor = resume_login(engine(), digest=digest, now=utcnow())
    except LoginEnded as ended:
        _forget_login(ended.message, digest)
        return None
    st.session_state[LOGIN_KEY] = digest
    return actor


def _cookie_digest(settings: Settings) -> str | None:
    token = st.context.cookies.get(settings.cookie_name)
    if not isinstance(token, str) or not token:  # AppTest's context is a stand-in
        return None
    return login_digest(token, settings.require_cookie_key())


def _forget_login(message: str | None, digest: str) -> None:
    """Drop this session's login `digest`: the form comes back, saying `message` (None:
    nothing), and has the server expire the browser's cookie if it still holds it."""
    st.session_state.pop(LOGIN_KEY, None)
    st.session_state.pop(TICKET_KEY, None)
    st.session_state[ENDED_KEY] = message
    st.session_state[DONE_LOGIN_KEY] = digest


def show_login_form(form: LoginForm, settings: Settings) -> None:
    """Draw the login form; after a right password, start a login and rerun into the
    user's own pages."""
    _expire_dead_cookie()
    st.markdown(ABOUT)
    if st.session_state.get(ENDED_KEY):
        show_error(st.session_state[ENDED_KEY], icon=":material/lock_clock:", warning=True)
    st.session_state["authentication_status"] = None  # the form judges only its own submit
    try:
        form.login(location="main", fields=FORM_FIELDS)
    except stauth.LoginError:
        st.error(WRONG_LOGIN, icon=":material/lock:")
    except LoginThrottled as exc:
        show_error(exc.message, icon=":material/timer:")
    except DatabaseFault as exc:  # a login writes its attempt before the password is judged
        st.session_state["authentication_status"] = None
        show_fault(login_message(exc.reason))
    if st.session_state.get("authentication_status"):
        _start(st.session_state["username"], settings)
        st.rerun()
    if st.session_state.get("authentication_status") is False:
        st.error(WRONG_LOGIN, icon=":material/lock:")
    if settings.demo:
        _demo_logins()


def _start(username: str, settings: Settings) -> None:
    """Record the login of `username`, keep its digest, and hold the ticket the browser
    trades for the cookie."""
    with writing() as session:
        token, digest = start_login(
            session,
            user_id=stored_id(get_user(session, username)),
            now=utcnow(),
            key=settings.require_cookie_key(),
            address=session_client_address(),
        )
    for key in (ENDED_KEY, DONE_LOGIN_KEY):
        st.session_state.pop(key, None)
    st.session_state[LOGIN_KEY] = digest
    st.session_state[TICKET_KEY] = TICKETS.issue(token)


def deliver_cookie() -> None:
    """Have the browser fetch the login cookie while this session's ticket waits (drawn on
    every page after a login; nothing once the cookie is set)."""
    ticket = st.session_state.get(TICKET_KEY)
    if ticket is None:
        return
    if not TICKETS.pending(ticket):
        st.session_state.pop(TICKET_KEY, None)
        return
    _post(route_path(LOGIN_ROUTE), ticket)


def _expire_dead_cookie() -> None:
    digest = st.session_state.get(DONE_LOGIN_KEY)
    if digest:
        _post(route_path(LOGOUT_ROUTE), digest)


def _post(path: str, body: str) -> None:
    """Post `body` to `path` of this server from the browser (a same-origin component), so
    the answer's Set-Cookie reaches the browser; the page shows nothing of it."""
    st.iframe(post_snippet(path, body), height=1)


def logout_button() -> None:
    """Draw the sidebar's Log out button: it ends this login on the server and has the
    browser's cookie expired."""
    if st.button("Log out", key="Logout"):
        digest = st.session_state.get(LOGIN_KEY)
        if digest:
            try:
                with writing() as session:
                    end_login(session, digest=digest)
            except DatabaseFault as exc:  # the login stays until it can be ended for good
                show_fault(write_message(exc.reason, "log you out"))
                return
            _forget_login(None, digest)
        st.rerun()


def login_navigation(settings: Settings) -> None:
    """Run the only page a logged-out visitor can reach: the login form, at the login's own
    address and at every page's (a link to a page, or a tab whose login ended, shows the
    form there, and the page itself once logged in)."""

    def log_in() -> None:
        show_login_form(authenticator(settings), settings)

    paths = ["login", *(spec.url_path for spec in PAGES)]
    st.navigation(
        [st.Page(log_in, title="Log in", url_path=path, default=path == "login") for path in paths],
        position="hidden",
    ).run()


def current_actor() -> Actor:
    """Return the logged-in user's Actor, checked against the database on this run."""
    actor = restored_actor(settings())
    if actor is None:
        stop_with(
            st.session_state.get(ENDED_KEY) or "You are not logged in: log in again.",
            icon=":material/lock:",
        )
    return actor
