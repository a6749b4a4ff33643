"""Drawing the Disputes page: open and closed disputes, marketing raising one on a recent
decision, and a sales leader ruling on an open one. The rules live in leaddash.queue."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from leaddash.auth import can
from leaddash.core.actor import Actor
from leaddash.queue.disputes import (
    disputable_decisions,
    list_disputes,
    raise_dispute,
    resolve_dispute,
)
from leaddash.ui.lead_links import lead_links, link_column
from leaddash.ui.resources import reading
from leaddash.ui.seam import save, shown_errors
from leaddash.ui.text import plain

NO_OPEN = "No open disputes: every disputed decision has a ruling."
NO_CLOSED = "No dispute has been ruled on yet."
NO_DECISIONS = (
    "No rejection or disqualification from the last 90 days is waiting to be disputed{matching}."
)
SHOWN = {
    "lead": "Lead",
    "company": "Company",
    "decision": "Decision",
    "reason": "Reason",
    "decided_by": "Decided by",
    "decided_at": "Decided",
    "raised_by": "Disputed by",
    "marketing_note": "Marketing's note",
    "status": "Status",
    "resolved_by": "Ruled by",
    "resolution_note": "Sales leader's note",
}


def read_disputes(actor: Actor, *, closed: bool) -> pd.DataFrame:
    """Return the open (or closed) disputes the actor sees; stop the page when refused."""
    with shown_errors(), reading() as session:
        return list_disputes(session, actor=actor, closed=closed)
    st.stop()


def show_disputes(disputes: pd.DataFrame, empty: str) -> None:
    """Draw a table of disputes with the decision and both notes, as plain text."""
    if disputes.empty:
        st.info(empty, icon=":material/task_alt:")
        return
    columns = [
        c
        for c in SHOWN
        if c in disputes.columns and not (c.startswith("resol") and disputes[c].isna().all())
    ]
    st.dataframe(
        disputes.assign(lead=lead_links(disputes["lead_id"], disputes["lead"]))[columns],
        hide_index=True,
        column_config={
            **{c: SHOWN[c] for c in columns},
            "lead": link_column(),
            "decided_at": st.column_config.DatetimeColumn("Decided", format="YYYY-MM-DD HH:mm"),
        },
    )


def _label(row: Any) -> str:
    return (
        f"#{row.lead_id} {row.lead or 'Unnamed'} · {row.company or 'no company'} · "
        f"{row.decision} ({row.reason or 'no reason'})"
    )


def show_ruling(actor: Actor, disputes: pd.DataFrame) -> None:
    """Draw, for a sales leader, the form that upholds or overturns one open dispute."""
    if disputes.empty or not can(actor, "resolve_dispute"):
        return
    st.subheader("Rule on a dispute")
    rows = {int(r.id): r for r in disputes.itertuples()}
    picked = st.selectbox(
        "Dispute", list(rows), format_func=lambda i: _label(rows[i]), key="dispute_pick"
    )
    row = rows[picked]
    st.markdown("**Marketing's note**")
    st.text(row.marketing_note)
    with st.form(f"rule_{picked}", clear_on_submit=True):
        note = st.text_area(
            "Your note for marketing",
            max_chars=2000,
            help="Kept on the record beside marketing's note.",
        )
        uphold, overturn = st.columns(2)
        if uphold.form_submit_button("Uphold: the decision stands"):
            _rule(actor, row, note, overturn=False)
        if overturn.form_submit_button("Overturn: back to the queue", type="primary"):
            _rule(actor, row, note, overturn=True)


def _rule(actor: Actor, row: Any, note: str, *, overturn: bool) -> None:
    outcome = (
        "overturned: the lead is back in its owner's queue"
        if overturn
        else "upheld: the decision stands"
    )
    save(
        lambda s: resolve_dispute(
            s,
            actor=actor,
            dispute_id=int(row.id),
            expected_version=int(row.version),
            overturn=overturn,
            note=note,
        ),
        f"Dispute on {row.lead or f'lead #{row.lead_id}'} {outcome}.",
    )


def show_raise(actor: Actor) -> None:
    """Draw, for marketing, the search, the decision picker and the note that raise a
    dispute."""
    search = st.text_input(
        "Find a decided lead", key="dispute_search", placeholder="Name, company, email or #number"
    )
    with shown_errors(), reading() as session:
        decisions = disputable_decisions(session, actor=actor, search=search)
    if decisions.empty:
        st.info(
            plain(NO_DECISIONS.format(matching=f" matching {search!r}" if search else "")),
            icon=":material/search_off:",
        )
        return
    rows = {int(r.lead_id): r for r in decisions.itertuples()}
    picked = st.selectbox(
        "Decision to dispute",
        list(rows),
        key="dispute_lead",
        format_func=lambda i: _label(rows[i]) + f" · by {rows[i].decided_by}",
    )
    with st.form(f"raise_{picked}", clear_on_submit=True):
        note = st.text_area(
            "Why marketing disagrees",
            max_chars=2000,
            help="A sales leader reads this and rules on it.",
        )
        if st.form_submit_button("Dispute this decision", type="primary"):
            row = rows[picked]
            save(
                lambda s: raise_dispute(
                    s,
                    actor=actor,
                    lead_id=picked,
                    expected_version=int(row.lead_version),
                    note=note,
                ),
                f"Dispute raised on {row.lead or f'lead #{picked}'}. A sales leader will "
                "rule on it; follow it under Open.",
            )
