"""Drawing the Team queue page: filters, the leads waiting for a rep, the table with row
selection, reassignment, SLA breaches and the CSV downloads. Scope and every write are
decided in leaddash.queue and leaddash.routing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pandas as pd
import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from leaddash.core.actor import Actor
from leaddash.models import OPEN_STAGES, utcnow
from leaddash.queue.export import decisions_csv, queue_csv
from leaddash.queue.team import (
    DEFAULT_LIMIT,
    UNASSIGNED,
    UNDECIDED,
    UNTOUCHED,
    QueueFilter,
    Rep,
    assignable_reps,
    count_breaches,
    count_inactive_owner_leads,
    filter_choices,
    reassign_leads,
    sla_breaches,
    team_queue,
    visible_teams,
)
from leaddash.queue.waiting import assign_waiting_leads, count_waiting_leads
from leaddash.routing import RouteSummary
from leaddash.ui.downloads import deferred
from leaddash.ui.lead_links import lead_links, link_column
from leaddash.ui.resources import reading
from leaddash.ui.seam import save, shown_errors
from leaddash.ui.sla_states import pick_sla_states, state_text
from leaddash.ui.text import plain
from leaddash.ui.waiting import waiting_box

TABLE_KEY = "team_queue_table"
SHOWN_KEY = "team_queue_shown"
ANY = "Any"
ANYONE = "Anyone"
NOT_ASSIGNED = "Unassigned"
EMPTY = "No open leads match these filters. Clear a filter to see more."
PICK_ROWS = "Tick the box at the left of one or more rows to reassign those leads."
ASSIGN_KEY = "assign_waiting"
NONE_WAITING = "No lead waits unassigned in the team queue: every routed lead has a rep."
OWNER_INACTIVE = "Owner inactive"
INACTIVE_ONLY = "Owner inactive only"
STATES_KEY = "tq_sla_states"
GENERATION_KEY = "tq_generation"
PICKER_KEY = "tq_reassign_to"
BREACH_TABLE_KEY = "tq_breach_table"
BREACH_SHOWN_KEY = "tq_breach_shown"
BREACH_PICKER_KEY = "tq_breach_reassign_to"
PICK_TARGET = "Pick a rep or a team queue above to reassign"
MISSED_BY_NOTE = (
    "Missed by: who held the lead when its deadline passed; the breach stays theirs when "
    "the lead is reassigned. A new owner of an untouched lead gets the SLA's first-touch "
    "window for reassigned leads, from the reassignment. Tick leads to reassign them."
)


@dataclass(frozen=True)
class Choices:
    """What the filters and the reassign picker offer the actor."""

    teams: dict[int, str]
    reps: list[Rep]
    sources: list[str]
    segments: list[str]


def read_choices(actor: Actor) -> Choices:
    """Return the actor's teams, reps, sources and segments; stop the page when refused."""
    with shown_errors(), reading() as session:
        options = filter_choices(session, actor=actor)
        return Choices(
            dict(visible_teams(session, actor=actor)),
            assignable_reps(session, actor=actor),
            options["source"],
            options["segment"],
        )
    st.stop()


def _pick(column: DeltaGenerator, label: str, options: list, key: str, **kwargs: Any) -> Any:
    return column.selectbox(label, [None, *options], key=key, **kwargs)


def _pick_team(column: DeltaGenerator, teams: dict[int, str]) -> int | None:
    if len(teams) == 1:  # a sales manager: their own team, shown but not changeable
        only = next(iter(teams))
        column.selectbox(
            "Team", [only], format_func=teams.__getitem__, disabled=True, key="tq_own_team"
        )
        return only
    return _pick(
        column, "Team", list(teams), "tq_team", format_func=lambda t: teams[t] if t else "All teams"
    )


