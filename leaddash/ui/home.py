"""Drawing helpers for the home page."""

from __future__ import annotations

from datetime import timedelta

import pandas as pd
import streamlit as st

from leaddash.analytics.overview import (
    month_to_date_windows,
    overdue_open_leads,
    stage_counts,
)
from leaddash.charts import stage_bar_chart
from leaddash.core.actor import Actor
from leaddash.core.times import describe_due
from leaddash.models import utcnow
from leaddash.queue.reads import open_leads_for_rep
from leaddash.ui.lead_links import lead_links, link_column
from leaddash.ui.resources import reading


def show_rep_queue(actor: Actor) -> None:
    """Draw the rep's open leads, overdue ones first, with what to do next."""
    now = utcnow()
    with reading() as session:
        leads = open_leads_for_rep(session, actor=actor)
    overdue = leads[leads["due_at"] < pd.Timestamp(now)]
    soon = leads[
        (leads["due_at"] >= pd.Timestamp(now))
        & (leads["due_at"] < pd.Timestamp(now + timedelta(hours=24)))
    ]
    a, b, c = st.columns(3)
    a.metric("Open leads", len(leads), border=True)
    b.metric("Overdue", len(overdue), border=True)
    c.metric("Due in the next 24 h", len(soon), border=True)
    if leads.empty:
        st.success("No open leads right now. New MQLs will appear here as they are routed to you.")
        return
    if len(overdue):
        st.warning(
            f"{len(overdue)} lead(s) are past their SLA deadline: contact them first.",
            icon=":material/alarm:",
        )
    shown = leads.assign(
        when=[describe_due(d, now) for d in leads["due_at"]],
        name=lead_links(leads["id"], leads["name"]),
    )
    st.dataframe(
        shown[["name", "company", "segment", "stage", "score", "due_kind", "when", "attempts"]],
        hide_index=True,
        column_config={
            "name": link_column(),
            "company": "Company",
            "segment": "Segment",
            "stage": "Stage",
            "score": st.column_config.NumberColumn("Score", format="%.0f"),
            "due_kind": "Next SLA step",
            "when": "Deadline",
            "attempts": "Attempts",
        },
    )


def show_month_by_stage(actor: Actor) -> None:
    """Draw this month's lead counts by stage, against last month, for the actor's scope."""
    now = utcnow()
    start, prev, prev_same_point = month_to_date_windows(now)
    with reading() as session:
        this_month = stage_counts(session, actor=actor, start=start, end=now)
        last_month = stage_counts(session, actor=actor, start=prev, end=prev_same_point)
        overdue = overdue_open_leads(session, actor=actor, now=now)
    scope = "your team" if actor.role == "sales_manager" else "all teams"
    st.caption(
        f"{start:%B %Y} so far, {scope}. Each change compares with the same days of "
        f"{prev:%B} (1–{prev_same_point - timedelta(seconds=1):%-d %B})."
    )
    before = dict(zip(last_month["stage"], last_month["leads"], strict=True))
    cols = st.columns(4)
    for col, stage in zip(cols, ["mql", "accepted", "validated", "won"], strict=True):
        now_count = int(this_month.loc[this_month["stage"] == stage, "leads"].iloc[0])
        col.metric(
            f"{stage.upper() if stage == 'mql' else stage.title()}",
            now_count,
            delta=now_count - int(before.get(stage, 0)),
            border=True,
        )
    if overdue:
        st.warning(
            f"{overdue} MQL(s) are untouched past their first-touch deadline.",
            icon=":material/alarm:",
        )
    st.altair_chart(stage_bar_chart(this_month, f"Leads entering each stage, {start:%B %Y}"))
