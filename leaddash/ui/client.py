"""The address of the browser behind this session, for the login throttle."""

from __future__ import annotations

import streamlit as st

from leaddash.addresses import client_address
from leaddash.ui.resources import settings


def session_client_address() -> str | None:
    """Return this session's client address (None when the browser is on this machine), read
    from X-Forwarded-For only behind as many proxies as LEADDASH_TRUSTED_PROXY trusts."""
    peer = st.context.ip_address
    forwarded = st.context.headers.get_all("X-Forwarded-For")
    # Outside a real browser session (AppTest) Streamlit answers with stand-ins, not text.
    return client_address(
        peer if isinstance(peer, str) else None,
        [value for value in forwarded if isinstance(value, str)],
        settings().trusted_proxies,
    )
