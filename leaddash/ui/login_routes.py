"""HTTP routes the login uses beside Streamlit's own (filled in by the login work)."""

from __future__ import annotations


def routes() -> list:
    """Return the Starlette routes the login needs."""
    return []
