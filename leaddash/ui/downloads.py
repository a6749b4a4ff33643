"""Downloads built when the browser asks for the file, through a service that checks the
actor against the database at that moment.

Streamlit runs such a callable outside any script run, so it cannot show a message: when
the service refuses (the login has ended, the role no longer allows it), the callable
raises, nothing is sent, and the button says the file could not be made. The next run of
the page says why (a login that ended brings back the form with its reason).
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from leaddash.db import read_session
from leaddash.ui.resources import engine


def deferred(make: Callable[[Session], bytes]) -> Callable[[], bytes]:
    """Return a download callable that runs `make` on its own read session when clicked."""
    eng = engine()

    def build() -> bytes:
        with read_session(eng) as session:
            return make(session)

    return build
