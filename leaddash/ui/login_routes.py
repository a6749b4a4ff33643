"""HTTP routes of the login cookie: the server sets it and expires it, so no script ever
reads or writes the login's token.

After a right password the Streamlit script records the login and holds a one-time ticket
for its token here (in this process, for a minute). A tiny component in the page posts the
ticket to `/_leaddash/login`, whose answer sets the cookie: HttpOnly, SameSite=Strict,
Path=/, Secure when the request came over HTTPS (or a proxy says so in X-Forwarded-Proto),
and kept as long as a login may last (the idle limit is the server's to judge). A page done
with its login (logged out, or the login ended) posts the login's digest to
`/_leaddash/logout`, which ends that login in the database too and expires the cookie if
the cookie still holds it. Both refuse requests from other sites. The ASGI entry mounts
`routes()`.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import secrets
import threading
import time
from urllib.parse import urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from streamlit import config

from leaddash.db import write_session
from leaddash.logins import end_login, login_digest
from leaddash.ui.resources import engine, settings

LOGIN_ROUTE = "_leaddash/login"
LOGOUT_ROUTE = "_leaddash/logout"
TICKET_SECONDS = 60.0
MAX_TICKET_LENGTH = 128
USED_TICKET = (
    "This login could not be finished: it is more than a minute old or was "
    "finished already. Log in again."
)
OTHER_SITE = "Refused: this request came from another site. Open LeadDash itself to log in."
# The one script the login draws (in a same-origin component): it posts the element's
# data-body to its data-path. What changes per visit is in the data- attributes, so the
# script is the same text every time and a content security policy can allow it by hash.
POST_SCRIPT = (
    "const post = document.getElementById('leaddash-post').dataset; "
    "fetch(post.path, {method: 'POST', body: post.body, "
    "credentials: 'same-origin', cache: 'no-store'});"
)


class Tickets:
    """One-time tickets for login tokens, held in this process for `TICKET_SECONDS`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._held: dict[str, tuple[str, float]] = {}

    def issue(self, token: str, now: float | None = None) -> str:
        """Hold `token` and return the ticket that fetches it once."""
        now = time.monotonic() if now is None else now
        ticket = secrets.token_urlsafe(24)
        with self._lock:
            self._held = {k: v for k, v in self._held.items() if v[1] > now}
            self._held[_key(ticket)] = (token, now + TICKET_SECONDS)
        return ticket

    def redeem(self, ticket: str, now: float | None = None) -> str | None:
        """Return the token of a live `ticket` and forget it; None when unknown or old."""
        now = time.monotonic() if now is None else now
        with self._lock:
            token, until = self._held.pop(_key(ticket), (None, 0.0))
        return token if until > now else None

    def pending(self, ticket: str, now: float | None = None) -> bool:
        """Return True while `ticket` waits to be redeemed."""
        now = time.monotonic() if now is None else now
        with self._lock:
            return self._held.get(_key(ticket), ("", 0.0))[1] > now


TICKETS = Tickets()


def _key(ticket: str) -> str:
    return hashlib.sha256(ticket.encode("utf-8")).hexdigest()


def route_path(route: str) -> str:
    """Return the URL path of `route` under the server's base path (server.baseUrlPath)."""
    base = (config.get_option("server.baseUrlPath") or "").strip("/")
    return f"/{base}/{route}" if base else f"/{route}"


def inline_scripts() -> list[str]:
    """Return every inline script the login draws, each exactly as written between <script>
    and </script> (for the content security policy to allow by hash)."""
    return [POST_SCRIPT]


def post_snippet(path: str, body: str) -> str:
    """Return the HTML that has the browser post `body` to `path` of this server."""
    return (
        f'<div id="leaddash-post" data-path="{html.escape(path)}" '
        f'data-body="{html.escape(body)}"></div><script>{POST_SCRIPT}</script>'
    )


def routes() -> list[Route]:
    """Return the Starlette routes the login needs (POST only)."""
    return [
        Route(route_path(LOGIN_ROUTE), set_login_cookie, methods=["POST"]),
        Route(route_path(LOGOUT_ROUTE), end_login_cookie, methods=["POST"]),
    ]


async def set_login_cookie(request: Request) -> Response:
    """Trade a ticket (the request body) for the login cookie."""
    refused = _refused_from_another_site(request)
    if refused is not None:
        return refused
    ticket = (await request.body())[:MAX_TICKET_LENGTH].decode("utf-8", "replace")
    token = TICKETS.redeem(ticket.strip())
    if token is None:
        return PlainTextResponse(USED_TICKET, status_code=400)
    response = _no_store(Response(status_code=204))
    limits = settings().login_limits
    response.set_cookie(
        settings().cookie_name,
        token,
        max_age=int(limits.lifetime.total_seconds()),
        **_cookie_options(request),
    )
    return response


async def end_login_cookie(request: Request) -> Response:
    """End the login the cookie names and expire the cookie, when it is the login the page
    says it is done with (the request body: its digest). A tab whose login ended long ago
    must not log out the login made since in another tab."""
    refused = _refused_from_another_site(request)
    if refused is not None:
        return refused
    done_with = (await request.body())[:MAX_TICKET_LENGTH].decode("utf-8", "replace").strip()
    config_now = settings()
    token = request.cookies.get(config_now.cookie_name)
    response = _no_store(Response(status_code=204))
    if not token or not hmac.compare_digest(
        login_digest(token, config_now.require_cookie_key()), done_with
    ):
        return response
    await run_in_threadpool(_end, done_with)
    response.delete_cookie(config_now.cookie_name, **_cookie_options(request))
    return response


def _end(digest: str) -> None:
    with write_session(engine()) as session:
        end_login(session, digest=digest)


def _cookie_options(request: Request) -> dict:
    return {"path": "/", "secure": is_https(request), "httponly": True, "samesite": "strict"}


def is_https(request: Request) -> bool:
    """Return True when the browser reached us over HTTPS (directly, or through a proxy
    that says so in X-Forwarded-Proto)."""
    forwarded = request.headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
    return request.url.scheme == "https" or forwarded == "https"


def _refused_from_another_site(request: Request) -> Response | None:
    site = request.headers.get("sec-fetch-site")
    origin = request.headers.get("origin")
    if (site is not None and site != "same-origin") or (
        origin is not None and urlsplit(origin).netloc != request.headers.get("host")
    ):
        return PlainTextResponse(OTHER_SITE, status_code=403)
    return None


def _no_store(response: Response) -> Response:
    response.headers["Cache-Control"] = "no-store"
    return response
