"""The inbox on Home and the sidebar's counts, both from leaddash.inbox through the seam's
cache (keyed by the data version and the five-minute slot of now, so a write anywhere shows
at the next rerun). The what-if headline of a proposed definition is a replay: it is cached
for the day per version and edit, shared by everyone who reads it, and never run for the
sidebar."""

from __future__ import annotations

from datetime import date

import streamlit as st

from leaddash.core.actor import Actor
from leaddash.errors import LeadDashError
from leaddash.inbox import InboxItem, inbox_items, page_counts, whatif_headline
from leaddash.models import utcnow
from leaddash.ui.nav import spec_at
from leaddash.ui.resources import reading
from leaddash.ui.seam import or_stop, read_cached
from leaddash.ui.text import plain

EMPTY = "Nothing waits for you right now. New work shows here, and beside the pages' names."


def read_inbox(actor: Actor) -> list[InboxItem]:
    """Return what waits for the actor (cached as the seam caches reads)."""
    items: list[InboxItem] = read_cached(inbox_items, actor=actor)
    return items


def sidebar_counts(actor: Actor) -> dict[str, int]:
    """Return per page (url_path) the number to show beside its name; none when the
    inbox cannot be read (the page the person opened says why itself, and the menu must
    still draw)."""
    try:
        return page_counts(read_inbox(actor))
    except LeadDashError:
        return {}


@st.cache_data(ttl=24 * 3600, max_entries=50, show_spinner=False)
def _headline(_actor: Actor, version_id: int, item_key: str, day: date) -> str:
    # The item's key carries the version's edit counter: an edit asks for a new replay.
    with reading() as session:
        return whatif_headline(session, actor=_actor, version_id=version_id, now=utcnow())


def show_inbox(actor: Actor) -> None:
    """Draw the actor's inbox: each row its count, what it is, a link to the page that
    handles it, and the first few things it holds; or that nothing waits."""
    st.subheader("Waiting for you")
    items = or_stop(lambda: read_inbox(actor))
    if not items:
        st.success(EMPTY, icon=":material/inbox:")
        return
    for item in items:
        _show_item(actor, item)


def _show_item(actor: Actor, item: InboxItem) -> None:
    spec = spec_at(item.page)
    with st.container(border=True):
        st.page_link(
            f"pages/{spec.script}",
            label=f"**{item.count:,}** · {plain(item.title)} → {spec.title}",
            icon=spec.icon,
            query_params=dict(item.params) or None,
        )
        for line in item.details:
            st.caption(plain(line))
        if item.whatif_version is not None:
            with st.spinner("Replaying the proposed definition on recent leads…"):
                headline = or_stop(
                    lambda: _headline(actor, item.whatif_version or 0, item.key, utcnow().date())
                )
            st.caption(plain(headline))
