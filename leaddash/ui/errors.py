"""One place that turns domain errors into messages a person can act on."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import streamlit as st
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session

from leaddash.db_faults import fault_reason, open_message
from leaddash.errors import LeadDashError
from leaddash.ui.resources import writing
from leaddash.ui.text import plain

FLASH_KEY = "flash_message"
# A confirmation outlives the run right after the save: a rep who clicks on straight away
# (the next lead, a filter) reruns the page, and a message shown for a blink is not seen.
FLASH_SECONDS = 10.0
STALE_MESSAGE = (
    "Someone else saved a change to this record a moment ago, so yours was not saved. "
    "The page now shows their version: check it and make your change again."
)


@contextmanager
def shown_errors() -> Iterator[None]:
    """Show LeadDash errors (and lost update races) as an error box instead of a traceback."""
    try:
        yield
    except LeadDashError as exc:
        st.error(plain(exc.message), icon=":material/error:")
    except StaleDataError:
        st.error(STALE_MESSAGE, icon=":material/sync_problem:")


def show_unhandled(exc: Exception) -> bool | None:
    """Show an error no page caught as its one line, when it has one (a LeadDash error, a
    read-only or full database); return True when shown, None to leave any other error to
    Streamlit's notice, which shows no details (client.showErrorDetails)."""
    if isinstance(exc, LeadDashError):
        st.error(plain(exc.message), icon=":material/error:")
        return True
    reason = fault_reason(exc)
    if reason is None:
        return None
    st.error(open_message(reason), icon=":material/database:")
    return True


def save(action: Callable[[Session], Any], success: str) -> None:
    """Run `action` in one write transaction; on success rerun and show `success` once,
    on a refusal show its message where the call was made."""
    with shown_errors():
        with writing() as session:
            action(session)
        flash(success)
        st.rerun()


def flash(message: str) -> None:
    """Leave `message` to be shown by `show_flash` on the runs of the next few seconds."""
    st.session_state[FLASH_KEY] = (message, time.monotonic())


def show_flash() -> None:
    """Show the message left by the last successful save while it is fresh, as text: it
    may quote what people typed or imported."""
    message, at = st.session_state.get(FLASH_KEY) or ("", 0.0)
    if time.monotonic() - at > FLASH_SECONDS:
        st.session_state.pop(FLASH_KEY, None)
    elif message:
        st.success(plain(message), icon=":material/check_circle:")
