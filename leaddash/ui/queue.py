"""Drawing the My queue page: the rep's open leads, overdue first, and the chosen lead."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaddash.core.actor import Actor
from leaddash.errors import Forbidden, NotFound
from leaddash.queue.contact import Contact
from leaddash.queue.reads import LeadDetail, lead_detail, rep_queue
from leaddash.rescoring import Explanation, RuleCheck
from leaddash.ui.lead_links import lead_links, link_column
from leaddash.ui.queue_actions import (
    LEAD_PARAM,
    SAID_KEY,
    SELECTED_KEY,
    Said,
    choose_lead,
    show_actions,
)
from leaddash.ui.resources import reading
from leaddash.ui.seam import show_error, shown_errors
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
NEXT_KEY = "next_lead"
# Said of a lead the actor may not open, without a word on whether it exists or whose it is.
NOT_YOURS = (
    "Lead {lead} is not one of yours, or does not exist, so it cannot be opened here. "
    "Pick a lead from your queue below."
)
NOT_A_LEAD = (
    'The link names lead "{lead}", which is not a lead number. Pick a lead from your queue below.'
)


def pick_states() -> tuple[str, ...]:
    """Draw the SLA state filter; return the states picked (none: every lead)."""
    return pick_sla_states(STATES_KEY)


def read_queue(actor: Actor, sla_states: tuple[str, ...] = ()) -> pd.DataFrame:
    """Return the actor's open leads (overdue first; with a milestone in one of
    `sla_states`, when given), or an empty frame when refused."""
    with shown_errors(), reading() as session:
        return rep_queue(session, actor=actor, sla_states=sla_states)
    return pd.DataFrame()


def show_queue(leads: pd.DataFrame, *, filtered: bool = False) -> None:
    """Draw the counts and the table of the open leads."""
    overdue = int(leads["overdue"].sum()) if not leads.empty else 0
    a, b = st.columns(2)
    a.metric("Open leads", len(leads), border=True)
    b.metric("Overdue", overdue, border=True)
    if leads.empty and filtered:
        st.info(NONE_IN_STATES, icon=":material/filter_alt_off:")
        return
    if leads.empty:
        st.success(EMPTY_QUEUE, icon=":material/task_alt:")
        return
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


def _lead_in_url() -> int | str | None:
    """Return the lead number in the URL (the text itself when it is not a number)."""
    raw = st.query_params.get(LEAD_PARAM)
    if not raw:
        return None
    return int(raw) if raw.isdigit() else raw


def pick_lead(leads: pd.DataFrame) -> int | None:
    """Draw the lead picker and the Next lead button; return the chosen lead's id (the
    URL's; the first of the queue when the URL names none), None when there is none."""
    ids = [int(i) for i in leads["id"]] if not leads.empty else []
    chosen = _lead_in_url()
    if isinstance(chosen, str):
        show_error(NOT_A_LEAD.format(lead=chosen))
        chosen = None
    if chosen is None and ids:
        chosen = ids[0]
        st.query_params[LEAD_PARAM] = str(chosen)
    if chosen is None:
        return None
    st.session_state[SELECTED_KEY] = chosen if chosen in ids else None
    labels = {
        int(r.id): f"{'OVERDUE · ' if r.overdue else ''}{r.name or 'Unnamed'} · "
        f"{r.company or 'no company'} · {r.due}"
        for r in leads.itertuples()
    }
    pick, step = st.columns([5, 1], vertical_alignment="bottom")
    pick.selectbox(
        "Lead to work on",
        ids,
        format_func=labels.__getitem__,
        key=SELECTED_KEY,
        placeholder="Not in your open queue now: pick one, or go to the next lead",
        on_change=_picked,
    )
    later = [i for i in ids if i != chosen]
    step.button(
        "Next lead",
        key=NEXT_KEY,
        on_click=_next_lead,
        args=(ids, chosen),
        disabled=not later,
        icon=":material/skip_next:",
        use_container_width=True,
    )
    return chosen


def _picked() -> None:
    choose_lead(st.session_state.get(SELECTED_KEY))


def _next_lead(ids: list[int], current: int) -> None:
    """Callback: choose the lead after `current` in the queue (the first when `current`
    has left it, or is the last)."""
    at = ids.index(current) + 1 if current in ids else 0
    following = [i for i in ids[at:] + ids[:at] if i != current]
    choose_lead(following[0] if following else None)


def show_lead(actor: Actor, lead_id: int) -> None:
    """Draw the chosen lead: its name, deadline and contact, actions on the right, facts
    and score on the left, then its timeline. A lead the actor may not work is refused
    without a word about it."""
    detail = None
    try:
        with reading() as session:
            detail = lead_detail(session, actor=actor, lead_id=lead_id)
    except (Forbidden, NotFound):
        pass  # drawn below, outside the except clause
    if detail is None:
        said = st.session_state.get(SAID_KEY)
        if isinstance(said, Said) and said.lead_id == lead_id and said.ok:
            # The rep's own action took the lead out of their hands (sent back to routing):
            # its words stay, not a refusal.
            st.success(plain(said.text), icon=":material/check_circle:")
            st.caption("It has left your queue: pick the next lead.")
            return
        show_error(NOT_YOURS.format(lead=lead_id))
        return
    st.subheader(plain(detail.name), anchor=False)
    sample = " · below-threshold sample" if detail.is_sample else ""
    st.markdown(
        f"**{detail.due}** · stage {detail.stage} · score {detail.score:.0f} · "
        f"{detail.attempts} attempt(s){sample}"
    )
    left, right = st.columns([1, 1], gap="medium")
    with right:
        show_actions(actor, detail)
    with left:
        _show_contact(detail.contact)
        _show_facts(detail)
        _show_explanation(detail.explanation)
    _show_timeline(detail)


def _show_contact(contact: Contact) -> None:
    links = []
    if contact.phone and contact.call:
        links.append(f":material/call: [{plain(contact.phone)}]({contact.call})")
    if contact.email:
        shown = plain(contact.email)
        links.append(f":material/mail: [{shown}]({contact.mail})" if contact.mail else shown)
    if contact.crm:
        links.append(f":material/open_in_new: [Open in CRM]({contact.crm})")
    if links:
        st.markdown(" · ".join(links))


def _show_facts(detail: LeadDetail) -> None:
    facts = " · ".join(f"{plain(str(k))}: **{plain(str(v))}**" for k, v in detail.facts.items())
    st.markdown(facts or "No facts recorded for this lead.")


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