def show_filters(choices: Choices) -> QueueFilter:
    """Draw the filters; return what the queue is narrowed to."""
    a, b, c = st.columns(3)
    team = _pick_team(a, choices.teams)
    reps = {r.id: r.name for r in choices.reps if team in (None, r.team_id)}
    owner = _pick(
        b,
        "Rep",
        [UNASSIGNED, *reps],
        "tq_owner",
        format_func=lambda o: ANYONE if o is None else reps.get(o, NOT_ASSIGNED),
    )
    stage = _pick(
        c, "Stage", [str(s) for s in OPEN_STAGES], "tq_stage", format_func=lambda s: s or ANY
    )
    d, e, f = st.columns(3)
    source = _pick(d, "Source", choices.sources, "tq_source", format_func=lambda s: s or ANY)
    segment = _pick(e, "Segment", choices.segments, "tq_segment", format_func=lambda s: s or ANY)
    # Home's inbox links here with ?overdue=1 for the team's SLA breaches.
    asked = st.query_params.get("overdue") == "1"
    overdue = f.checkbox("Overdue only", key="tq_overdue", value=asked)
    sample = f.checkbox("Below-threshold sample only", key="tq_sample")
    inactive = f.checkbox(INACTIVE_ONLY, key="tq_inactive_owner")
    states = pick_sla_states(STATES_KEY)
    return QueueFilter(
        team_id=team,
        owner=owner,
        stage=stage,
        source=source,
        segment=segment,
        overdue_only=overdue,
        sample_only=sample,
        inactive_owner_only=inactive,
        sla_states=states,
    )


def read_team_queue(actor: Actor, where: QueueFilter) -> pd.DataFrame:
    """Return the filtered team queue, or an empty frame after showing a refusal."""
    with shown_errors(), reading() as session:
        return team_queue(session, actor=actor, where=where)
    return pd.DataFrame()


def assigned_message(summary: RouteSummary) -> str:
    """Return what "Assign waiting leads now" did, in words, with what to do about leads
    that still wait."""
    if not summary.routed and not summary.unassigned:
        return "No lead was waiting any more: nothing to assign."
    if not summary.unassigned:
        return f"{summary.routed} assigned: no lead waits in the team queue any more."
    return (
        f"{summary.routed} assigned, {summary.unassigned} still waiting: every rep is away "
        "or at their cap. Mark a rep back or raise a daily cap on the Routing page and "
        "they get the waiting leads at once."
    )


def _assign_now(actor: Actor, team_id: int | None) -> None:
    save(lambda s: assign_waiting_leads(s, actor=actor, team_id=team_id), assigned_message)


def show_waiting(actor: Actor, team_id: int | None) -> None:
    """Draw how many leads wait unassigned in the team queue (every visible team's when
    `team_id` is None), with the button that hands them to free reps now."""
    waiting = None
    with shown_errors(), reading() as session:
        waiting = count_waiting_leads(session, actor=actor, team_id=team_id)
    button = waiting_box(
        waiting,
        queue="the team queue",
        empty=NONE_WAITING,
        hint="No rep was free when they were routed. Assign them now to give "
        "them to the reps who are free, the most overdue first.",
    )
    if button is not None and button.button(
        "Assign waiting leads now",
        key=ASSIGN_KEY,
        type="primary",
        icon=":material/group_add:",
        use_container_width=True,
    ):
        _assign_now(actor, team_id)


def show_inactive_owners(actor: Actor, team_id: int | None) -> None:
    """Draw, when any open lead belongs to a deactivated user, how many and what to do."""
    count = 0
    with shown_errors(), reading() as session:
        count = count_inactive_owner_leads(session, actor=actor, team_id=team_id)
    if not count:
        return
    leads = "1 open lead belongs" if count == 1 else f"{count} open leads belong"
    st.warning(
        f"{leads} to a deactivated user, so nobody is working them. Tick "
        f"'{INACTIVE_ONLY}' above, select them in the table and reassign them to an "
        "active rep or the team queue.",
        icon=":material/person_off:",
    )


