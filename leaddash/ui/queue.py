"""Drawing the My queue page: the rep's open leads, overdue first, and the chosen lead."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaddash.core.actor import Actor
from leaddash.queue.reads import LeadDetail, lead_detail, rep_queue
from leaddash.rescoring import Explanation, RuleCheck
from leaddash.ui.lead_links import lead_links, link_column
from leaddash.ui.queue_actions import REFUSAL_KEY, SELECTED_KEY, show_actions
from leaddash.ui.resources import reading
from leaddash.ui.seam import show_flash, show_refusal, shown_errors
from leaddash.ui.sla_states import pick_sla_states, state_text
from leaddash.ui.text import plain, when

EMPTY_QUEUE = (
    "Your queue is empty: every lead routed to you has an answer. New MQLs "
    "appear here as soon as they are routed to you."
)
NONE_IN_STATES = (
    "None of your open leads is in the SLA states picked. Clear the SLA state filter to "
    "see them all."
)
STATES_KEY = "queue_sla_states"


def show_messages() -> None:
    """Show the last action's success, or its refusal, once."""
    show_flash()
    show_refusal(REFUSAL_KEY)


def pick_states() -> tuple[str, ...]:
    """Draw the SLA state filter; return the states picked (none: every lead)."""
    return pick_sla_states(STATES_KEY)


def read_queue(actor: Actor, sla_states: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return the actor's open leads (overdue first; with a milestone in one of
    `sla_states`, when given), or an empty frame when refused."""
    with shown_errors(), reading() as session:
        return rep_queue(session, actor=actor, sla_states=sla_states)
    return pd.DataFrame()


def show_queue(leads: pd.DataFrame, *, filtered: bool = False) -> int | None:
    """Draw the counts and the table; return the id of the lead chosen to work on."""
    overdue = int(leads["overdue"].sum()) if not leads.empty else 0
    a, b = st.columns(2)
    a.metric("Open leads", len(leads), border=True)
    b.metric("Overdue", overdue, border=True)
    if leads.empty and filtered:
        st.info(NONE_IN_STATES, icon=":material/filter_alt_off:")
        return None
    if leads.empty:
        st.success(EMPTY_QUEUE, icon=":material/task_alt:")
        return None
    if overdue:
        st.warning(
            f"{overdue} lead(s) are past their SLA deadline: call them first (they "
            "are at the top, marked OVERDUE).",
            icon=":material/alarm:",
        )
    st.dataframe(
        _table(leads),
        hide_index=True,
        column_config={
            "Lead": link_column(),
            "score": st.column_config.NumberColumn("Score", format="%.0f"),
            "is_sample": st.column_config.CheckboxColumn(
                "Sample",
                help="Routed below the "
                "threshold so the team can measure "
                "what the definition misses.",
            ),
        },
    )
    return _choose(leads)


def _table(leads: pd.DataFrame) -> pd.DataFrame:
    flag = leads["overdue"].map({True: "OVERDUE", False: "on time"})
    return pd.DataFrame(
        {
            "Status": flag,
            "Lead": lead_links(leads["id"], leads["name"]),
            "Company": leads["company"],
            "Deadline": leads["due_kind"] + ": " + leads["due"],
            "First touch SLA": state_text(leads["touch_state"]),
            "Decision SLA": state_text(leads["decision_state"]),
            "Stage": leads["stage"],
            "score": leads["score"],
            "Attempts": leads["attempts"],
            "is_sample": leads["is_sample"],
        }
    )


def _choose(leads: pd.DataFrame) -> int:
    ids = [int(i) for i in leads["id"]]
    if st.session_state.get(SELECTED_KEY) not in ids:
        st.session_state[SELECTED_KEY] = ids[0]
    labels = {
        int(r.id): f"{'OVERDUE · ' if r.overdue else ''}{r.name or 'Unnamed'} · "
        f"{r.company or 'no company'} · {r.due}"
        for r in leads.itertuples()
    }
    return st.selectbox("Lead to work on", ids, format_func=labels.__getitem__, key=SELECTED_KEY)


def show_lead(actor: Actor, lead_id: int) -> None:
    """Draw the chosen lead: facts and score on the left, actions on the right, then its
    timeline."""
    detail = None
    with shown_errors(), reading() as session:
        detail = lead_detail(session, actor=actor, lead_id=lead_id)
    if detail is None:
        return
    st.subheader(plain(detail.name))
    sample = " · below-threshold sample" if detail.is_sample else ""
    st.caption(
        f"Stage {detail.stage} · score {detail.score:.0f} · {detail.due} · "
        f"{detail.attempts} attempt(s){sample}"
    )
    left, right = st.columns([3, 2], gap="large")
    with right:
        show_actions(actor, detail)
    with left:
        _show_facts(detail)
        _show_explanation(detail.explanation)
    _show_timeline(detail)


def _show_facts(detail: LeadDetail) -> None:
    st.markdown("**Fit facts**")
    facts = pd.DataFrame(
        {"Fact": list(detail.facts), "Value": [str(v) for v in detail.facts.values()]}
    )
    st.dataframe(facts, hide_index=True)


def _show_explanation(explanation: Explanation | None) -> None:
    st.markdown("**Why it qualified**")
    if explanation is None:
        st.info("No lead definition is active yet, so there is no score to explain.")
        return
    st.caption(f"Scored as of {when(explanation.as_of)}, with the definition that qualified it.")
    st.write(plain(explanation.sentence()))
    rules = [*explanation.fit_rules, *explanation.disqualifiers]
    st.dataframe(
        pd.DataFrame(
            {
                "Rule": [f"{r.kind}: {r.label}" for r in rules],
                "Lead's value": ["" if r.value is None else str(r.value) for r in rules],
                "Result": [_verdict(r) for r in rules],
            }
        ),
        hide_index=True,
    )
    st.dataframe(
        pd.DataFrame(
            {
                "Activity type": [p.type for p in explanation.points],
                "Count": [p.count for p in explanation.points],
                "Points": [p.points for p in explanation.points],
            }
        ),
        hide_index=True,
    )


def _verdict(rule: RuleCheck) -> str:
    if rule.kind == "fit":
        return "meets it" if rule.passed else "FAILS"
    return "not triggered" if rule.passed else "TRIGGERED"


def _show_timeline(detail: LeadDetail) -> None:
    st.markdown("**Timeline** (newest first)")
    if not detail.timeline:
        st.caption("Nothing has happened to this lead yet.")
        return
    st.dataframe(
        pd.DataFrame(
            {
                "When": [when(i.at) for i in detail.timeline],
                "What": [i.text for i in detail.timeline],
                "Who": [i.who for i in detail.timeline],
            }
        ),
        hide_index=True,
    )
