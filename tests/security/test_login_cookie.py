"""The login cookie's HTTP routes, called as a browser calls them (the routes alone, driven
over ASGI; tests/e2e/test_login_cookie_browser.py drives the served app in Chromium).

The server sets the cookie: HttpOnly, SameSite=Strict, Path=/, Secure over HTTPS, holding
only the login's random token; a ticket works once and for a minute; other sites are
refused; logging out ends the login in the database and expires the cookie, unless the
cookie holds another login than the one the page is done with.
"""

from __future__ import annotations

import asyncio
import re
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from http.cookies import SimpleCookie

import pytest
from starlette.applications import Starlette

from leaddash.auth import get_user
from leaddash.config import DEMO_COOKIE_KEY
from leaddash.db import write_session
from leaddash.errors import LoginEnded
from leaddash.logins import login_digest, resume_login, start_login
from leaddash.models import utcnow
from leaddash.ui.login_routes import (
    TICKET_SECONDS,
    TICKETS,
    Tickets,
    inline_scripts,
    post_snippet,
    routes,
)

COOKIE = "leaddash_auth"
WEEK = int(timedelta(days=7).total_seconds())


def call(
    path: str,
    *,
    body: bytes = b"",
    headers: dict[str, str] | None = None,
    method: str = "POST",
    scheme: str = "http",
) -> tuple[int, list[str], bytes]:
    """Send one request to the login routes; return (status, Set-Cookie headers, body)."""
    sent: list[dict] = []
    request = [{"type": "http.request", "body": body, "more_body": False}]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": scheme,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "client": ("192.0.2.7", 50000),
        "server": ("leads.example", 443),
        "headers": [
            (k.lower().encode(), v.encode())
            for k, v in {"host": "leads.example", **(headers or {})}.items()
        ],
    }

    async def receive() -> dict:
        return request.pop(0) if request else {"type": "http.disconnect"}

    async def send(message: dict) -> None:
        sent.append(message)

    # In a thread of its own: an event loop left running in this one by an earlier test
    # of the worker (Playwright's sync API keeps one) would refuse asyncio.run here.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(asyncio.run, Starlette(routes=routes())(scope, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    cookies = [v.decode() for k, v in start["headers"] if k == b"set-cookie"]
    return (
        start["status"],
        cookies,
        b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body"),
    )


def ended_message(engine, digest: str) -> str | None:
    """Return what the owner of login `digest` is told now (None: it still holds)."""
    try:
        resume_login(engine, digest=digest, now=utcnow())
    except LoginEnded as ended:
        return ended.message
    return None


def attributes(set_cookie: str) -> dict[str, str]:
    """Return the Set-Cookie header's attributes by lower-case name ("" for flags)."""
    return {
        part.split("=", 1)[0].strip().lower(): part.split("=", 1)[1] if "=" in part else ""
        for part in set_cookie.split(";")[1:]
    }


@pytest.fixture
def login(app_db):
    """Return (token, digest) of a fresh login of the rep, made as the form makes it."""
    with write_session(app_db) as session:
        return start_login(
            session, user_id=get_user(session, "rep").id, now=utcnow(), key=DEMO_COOKIE_KEY
        )


def test_a_ticket_buys_an_httponly_strict_cookie_holding_only_the_token(login):
    token, digest = login

    status, cookies, _ = call(
        "/_leaddash/login",
        body=TICKETS.issue(token).encode(),
        headers={"sec-fetch-site": "same-origin", "origin": "http://leads.example"},
    )

    assert status == 204
    [header] = cookies
    sent = SimpleCookie(header)
    assert sent[COOKIE].value == token
    assert attributes(header) == {
        "httponly": "",
        "samesite": "strict",
        "path": "/",
        "max-age": str(WEEK),
    }
    assert "secure" not in attributes(header)  # plain http (a dev machine): no Secure flag
    assert digest == login_digest(sent[COOKIE].value, DEMO_COOKIE_KEY)


@pytest.mark.parametrize(
    ("scheme", "headers"),
    [
        ("https", {}),
        ("http", {"x-forwarded-proto": "https"}),  # TLS ended at the proxy
    ],
)
def test_over_tls_the_cookie_is_secure(login, scheme, headers):
    status, [header], _ = call(
        "/_leaddash/login", body=TICKETS.issue(login[0]).encode(), headers=headers, scheme=scheme
    )

    assert status == 204
    assert "secure" in attributes(header) and "httponly" in attributes(header)