def show_table(leads: pd.DataFrame) -> pd.DataFrame:
    """Draw the counts and the selectable table; return the selected leads."""
    overdue = int(leads["overdue"].sum()) if not leads.empty else 0
    unassigned = int((leads["owner"] == NOT_ASSIGNED).sum()) if not leads.empty else 0
    a, b, c = st.columns(3)
    a.metric("Open leads", len(leads), border=True)
    b.metric("Overdue", overdue, border=True)
    c.metric("Unassigned", unassigned, border=True)
    if leads.empty:
        st.info(EMPTY, icon=":material/filter_alt_off:")
        return leads
    if len(leads) >= DEFAULT_LIMIT:
        st.caption(
            f"Showing the {DEFAULT_LIMIT} most urgent leads: narrow the filters, or "
            "download the queue as CSV from Export for CRM to get them all."
        )
    return selectable(_table(leads), leads, TABLE_KEY, SHOWN_KEY)


def fresh_key(key: str) -> str:
    """Return the widget key of `key` in its current generation: a new key after each
    action draws the widget anew, with nothing ticked or picked."""
    generation = st.session_state.get(GENERATION_KEY, 0)
    return key if not generation else f"{key}_{generation}"


def clear_selections() -> None:
    """Untick every row and empty the pickers on the next run (after an action)."""
    st.session_state[GENERATION_KEY] = st.session_state.get(GENERATION_KEY, 0) + 1


def selectable(table: pd.DataFrame, leads: pd.DataFrame, key: str, shown_key: str) -> pd.DataFrame:
    """Draw `table` (one row per lead of `leads`) with row selection; return the selected
    leads."""
    seen = st.session_state.get(shown_key)
    picked = st.dataframe(
        table,
        hide_index=True,
        key=fresh_key(key),
        on_select="rerun",
        selection_mode="multi-row",
        column_config={"Lead": link_column()},
    )
    st.session_state[shown_key] = leads[["id", "name", "version"]]
    rows = tuple(picked.selection.rows)
    kept = st.session_state.get(f"{shown_key}_picked")
    if kept is not None and kept[0] == rows:
        return kept[1]  # picking a target reruns: the ticked leads stay the ones ticked
    # Ticked rows point into the table the browser showed, drawn by the previous run: take
    # the leads and versions from it, so a lead changed since then is refused, not moved.
    shown = seen if seen is not None and rows and max(rows) < len(seen) else leads
    chosen = shown.iloc[list(rows)]
    st.session_state[f"{shown_key}_picked"] = (rows, chosen)
    return chosen


def _table(leads: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Status": leads["overdue"].map({True: "OVERDUE", False: "on time"}),
            "Lead": lead_links(leads["id"], leads["name"]),
            "Company": leads["company"],
            "Team": leads["team"],
            "Owner": leads["owner"],
            OWNER_INACTIVE: leads["owner_inactive"].map({True: "⚠ inactive", False: ""}),
            "Stage": leads["stage"],
            "Deadline": leads["due_kind"] + ": " + leads["due_text"],
            "First touch SLA": state_text(leads["touch_state"]),
            "Decision SLA": state_text(leads["decision_state"]),
            "Source": leads["source"],
            "Segment": leads["segment"],
            "Attempts": leads["attempts"],
            "Sample": leads["is_sample"],
        }
    )


def _targets(choices: Choices) -> dict[str, str]:
    reps = {f"rep:{r.id}": f"{r.name} ({r.team})" for r in choices.reps}
    queues = {f"team:{t}": f"{name} team queue, unassigned" for t, name in choices.teams.items()}
    return reps | queues


