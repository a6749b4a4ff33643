"""The action area of My queue: the answer after the call, attempts, accept, send back,
and taking the next lead waiting in the team's queue.

Buttons run their action in an on_click callback, with the lead's version bound when the
page was drawn: a lead changed by someone else in between is refused with their change
named, instead of being overwritten by the click.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

import streamlit as st
from sqlmodel import Session

from leaddash.analytics.sla import sla_terms
from leaddash.auth import can
from leaddash.core.actor import Actor
from leaddash.models import ReasonKind, Stage
from leaddash.queue import actions
from leaddash.queue.actions import ActionResult
from leaddash.queue.reads import LeadDetail
from leaddash.queue.reroute import MISROUTED, misroute_teams
from leaddash.queue.touches import CHANNELS, OUTCOME_WORDS, OUTCOMES
from leaddash.queue.waiting import count_team_waiting, take_next_waiting_lead
from leaddash.reasons import reason_choices
from leaddash.ui.resources import reading
from leaddash.ui.seam import attempt, flash, shown_errors
from leaddash.ui.text import plain
from leaddash.ui.waiting import waiting_box

REFUSAL_KEY = "queue_refusal"
SELECTED_KEY = "queue_lead"
TAKE_KEY = "take_next"
TEAM_QUEUE_EMPTY = "Your team's queue is empty: no lead waits unassigned."
TAKEN_MEANWHILE = (
    "Someone took the last waiting lead just before you: your team's queue is "
    "empty now. Nothing was changed."
)
Action = Callable[..., ActionResult]


def _attempt(do: Callable[[Session], ActionResult | None]) -> ActionResult | None:
    """Return what `do` did in one write transaction, its message left for the next run;
    on a refusal leave the refusal instead (shown by `show_refusal`) and return None."""
    result = attempt(do, refusal_key=REFUSAL_KEY)
    if result is not None:
        flash(result.message)
    return result


def _run(action: Action, actor: Actor, lead_id: int, version: int, **keys: str) -> None:
    """Callback: run `action` with the widget values named in `keys`, leave its message."""
    values = {name: st.session_state.get(key) for name, key in keys.items()}
    _attempt(lambda s: action(s, actor=actor, lead_id=lead_id, expected_version=version, **values))


def _take_next(actor: Actor) -> None:
    """Callback: take the next lead waiting in the team's queue and open it."""
    result = _attempt(lambda s: take_next_waiting_lead(s, actor=actor))
    if result is not None:
        st.session_state[SELECTED_KEY] = result.lead_id
    elif REFUSAL_KEY not in st.session_state:
        st.session_state[REFUSAL_KEY] = TAKEN_MEANWHILE


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


def _button(
    label: str,
    action: Action,
    actor: Actor,
    detail: LeadDetail,
    key: str,
    primary: bool = False,
    **keys: str,
) -> None:
    st.button(
        label,
        key=f"{key}_{detail.id}",
        type="primary" if primary else "secondary",
        on_click=_run,
        args=(action, actor, detail.id, detail.version),
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
    """Draw what can be done with the lead now, the answer after the call first."""
    if detail.stage not in (Stage.MQL, Stage.ACCEPTED):
        st.info(f"This lead is {detail.stage}: nothing left to do here.")
        return
    if detail.stage == Stage.MQL:
        _button("Accept this lead", actions.accept_lead, actor, detail, "accept")
    reasons = _reasons()
    _show_answer(actor, detail, reasons[ReasonKind.DISQUALIFY])
    _show_attempt(actor, detail)
    _show_send_back(actor, detail, reasons)


def _show_answer(actor: Actor, detail: LeadDetail, labels: dict[str, str]) -> None:
    with st.container(border=True):
        st.markdown("**After the call: did this lead meet the agreed definition?**")
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
        )
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


def _show_send_back(actor: Actor, detail: LeadDetail, reasons: dict[str, dict[str, str]]) -> None:
    with st.expander("Send it back: reject to marketing, or recycle to nurture"):
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
