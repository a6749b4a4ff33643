"""The ASGI entry: app.py served by Streamlit, with LeadDash's own HTTP routes beside it
(the login cookie's, leaddash.ui.login_routes). leaddash.ui.serve starts it."""

from __future__ import annotations

import streamlit as st

from leaddash.config import PROJECT_ROOT
from leaddash.ui.login_routes import routes

app = st.App(PROJECT_ROOT / "app.py", routes=routes())
