"""The ASGI entry: app.py as a Streamlit st.App, with the login's HTTP routes beside
Streamlit's and the security headers on every response.

`python -m leaddash.ui.serve` runs it (see serve.py for the options it sets); pages/ is
never auto-discovered, as every page is routed through st.navigation by role.
"""

from __future__ import annotations

import streamlit as st
from starlette.middleware import Middleware
from streamlit.runtime.pages_manager import PagesManager

from leaddash.config import PROJECT_ROOT
from leaddash.ui import login_routes
from leaddash.ui.seam import show_unhandled
from leaddash.ui.security_headers import SecurityHeaders, page_scripts, security_headers

APP_SCRIPT = PROJECT_ROOT / "app.py"

# Streamlit would treat the pages/ folder as an old-style multipage app until the first
# session calls st.navigation, and that session's buttons would stop answering.
PagesManager.uses_pages_directory = False

app = st.App(
    APP_SCRIPT,
    routes=login_routes.routes(),
    middleware=[
        Middleware(
            SecurityHeaders,
            headers=security_headers(page_scripts() + login_routes.inline_scripts()),
        )
    ],
    on_script_error=show_unhandled,
)
