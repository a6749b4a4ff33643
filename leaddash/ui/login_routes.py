"""HTTP routes the login uses beside Streamlit's own (filled in by the login work)."""

from __future__ import annotations


def routes() -> list:
    """Return the Starlette routes the login needs."""
    return []


def inline_scripts() -> list[str]:
    """Return every inline script the login draws (st.components.v1.html), each exactly as
    written between <script> and </script>: the content security policy lets these run and
    no other. Pass values that change per visit in data- attributes, not in the script."""
    return []