def test_a_ticket_works_once(login):
    ticket = TICKETS.issue(login[0]).encode()
    assert call("/_leaddash/login", body=ticket)[0] == 204

    status, cookies, body = call("/_leaddash/login", body=ticket)

    assert (status, cookies) == (400, [])
    assert body.decode() == (
        "This login could not be finished: it is more than a minute old "
        "or was finished already. Log in again."
    )


def test_a_ticket_lasts_a_minute():
    tickets = Tickets()
    early, late = tickets.issue("token-a", now=100.0), tickets.issue("token-b", now=100.0)

    assert tickets.pending(early, now=100.0 + TICKET_SECONDS - 1)
    assert tickets.redeem(early, now=100.0 + TICKET_SECONDS - 1) == "token-a"
    assert not tickets.pending(late, now=100.0 + TICKET_SECONDS)
    assert tickets.redeem(late, now=100.0 + TICKET_SECONDS) is None
    assert tickets.redeem("a-made-up-ticket", now=100.0) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"sec-fetch-site": "cross-site"},
        {"sec-fetch-site": "same-site"},
        {"origin": "https://attacker.example"},
    ],
)
def test_another_site_cannot_set_or_end_the_cookie(login, headers):
    token, digest = login
    ticket = TICKETS.issue(token)

    refused_in = call("/_leaddash/login", body=ticket.encode(), headers=headers)
    refused_out = call(
        "/_leaddash/logout",
        body=digest.encode(),
        headers={**headers, "cookie": f"{COOKIE}={token}"},
    )

    for status, cookies, body in (refused_in, refused_out):
        assert (status, cookies) == (403, [])
        assert body.decode() == (
            "Refused: this request came from another site. Open LeadDash itself to log in."
        )
    assert TICKETS.pending(ticket)  # the ticket is still good for LeadDash's own page


def test_logging_out_ends_the_login_and_expires_the_cookie(app_db, login):
    token, digest = login

    status, [header], _ = call(
        "/_leaddash/logout", body=digest.encode(), headers={"cookie": f"{COOKIE}={token}"}
    )

    assert status == 204
    assert SimpleCookie(header)[COOKIE].value == ""
    assert attributes(header)["max-age"] == "0"
    assert {"httponly", "samesite", "path"} <= set(attributes(header))
    assert ended_message(app_db, digest) == (
        "Your login has ended (you logged out in another tab or window): log in again."
    )


def test_a_stale_tab_does_not_log_out_the_login_made_since(app_db, login):
    token, digest = login  # the browser's cookie holds this new login
    with write_session(app_db) as session:
        _, old = start_login(
            session, user_id=get_user(session, "rep").id, now=utcnow(), key=DEMO_COOKIE_KEY
        )  # the stale tab's, ended long ago

    status, cookies, _ = call(
        "/_leaddash/logout", body=old.encode(), headers={"cookie": f"{COOKIE}={token}"}
    )

    assert (status, cookies) == (204, [])
    assert ended_message(app_db, digest) is None


def test_logging_out_without_a_cookie_changes_nothing(app_db, login):
    status, cookies, _ = call("/_leaddash/logout", body=login[1].encode())

    assert (status, cookies) == (204, [])
    assert ended_message(app_db, login[1]) is None


def test_the_routes_take_posts_only(login):
    assert call("/_leaddash/login", method="GET")[0] == 405
    assert call("/_leaddash/logout", method="GET")[0] == 405


def test_the_routes_live_under_the_base_path(monkeypatch):
    monkeypatch.setattr(
        "leaddash.ui.login_routes.config.get_option",
        lambda name: "/leaddash/" if name == "server.baseUrlPath" else None,
    )

    assert [route.path for route in routes()] == [
        "/leaddash/_leaddash/login",
        "/leaddash/_leaddash/logout",
    ]


def test_the_page_runs_one_script_whose_text_never_changes():
    drawn = [
        post_snippet("/_leaddash/login", "a-ticket"),
        post_snippet("/_leaddash/logout", 'a"digest<'),
    ]

    scripts = [
        re.fullmatch(r"<div [^>]*></div><script>(.*)</script>", html).group(1) for html in drawn
    ]

    assert scripts == inline_scripts() * 2  # a content security policy can allow it by hash
    assert 'data-path="/_leaddash/logout" data-body="a&quot;digest&lt;"' in drawn[1]
