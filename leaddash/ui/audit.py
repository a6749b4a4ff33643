"""Drawing the Audit trail page: the filters (person, what was done, kind of record, days),
one page of entries newest first with Newer/Older, the full change of a chosen entry, and the
CSV download. The reading and the refusal live in leaddash.audit_trail."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st

from leaddash.audit_trail import (
    ACTION_WORDS,
    ENTITY_WORDS,
    EXPORT_LIMIT,
    NOBODY,
    SHOWN_COLUMNS,
    AuditFilter,
    AuditPage,
    audit_csv,
    audit_page,
    audit_people,
)
from leaddash.core.actor import Actor
from leaddash.models import utcnow
from leaddash.ui.downloads import deferred
from leaddash.ui.seam import read_now
from leaddash.ui.text import plain, when

PAGES_KEY = "audit_pages"  # the `older_than` of each page opened so far (None: the newest)
FILTER_KEY = "audit_filter"
ANYONE = -1
EMPTY = "No audit entry matches these filters. Widen the dates or clear a filter."
COLUMNS: dict[str, Any] = {
    "id": st.column_config.NumberColumn("Entry", format="%d"),
    "occurred_at": st.column_config.DatetimeColumn("When (UTC)", format="YYYY-MM-DD HH:mm:ss"),
    "who": "Who",
    "what": "What",
    "record": "Record",
    "change": st.column_config.TextColumn("Before → after", width="large"),
}


def read_filter(actor: Actor) -> AuditFilter:
    """Draw the filters and return what they pick (the last 30 UTC days by default)."""
    people = dict(read_now(lambda s: audit_people(s, actor=actor)))
    choices = {ANYONE: "Anyone", NOBODY: "The system (no person)", **people}
    # The days picker shows two dates: at 1280 px wide it needs more room than the others.
    who, what, kind, days = st.columns([3, 3, 3, 4])
    person = who.selectbox(
        "Person", list(choices), format_func=choices.__getitem__, key="audit_person"
    )
    actions = what.multiselect(
        "What was done",
        list(ACTION_WORDS),
        format_func=ACTION_WORDS.__getitem__,
        key="audit_actions",
        placeholder="Anything",
    )
    entities = kind.multiselect(
        "Kind of record",
        list(ENTITY_WORDS),
        format_func=ENTITY_WORDS.__getitem__,
        key="audit_entities",
        placeholder="Any",
    )
    today = utcnow().date()
    picked = days.date_input(
        "Days", (today - timedelta(days=30), today), key="audit_days", help="UTC days, included."
    )
    since, until = (
        (picked[0], picked[1])
        if isinstance(picked, tuple) and len(picked) == 2
        else (
            picked[0] if isinstance(picked, tuple) and picked else None,
            None,
        )
    )
    return AuditFilter(
        person_id=None if person == ANYONE else int(person),
        actions=tuple(actions),
        entities=tuple(entities),
        since=since,
        until=until,
    )


def _pages(where: AuditFilter) -> list[int | None]:
    """Return the stack of opened pages, started anew when the filters changed."""
    if st.session_state.get(FILTER_KEY) != where:
        st.session_state[FILTER_KEY] = where
        st.session_state[PAGES_KEY] = [None]
    return st.session_state[PAGES_KEY]


def show_trail(actor: Actor, where: AuditFilter) -> None:
    """Draw the current page of entries, the page buttons and the chosen entry in full."""
    pages = _pages(where)
    page = read_now(lambda s: audit_page(s, actor=actor, where=where, older_than=pages[-1]))
    if page.rows.empty:
        st.info(EMPTY, icon=":material/search_off:")
        return
    picked = st.dataframe(
        page.rows[SHOWN_COLUMNS],
        hide_index=True,
        column_config=COLUMNS,
        on_select="rerun",
        selection_mode="single-row",
        key=f"audit_table_{len(pages)}",
    )
    _page_buttons(pages, page)
    chosen = picked.selection.rows
    if chosen:
        _show_entry(page.rows.iloc[chosen[0]])
    else:
        st.caption("Select an entry to see every field it changed.")


def _page_buttons(pages: list[int | None], page: AuditPage) -> None:
    newer, place, older = st.columns([2, 3, 2])
    if newer.button("Newer entries", icon=":material/chevron_left:", disabled=len(pages) == 1):
        pages.pop()
        st.rerun()
    place.caption(f"Page {len(pages)}, newest first, {len(page.rows)} entries.")
    if older.button(
        "Older entries",
        icon=":material/chevron_right:",
        disabled=page.next_older_than is None,
    ):
        pages.append(page.next_older_than)
        st.rerun()


def _show_entry(row: pd.Series) -> None:
    st.subheader(plain(f"Entry {int(row['id'])}: {row['what']}"))
    st.caption(plain(f"{row['who']} · {row['record']} · {when(row['occurred_at'])}"))
    if row["change"]:
        st.text(row["change"])
    else:
        st.caption("The entry records no field values.")


def show_download(actor: Actor, where: AuditFilter) -> None:
    """Draw the CSV download of the filtered trail."""
    st.download_button(
        "Download these entries (CSV)",
        deferred(lambda s: audit_csv(s, actor=actor, where=where)),
        file_name=f"audit-trail-{where.since or 'start'}-{where.until or 'now'}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
        help=f"Up to the newest {EXPORT_LIMIT:,} entries matching the filters, with the full "
        "before and after as JSON. Passwords and webhook addresses show as ***.",
    )
