"""Security headers on every HTTP response, with a content security policy the app's own
pages satisfy.

What the pages need, checked in Chromium on every page as every role
(tests/e2e/test_csp_browser.py): Streamlit draws its styles at run time (inline styles);
Vega-Lite compiles chart expressions with `new Function` ('unsafe-eval'); components are
same-origin iframes (frame-src and frame-ancestors 'self'); the websocket and every fetch go
to the page's own origin. Inline scripts are allowed one by one, by their SHA-256: the one in
Streamlit's index.html, the runtime in each component page the app uses, and those the login
renders. A script injected anywhere else does not run.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import re
from collections.abc import Iterable
from pathlib import Path

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)[^>]*>(.*?)</script>", re.DOTALL | re.IGNORECASE)
# Streamlit's own page, and the page of each component the app draws (the login cookie's).
PAGES = (
    ("streamlit", "static/index.html"),
    ("extra_streamlit_components", "CookieManager/frontend/build/index.html"),
)


def inline_scripts(html: str) -> list[str]:
    """Return the text of every inline <script> in `html`, exactly as a browser hashes it."""
    return [match.group(1) for match in INLINE_SCRIPT.finditer(html)]


def page_scripts() -> list[str]:
    """Return the inline scripts of the pages in PAGES that are installed."""
    scripts: list[str] = []
    for package, page in PAGES:
        spec = importlib.util.find_spec(package)
        if spec is None or not spec.submodule_search_locations:
            continue
        path = Path(next(iter(spec.submodule_search_locations))) / page
        if path.is_file():
            scripts += inline_scripts(path.read_text(encoding="utf-8"))
    return scripts


def script_hash(script: str) -> str:
    """Return the CSP source that allows exactly `script` ('sha256-…')."""
    digest = hashlib.sha256(script.encode("utf-8")).digest()
    return f"'sha256-{base64.b64encode(digest).decode('ascii')}'"


def content_security_policy(scripts: Iterable[str]) -> str:
    """Return the policy: this origin only, inline scripts only those in `scripts`."""
    hashes = " ".join(sorted({script_hash(script) for script in scripts}))
    directives = {
        "default-src": "'self'",
        "script-src": f"'self' 'wasm-unsafe-eval' {hashes}".strip(),
        "style-src": "'self' 'unsafe-inline'",
        "img-src": "'self' data:",
        "font-src": "'self' data:",
        "connect-src": "'self'",
        "frame-src": "'self'",
        "object-src": "'none'",
        "base-uri": "'self'",
        "form-action": "'self'",
        "frame-ancestors": "'self'",
    }
    return "; ".join(f"{name} {value}" for name, value in directives.items())


def security_headers(scripts: Iterable[str]) -> dict[str, str]:
    """Return the headers every response carries, allowing the inline `scripts`."""
    return {
        "Content-Security-Policy": content_security_policy(scripts),
        # Component iframes are pages of this origin, so framing stays open to it alone.
        "X-Frame-Options": "SAMEORIGIN",
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
    }


class SecurityHeaders:
    """ASGI middleware that sets `headers` on every HTTP response (replacing any of the same
    name); websockets pass untouched."""

    def __init__(self, app: ASGIApp, *, headers: dict[str, str]) -> None:
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                response_headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    response_headers[name] = value
            await send(message)

        await self.app(scope, receive, send_with_headers)