def show_reassign(
    actor: Actor, selected: pd.DataFrame, choices: Choices, key: str = PICKER_KEY
) -> None:
    """Draw the picker that gives the selected leads to a rep or back to a team queue: it
    starts empty, and the button says what to pick until something is picked."""
    if selected.empty:
        st.caption(PICK_ROWS)
        return
    targets = _targets(choices)
    count = len(selected)
    leads = "1 lead" if count == 1 else f"{count} leads"
    st.text(f"Selected: {', '.join(n or 'Unnamed' for n in selected['name'])}")
    target = st.selectbox(
        f"Give the {leads} selected to",
        list(targets),
        format_func=targets.__getitem__,
        index=None,
        placeholder="Pick a rep or a team queue",
        key=fresh_key(key),
    )
    if target is None:
        st.button(PICK_TARGET, disabled=True, key=fresh_key(f"{key}_button"))
        return
    label = f"Reassign {leads} to {plain(targets[target])}"
    if st.button(label, type="primary", key=fresh_key(f"{key}_button")):
        _reassign(actor, selected, target, f"Reassigned {leads} to {targets[target]}.")


def _reassign(actor: Actor, selected: pd.DataFrame, target: str, message: str) -> None:
    kind, _, number = target.partition(":")
    versions = dict(zip(selected["id"].astype(int), selected["version"].astype(int), strict=True))
    owner_id, team_id = (int(number), None) if kind == "rep" else (None, int(number))

    def done(_: int) -> str:
        clear_selections()
        return message

    save(
        lambda s: reassign_leads(
            s, actor=actor, versions=versions, owner_id=owner_id, team_id=team_id
        ),
        done,
    )


def show_breaches(actor: Actor, team_id: int | None, choices: Choices) -> None:
    """Draw the SLA breaches: counts by kind, then the leads, longest late first, with who
    missed each deadline; ticked ones can be reassigned right here."""
    breaches = None
    with shown_errors(), reading() as session:
        counts = count_breaches(session, actor=actor, team_id=team_id)
        breaches = sla_breaches(session, actor=actor, team_id=team_id)
        a, b = st.columns(2)
        a.metric("Untouched past the first-touch deadline", counts[UNTOUCHED], border=True)
        b.metric("Undecided past the decision deadline", counts[UNDECIDED], border=True)
    if breaches is None:
        return
    if breaches.empty:
        st.success(
            "No SLA breaches: every open lead is within its deadlines.",
            icon=":material/task_alt:",
        )
        return
    table = pd.DataFrame(
        {
            "Lead": lead_links(breaches["id"], breaches["name"]),
            "Company": breaches["company"],
            "Team": breaches["team"],
            "Owner": breaches["owner"],
            "Stage": breaches["stage"],
            "Breach": breaches["breach"],
            "Late by": breaches["late_by"],
            "Missed by": breaches["missed_by"],
        }
    )
    selected = selectable(table, breaches, BREACH_TABLE_KEY, BREACH_SHOWN_KEY)
    total = sum(counts.values())
    if len(breaches) < total:
        st.caption(f"Showing the {len(breaches):,} longest late of {total:,}.")
    st.caption(MISSED_BY_NOTE)
    show_reassign(actor, selected, choices, key=BREACH_PICKER_KEY)


def show_downloads(actor: Actor, where: QueueFilter) -> None:
    """Draw the CSV downloads: the filtered queue, and the decisions of chosen days."""
    today = utcnow().date()
    st.download_button(
        "Download the queue (CSV)",
        deferred(lambda s: queue_csv(s, actor=actor, where=where)),
        file_name="team-queue.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
    days = st.date_input(
        "Decisions taken between",
        (today - timedelta(days=30), today),
        key="tq_decision_days",
        help="UTC days, both included.",
    )
    if not isinstance(days, tuple) or len(days) != 2:
        st.caption("Pick the first and the last day.")
        return
    since, until = days
    st.download_button(
        "Download the decisions (CSV)",
        deferred(
            lambda s: decisions_csv(s, actor=actor, since=since, until=until, team_id=where.team_id)
        ),
        file_name=f"decisions-{since}-{until}.csv",
        mime="text/csv",
        icon=":material/download:",
        on_click="ignore",
    )
