"""The one seam between the pages and leaddash: reads (cached), writes, and the errors they
raise, shown to a person in words and always escaped.

Pages and leaddash/ui modules read and write through here and never draw a domain error
themselves (tests/security/markdown_guard.py holds that line): a message may quote what
people typed, so it goes through `plain` on its way to the screen. Cached reads are keyed as
leaddash.ui.metrics_cache says (the data version, the actor, every argument)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, NoReturn, TypeVar

import pandas as pd
import streamlit as st
from sqlalchemy.orm.exc import StaleDataError
from sqlmodel import Session
from streamlit.delta_generator import DeltaGenerator

from leaddash.analytics.filters import Filters
from leaddash.core.actor import Actor
from leaddash.db_faults import fault_reason, open_message
from leaddash.errors import InvalidInput, LeadDashError
from leaddash.ui.metrics_cache import Metric, Query, cached_metric, cached_read
from leaddash.ui.resources import reading, writing
from leaddash.ui.text import plain

T = TypeVar("T")
FLASH_KEY = "flash_message"
# A confirmation outlives the run right after the save: a rep who clicks on straight away
# (the next lead, a filter) reruns the page, and a message shown for a blink is not seen.
FLASH_SECONDS = 10.0
STALE_MESSAGE = (
    "Someone else saved a change to this record a moment ago, so yours was not saved. "
    "The page now shows their version: check it and make your change again."
)
ERROR_ICON = ":material/error:"
STALE_ICON = ":material/sync_problem:"
FAULT_ICON = ":material/database:"
FIX_THE_FIELD = "Nothing was saved: fix the field marked in red, then save again."

# --- showing errors ------------------------------------------------------------------------


def show_error(
    message: str,
    *,
    where: DeltaGenerator | None = None,
    icon: str = ERROR_ICON,
    warning: bool = False,
) -> None:
    """Draw `message` (a refusal's words, which may quote what people typed) escaped, in an
    error box (a warning box when `warning`) at `where` (the page's main area by default)."""
    place = where or st
    draw = place.warning if warning else place.error
    draw(plain(message), icon=icon)


def show_fault(wording: str, *, where: DeltaGenerator | None = None) -> None:
    """Draw the fixed wording leaddash.db_faults gives a database fault (no user text)."""
    (where or st).error(wording, icon=FAULT_ICON)


def show_invalid(
    exc: InvalidInput, *, where: DeltaGenerator, slots: dict[str, DeltaGenerator]
) -> None:
    """Draw a refused input's message beside the field it names when that field has a slot
    (and a pointer to it at `where`), else at `where`."""
    slot = slots.get(exc.field or "")
    if slot is None:
        show_error(exc.message, where=where)
        return
    show_error(exc.message, where=slot)
    where.error(FIX_THE_FIELD, icon=ERROR_ICON)


def stop_with(message: str, *, icon: str = ERROR_ICON) -> NoReturn:
    """Draw `message` as `show_error` does and stop the page."""
    show_error(message, icon=icon)
    st.stop()


@contextmanager
def shown_errors() -> Iterator[None]:
    """Show LeadDash errors (and lost update races) as an error box instead of a traceback."""
    try:
        yield
    except LeadDashError as exc:
        show_error(exc.message)
    except StaleDataError:
        show_error(STALE_MESSAGE, icon=STALE_ICON)


def show_unhandled(exc: Exception) -> bool | None:
    """Show an error no page caught as its one line, when it has one (a LeadDash error, a
    read-only or full database); return True when shown, None to leave any other error to
    Streamlit's notice, which shows no details (client.showErrorDetails)."""
    if isinstance(exc, LeadDashError):
        show_error(exc.message)
        return True
    reason = fault_reason(exc)
    if reason is None:
        return None
    show_fault(open_message(reason))
    return True


def or_stop(step: Callable[[], T], *refusals: type[LeadDashError]) -> T:
    """Return what `step` returns; on one of `refusals` (any LeadDash error by default) show
    its message and stop the page."""
    caught = refusals or (LeadDashError,)
    try:
        return step()
    except caught as exc:
        stop_with(exc.message)


# --- reading -------------------------------------------------------------------------------


def read(metric: Metric, actor: Actor, filters: Filters, **options: Any) -> pd.DataFrame:
    """Return a cached dashboard metric; a refusal is shown in words and stops the page."""
    return or_stop(lambda: cached_metric(metric, actor=actor, filters=filters, **options))


def read_cached(query: Query, *, actor: Actor, **arguments: Any) -> Any:
    """Return `query(session, actor=…, **arguments)` through the cache (refusals raise)."""
    return cached_read(query, actor=actor, **arguments)


def read_now(query: Callable[[Session], T]) -> T:
    """Return `query(session)` read now, uncached; a refusal is shown and stops the page."""

    def step() -> T:
        with reading() as session:
            return query(session)

    return or_stop(step)


# --- writing -------------------------------------------------------------------------------


def save(action: Callable[[Session], T], success: str | Callable[[T], str]) -> None:
    """Run `action` in one write transaction; on success rerun and show `success` once (or
    what it makes of the action's result), on a refusal show its message where the call
    was made."""
    with shown_errors():
        with writing() as session:
            result = action(session)
        flash(success if isinstance(success, str) else success(result))
        st.rerun()


def attempt(do: Callable[[Session], T], *, refusal_key: str) -> T | None:
    """Return what `do` did in one write transaction (for a button's callback, which cannot
    draw); on a refusal leave its message under `refusal_key` for `show_refusal` on the next
    run and return None."""
    try:
        with writing() as session:
            return do(session)
    except LeadDashError as exc:
        st.session_state[refusal_key] = exc.message
    except StaleDataError:
        st.session_state[refusal_key] = STALE_MESSAGE
    return None


def show_refusal(refusal_key: str) -> None:
    """Show (once) the refusal a callback left under `refusal_key`."""
    refusal = st.session_state.pop(refusal_key, None)
    if refusal:
        show_error(refusal, icon=STALE_ICON)


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
