"""The action area of My queue: the answer after the call, attempts, accept, send back,
undo, and taking the next lead waiting in the team's queue.

Buttons run their action in an on_click callback, with the lead's version bound when the
page was drawn: a lead changed by someone else in between is refused with their change
named, instead of being overwritten by the click. What an action says is drawn beside the
control that caused it (`Said`), replaced by the next action's words; a decision's words
carry an Undo button for UNDO_SECONDS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import streamlit as st
from sqlmodel import Session

from leaddash.analytics.sla import sla_terms
from leaddash.auth import can
from leaddash.core.actor import Actor
from leaddash.models import ReasonKind, Stage, utcnow
from leaddash.queue import actions
from leaddash.queue.actions import DECIDED_WORDS, UNDO_SECONDS, ActionResult
from leaddash.queue.reads import LeadDetail
from leaddash.queue.reroute import MISROUTED, misroute_teams
from leaddash.queue.touches import CHANNELS, OUTCOME_WORDS, OUTCOMES
from leaddash.queue.waiting import count_team_waiting, take_next_waiting_lead
from leaddash.reasons import reason_choices
from leaddash.ui.resources import reading
from leaddash.ui.seam import attempt, show_error, shown_errors
from leaddash.ui.text import plain
from leaddash.ui.waiting import waiting_box

REFUSAL_KEY = "queue_refusal"
SAID_KEY = "queue_said"
SELECTED_KEY = "queue_lead"
LEAD_PARAM = "lead"
TAKE_KEY = "take_next"
TEAM_QUEUE_EMPTY = "Your team's queue is empty: no lead waits unassigned."
TAKEN_MEANWHILE = (
    "Someone took the last waiting lead just before you: your team's queue is "
    "empty now. Nothing was changed."
)
# The inputs of a lead that an action's success empties (the pills of every kind included).
INPUTS = (
    "note",
    "attempt_note",
    "dq_reason",
    "reject_reason",
    "recycle_reason",
    *(f"outcome_{channel}" for channel in CHANNELS),
)
# The section whose words a button's action leaves (where they are drawn).
SECTIONS = {
    "validate": "answer",
    "disqualify": "answer",
    "reject": "send_back",
    "recycle": "send_back",
}
Action = Callable[..., ActionResult]


@dataclass(frozen=True)
class Said:
    """The words of the last action, for the place (`where`) of the control that caused it;
    a decision's words carry the lead's version after it, for Undo."""

    where: str
    lead_id: int | None
    text: str
    ok: bool
    undo_version: int | None = None
    at: datetime | None = None


def choose_lead(lead_id: int | None) -> None:
    """Make `lead_id` the chosen lead (in the URL, so a reload keeps it); None: none."""
    st.session_state.pop(SAID_KEY, None)
    if lead_id is None:
        st.query_params.pop(LEAD_PARAM, None)
    else:
        st.query_params[LEAD_PARAM] = str(lead_id)


def _clear_inputs(lead_id: int) -> None:
    state = st.session_state
    for name in INPUTS:
        key = f"{name}_{lead_id}"
        if key in state:
            state[key] = "" if name.endswith("note") else None
    if f"callback_on_{lead_id}" in state:
        state[f"callback_on_{lead_id}"] = False


def _attempt(
    do: Callable[[Session], ActionResult | None], *, where: str, lead_id: int | None
) -> ActionResult | None:
    """Return what `do` did in one write transaction, its words left for `where` (a
    refusal's words instead, returning None); the inputs of the lead are emptied on success."""
    st.session_state.pop(SAID_KEY, None)
    result = attempt(do, refusal_key=REFUSAL_KEY)
    refusal = st.session_state.pop(REFUSAL_KEY, None)
    if result is None:
        if refusal:
            st.session_state[SAID_KEY] = Said(where, lead_id, refusal, ok=False)
        return None
    _clear_inputs(result.lead_id)
    undo = result.version if result.stage in DECIDED_WORDS else None
    said = Said(where, result.lead_id, result.message, True, undo, utcnow())
    st.session_state[SAID_KEY] = said
    return result


def show_said(where: str, lead_id: int | None, actor: Actor | None = None) -> None:
    """Draw the last action's words when they belong here (`where`, the lead), with the
    Undo button while a decision may still be undone."""
    said = st.session_state.get(SAID_KEY)
    if not isinstance(said, Said) or said.lead_id != lead_id:
        return
    if where != "any" and said.where != where:
        return
    if not said.ok:
        show_error(said.text)
        return
    if said.at is None or utcnow() - said.at > timedelta(seconds=UNDO_SECONDS):
        st.session_state.pop(SAID_KEY, None)  # stale: the lead has been worked on since
        return
    st.success(plain(said.text), icon=":material/check_circle:")
    if actor is not None and lead_id is not None and said.undo_version is not None:
        st.button(
            "Undo",
            key=f"undo_{lead_id}",
            on_click=_undo,
            args=(actor, lead_id, said.undo_version),
            icon=":material/undo:",
            help=f"Take the decision back (for {UNDO_SECONDS} seconds after it).",
        )


def _undo(actor: Actor, lead_id: int, version: int) -> None:
    """Callback: undo the actor's decision on the lead."""
    _attempt(
        lambda s: actions.undo_decision(s, actor=actor, lead_id=lead_id, expected_version=version),
        where="answer",
        lead_id=lead_id,
    )


def _run(action: Action, actor: Actor, lead_id: int, version: int, where: str, **keys: str) -> None:
    """Callback: run `action` with the widget values named in `keys`, leave its words."""
    values = {name: st.session_state.get(key) for name, key in keys.items()}
    _attempt(
        lambda s: action(s, actor=actor, lead_id=lead_id, expected_version=version, **values),
        where=where,
        lead_id=lead_id,
    )


def _take_next(actor: Actor) -> None:
    """Callback: take the next lead waiting in the team's queue and open it."""
    result = _attempt(lambda s: take_next_waiting_lead(s, actor=actor), where="take", lead_id=None)
    if result is not None:
        st.query_params[LEAD_PARAM] = str(result.lead_id)
    elif SAID_KEY not in st.session_state:
        st.session_state[SAID_KEY] = Said("take", None, TAKEN_MEANWHILE, ok=False)


def show_waiting(actor: Actor, *, queue_empty: bool) -> None:
    """Draw how many leads wait unassigned in the rep's team queue, with the button that
    takes the next one (the main action when the rep's own queue is empty)."""
    if not can(actor, "take_waiting_lead") or actor.team_id is None:
        return
    waiting = None
    with shown_errors(), reading() as session:
        waiting = count_team_waiting(session, actor=actor)
    button = waiting_box(
        waiting,
        queue="your team's queue",
        empty=TEAM_QUEUE_EMPTY,
        hint="Nobody was free when they were routed; take the next one to "
        "call it now (the most overdue first).",
    )
    if button is not None:
        button.button(
            "Take the next one",
            key=TAKE_KEY,
            on_click=_take_next,
            args=(actor,),
            type="primary" if queue_empty else "secondary",
            icon=":material/back_hand:",
            use_container_width=True,
        )
    show_said("take", None)


def _button(
    label: str,
    action: Action,
    actor: Actor,
    detail: LeadDetail,
    where: str,
    primary: bool = False,
    **keys: str,
) -> None:
    st.button(
        label,
        key=f"{where}_{detail.id}",
        type="primary" if primary else "secondary",
        on_click=_run,
        args=(action, actor, detail.id, detail.version, SECTIONS.get(where, where)),
        kwargs=keys,
        use_container_width=True,
    )


def _reasons() -> dict[str, dict[str, str]]:
    with reading() as session:
        return {
            kind: {r.code: r.label for r in reason_choices(session, kind)} for kind in ReasonKind
        }


def _pills(label: str, labels: dict[str, str], key: str) -> None:
    st.pills(label, list(labels), format_func=lambda code: plain(labels[code]), key=key)


def show_actions(actor: Actor, detail: LeadDetail) -> None:
    """Draw what can be done with the lead now, the answer after the call first, each
    action's words beside it."""
    show_said("take", detail.id)
    if detail.stage not in (Stage.MQL, Stage.ACCEPTED):
        show_said("any", detail.id, actor)
        st.info(f"This lead is {detail.stage}: nothing left to do here.")
        return
    reasons = _reasons()
    _show_answer(actor, detail, reasons[ReasonKind.DISQUALIFY])
    if detail.stage == Stage.MQL:  # below the answer: a decision or an attempt accepts too
        _button("Accept this lead", actions.accept_lead, actor, detail, "accept")
    show_said("accept", detail.id)
    _show_attempt(actor, detail)
    _show_send_back(actor, detail, reasons)


def _show_answer(actor: Actor, detail: LeadDetail, labels: dict[str, str]) -> None:
    with st.container(border=True):
        st.markdown("**After the call: did this lead meet the agreed definition?**")
        show_said("answer", detail.id, actor)
        note = f"note_{detail.id}"
        _button(
            "Yes — meets the definition",
            actions.validate_lead,
            actor,
            detail,
            "validate",
            primary=True,
            note=note,
        )
        _pills("No — why not?", labels, f"dq_reason_{detail.id}")
        if detail.attempts < detail.min_attempts:
            st.caption(
                f"Unable to reach needs {detail.min_attempts} logged attempts "
                f"({detail.attempts} so far)."
            )
        _button(
            "Disqualify",
            actions.disqualify_lead,
            actor,
            detail,
            "disqualify",
            reason_code=f"dq_reason_{detail.id}",
            note=note,
        )
        st.text_input("Note (optional)", key=note, max_chars=actions.MAX_NOTE)


def _calendar_zone() -> str:
    with reading() as session:
        return sla_terms(session).get("calendar", {}).get("timezone") or "UTC"


def _log_attempt(actor: Actor, lead_id: int, version: int, zone: str) -> None:
    """Callback: log the attempt with its outcome and, when asked, the callback time (read
    in the SLA calendar's zone)."""
    state = st.session_state
    channel = state.get(f"channel_{lead_id}") or "call"
    callback_at = None
    if state.get(f"callback_on_{lead_id}"):
        day, clock = state.get(f"callback_day_{lead_id}"), state.get(f"callback_time_{lead_id}")
        if day is not None and clock is not None:
            callback_at = datetime.combine(day, clock, tzinfo=ZoneInfo(zone))
    _attempt(
        lambda s: actions.log_attempt(
            s,
            actor=actor,
            lead_id=lead_id,
            expected_version=version,
            channel=channel,
            outcome=state.get(f"outcome_{channel}_{lead_id}"),
            note=state.get(f"attempt_note_{lead_id}"),
            callback_at=callback_at,
        ),
        where="attempt",
        lead_id=lead_id,
    )


def _show_attempt(actor: Actor, detail: LeadDetail) -> None:
    with st.container(border=True):
        st.markdown("**Log an attempt** (a call or email, and what it came to)")
        channel = (
            st.segmented_control(
                "Channel",
                list(CHANNELS),
                default="call",
                key=f"channel_{detail.id}",
                format_func=str.title,
            )
            or "call"
        )
        st.pills(
            "What it came to",
            list(OUTCOMES[channel]),
            format_func=OUTCOME_WORDS.__getitem__,
            key=f"outcome_{channel}_{detail.id}",
        )
        st.text_input(
            "What happened (optional)", key=f"attempt_note_{detail.id}", max_chars=actions.MAX_NOTE
        )
        zone = _calendar_zone()
        if st.toggle("Agreed a time to call back", key=f"callback_on_{detail.id}"):
            day_col, time_col = st.columns(2)
            day_col.date_input(f"Call back on ({plain(zone)})", key=f"callback_day_{detail.id}")
            time_col.time_input(f"at ({plain(zone)})", key=f"callback_time_{detail.id}", step=900)
        st.button(
            "Log attempt",
            key=f"attempt_{detail.id}",
            on_click=_log_attempt,
            args=(actor, detail.id, detail.version, zone),
            use_container_width=True,
        )
        show_said("attempt", detail.id)


def _show_send_back(actor: Actor, detail: LeadDetail, reasons: dict[str, dict[str, str]]) -> None:
    """Draw "send it back" as a toggle that opens the section: its state is the page's, so
    the section stays open through the rerun of a refusal."""
    if not st.toggle(
        "Send it back: reject to marketing, or recycle to nurture",
        key=f"send_back_open_{detail.id}",
    ):
        return
    with st.container(border=True):
        if not detail.contacted:
            _pills("Reject because", reasons[ReasonKind.REJECT], f"reject_reason_{detail.id}")
            if st.session_state.get(f"reject_reason_{detail.id}") == MISROUTED:
                _show_misrouted(actor, detail)
            else:
                _button(
                    "Reject to marketing",
                    actions.reject_lead,
                    actor,
                    detail,
                    "reject",
                    reason_code=f"reject_reason_{detail.id}",
                )
        else:
            st.caption(
                "Already contacted: a no now is a disqualification (above), not a rejection."
            )
        _pills("Recycle because", reasons[ReasonKind.RECYCLE], f"recycle_reason_{detail.id}")
        _button(
            "Recycle to nurture",
            actions.recycle_lead,
            actor,
            detail,
            "recycle",
            reason_code=f"recycle_reason_{detail.id}",
        )
        show_said("send_back", detail.id)


def _show_misrouted(actor: Actor, detail: LeadDetail) -> None:
    """Draw the team picker and the button that sends a misrouted lead back to routing."""
    teams: dict[int, str] = {}
    with shown_errors(), reading() as session:
        teams = misroute_teams(session, actor=actor, lead_id=detail.id)
    st.selectbox(
        "The team it belongs to",
        list(teams),
        format_func=lambda t: plain(teams[t]),
        index=None,
        placeholder="Pick a team",
        key=f"misroute_team_{detail.id}",
        help="The routing rules pick another team first; when none matches, the lead "
        "waits in this team's queue.",
    )
    _button(
        "Send back to routing",
        actions.reject_lead,
        actor,
        detail,
        "reject",
        reason_code=f"reject_reason_{detail.id}",
        team_id=f"misroute_team_{detail.id}",
    )
