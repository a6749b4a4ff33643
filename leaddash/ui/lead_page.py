"""Drawing the lead page: the search box, and one lead's facts, score, SLA state,
timeline, disputes and audit rows. The scope rules live in leaddash.queue.lead_page."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from leaddash.core.actor import Actor
from leaddash.errors import Forbidden, InvalidInput
from leaddash.queue.lead_page import LeadPage, lead_page
from leaddash.queue.lead_search import search_leads
from leaddash.ui.queue import _show_explanation
from leaddash.ui.seam import read_cached, show_error
from leaddash.ui.text import plain, when

SEARCH_KEY = "lead_search"
PAGE_SCRIPT = "pages/lead.py"
STATE_WORDS = {
    "pending": "pending",
    "warning": "due soon",
    "breached": "BREACHED",
    "met": "met",
    "cancelled": "cancelled (left the queue)",
    None: "no deadline",
}


def asked_id() -> int | None:
    """Return the lead id in the address (?id=123); None when there is none; InvalidInput
    when it is not a number."""
    raw = st.query_params.get("id")
    if raw is None or raw == "":
        return None
    if not raw.strip().lstrip("#").isdigit():
        raise InvalidInput(f"{raw!r} is not a lead number. Search for the lead below instead.")
    return int(raw.strip().lstrip("#"))


def show_search(actor: Actor) -> None:
    """Draw the search box and, once something is typed, the leads it finds as links."""
    text = st.text_input(
        "Find a lead",
        key=SEARCH_KEY,
        placeholder="Name, company, email or external id",
    )
    if not text.strip():
        return
    try:
        found = read_cached(search_leads, actor=actor, text=text.strip())
    except (InvalidInput, Forbidden) as exc:
        show_error(exc.message)
        return
    if found.empty:
        st.info(f"No lead you may open matches “{plain(text.strip())}”.")
        return
    st.caption(f"{len(found)} lead(s) found" + (" (the first 50)" if len(found) >= 50 else ""))
    for row in found.itertuples():
        st.page_link(PAGE_SCRIPT, label=plain(_result_label(row)), query_params={"id": row.id})


def _result_label(row: Any) -> str:
    parts = [row.company, row.email, row.external_id and f"ext. {row.external_id}", row.stage]
    return f"#{row.id} {row.name or 'Unnamed'} · " + " · ".join(str(p) for p in parts if p)


def read_lead(actor: Actor, lead_id: int) -> LeadPage | None:
    """Return the lead's page; show the refusal and return None when it may not be opened."""
    try:
        page: LeadPage = read_cached(lead_page, actor=actor, lead_id=lead_id)
    except Forbidden as exc:
        show_error(exc.message)
        return None
    return page


def show_lead(page: LeadPage) -> None:
    """Draw one lead's sections."""
    st.subheader(plain(f"#{page.id} {page.name or 'Unnamed lead'}"))
    owner = f"owner {page.owner}" if page.owner else "no owner"
    team = f" · team {page.team}" if page.team else ""
    st.caption(plain(f"Stage {page.stage} · score {page.score:.0f} · {owner}{team}"))
    _show_sla(page)
    left, right = st.columns(2, gap="large")
    with left:
        st.markdown("**Facts**")
        st.dataframe(_facts(page.facts), hide_index=True)
    with right:
        _show_explanation(page.explanation)
    tabs = st.tabs(["Timeline", "Disputes", "Audit trail"])
    with tabs[0]:
        _show_timeline(page)
    with tabs[1]:
        _show_disputes(page)
    with tabs[2]:
        _show_audit(page)


def _facts(facts: dict[str, Any]) -> pd.DataFrame:
    values = [when(v) if hasattr(v, "tzinfo") else str(v) for v in facts.values()]
    return pd.DataFrame({"Fact": list(facts), "Value": values})


def _show_sla(page: LeadPage) -> None:
    st.markdown("**SLA**")
    st.dataframe(
        pd.DataFrame(
            {
                "Milestone": [m.label for m in page.sla],
                "State": [STATE_WORDS.get(m.state, str(m.state)) for m in page.sla],
                "Due": [when(m.due_at) if m.due_at else "—" for m in page.sla],
                "Reached": [when(m.reached_at) if m.reached_at else "—" for m in page.sla],
            }
        ),
        hide_index=True,
    )


def _show_timeline(page: LeadPage) -> None:
    if not page.timeline:
        st.caption("Nothing has happened to this lead yet.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "When": [when(i.at) for i in page.timeline],
                "Kind": [i.kind for i in page.timeline],
                "What": [i.text for i in page.timeline],
                "Who": [i.who or "—" for i in page.timeline],
            }
        ),
        hide_index=True,
    )


def _show_disputes(page: LeadPage) -> None:
    if not page.disputes:
        st.caption("No dispute on this lead.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "Status": [d.status for d in page.disputes],
                "Disputed by": [d.raised_by for d in page.disputes],
                "Disputed": [when(d.raised_at) for d in page.disputes],
                "Marketing's note": [d.marketing_note for d in page.disputes],
                "Ruled by": [d.resolved_by or "—" for d in page.disputes],
                "Sales leader's note": [d.resolution_note or "—" for d in page.disputes],
            }
        ),
        hide_index=True,
    )


def _show_audit(page: LeadPage) -> None:
    if not page.audit:
        st.caption("No audit row names this lead.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "When": [when(a.at) for a in page.audit],
                "Who": [a.who or "—" for a in page.audit],
                "Action": [a.action for a in page.audit],
                "Before → after": [a.changes for a in page.audit],
            }
        ),
        hide_index=True,
    )
