"""Drawing helpers for the routing page; every write goes through leaddash.routing."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaddash.auth import can
from leaddash.core.actor import Actor
from leaddash.queue.availability import (
    MAX_CAP,
    RepAvailability,
    list_availability,
    set_availability,
)
from leaddash.routing import (
    RuleInput,
    RuleRow,
    active_sample,
    create_rule,
    delete_rule,
    list_rules,
    preview_team,
    team_ids,
    update_rule,
)
from leaddash.routing.rules import MAX_PRIORITY
from leaddash.ui.resources import reading
from leaddash.ui.seam import save, shown_errors
from leaddash.ui.text import plain

NEW_RULE = "(add a new rule)"


def show_rules(actor: Actor) -> None:
    """Draw the rules table, the rule editor and the preview (admins only)."""
    if not can(actor, "edit_routing"):
        return
    st.subheader("Routing rules")
    st.caption(
        "Each new MQL goes to the team of the first active rule it matches, lowest "
        "priority number first; empty conditions match any lead. Within the team, "
        "reps take turns."
    )
    with reading() as session:
        rules, teams = list_rules(session, actor=actor), team_ids(session)
    if not teams:
        st.info("Add a team on the Users and teams page first: every rule sends leads to a team.")
        return
    _draw_rule_table(rules)
    _edit_rule(actor, rules, teams)
    _preview(actor)


def _draw_rule_table(rules: list[RuleRow]) -> None:
    if not rules:
        st.warning(
            "There are no routing rules yet, so new MQLs stay unrouted. Add one "
            "below — a rule with no conditions catches every lead."
        )
        return
    frame = pd.DataFrame(
        {
            "Priority": [r.priority for r in rules],
            "Rule": [r.description for r in rules],
            "Active": [r.is_active for r in rules],
        }
    )
    st.dataframe(
        frame, hide_index=True, column_config={"Active": st.column_config.CheckboxColumn("Active")}
    )


def _rule_label(rule: RuleRow) -> str:
    return f"{rule.priority} · {rule.description}"


def _edit_rule(actor: Actor, rules: list[RuleRow], teams: dict[str, int]) -> None:
    options = [NEW_RULE, *(_rule_label(r) for r in rules)]
    picked = st.selectbox("Rule to add or change", options, key="routing_rule_pick")
    rule = next((r for r in rules if _rule_label(r) == picked), None)
    names = list(teams)
    with st.form(f"routing_rule_{rule.id if rule else 'new'}"):
        priority = st.number_input(
            "Priority (lower wins)", 0, MAX_PRIORITY, rule.priority if rule else 100, step=1
        )
        team = st.selectbox("Send to team", names, index=names.index(rule.team) if rule else 0)
        segment = st.text_input("Segment (empty: any)", (rule.segment or "") if rule else "")
        country = st.text_input(
            "Country (empty: any)",
            (rule.country or "") if rule else "",
            help="As the leads carry it, e.g. DE or United States.",
        )
        low = st.number_input(
            "At least this many employees (empty: no minimum)",
            0,
            value=rule.min_employees if rule else None,
            step=1,
        )
        high = st.number_input(
            "At most this many employees (empty: no maximum)",
            0,
            value=rule.max_employees if rule else None,
            step=1,
        )
        active = st.checkbox("Active", rule.is_active if rule else True)
        fields = RuleInput(
            int(priority),
            teams[team],
            segment,
            country,
            None if low is None else int(low),
            None if high is None else int(high),
            active,
        )
        if st.form_submit_button("Save rule" if rule else "Add rule", type="primary"):
            _save_rule(actor, rule, fields, team)
    if rule is not None and st.button("Delete this rule", key=f"delete_rule_{rule.id}"):
        save(
            lambda s: delete_rule(s, actor=actor, rule_id=rule.id, expected_version=rule.version),
            f"Deleted the rule “{rule.description}”. Leads it routed keep their team.",
        )


def _save_rule(actor: Actor, rule: RuleRow | None, fields: RuleInput, team: str) -> None:
    if rule is None:
        save(
            lambda s: create_rule(s, actor=actor, rule=fields),
            f"Added a rule sending leads to {team}. It applies to the next MQLs.",
        )
        return
    save(
        lambda s: update_rule(
            s, actor=actor, rule_id=rule.id, expected_version=rule.version, rule=fields
        ),
        f"Saved the rule: it now sends leads to {team}.",
    )


def _preview(actor: Actor) -> None:
    with st.expander("Where would a lead go?"), st.form("routing_preview"):
        segment = st.text_input("Segment", key="preview_segment")
        country = st.text_input("Country", key="preview_country")
        employees = st.number_input("Employees", 0, value=None, step=1, key="preview_employees")
        if st.form_submit_button("Show the team"):
            with shown_errors(), reading() as session:
                st.info(
                    plain(
                        preview_team(
                            session,
                            actor=actor,
                            segment=segment.strip(),
                            country=country.strip(),
                            employees=None if employees is None else int(employees),
                        )
                    )
                )


def show_sample() -> None:
    """Draw the below-threshold sample setting of the active definition."""
    with reading() as session:
        sample = active_sample(session)
    if sample is None:
        st.info("No lead definition is active, so no lead is qualified or routed yet.")
        return
    where = "Change it in the lead definition editor (Lead definition page), in a new version."
    if sample.rate <= 0:
        st.caption(
            f"Definition v{sample.definition_number} routes no below-threshold sample. {where}"
        )
        return
    st.caption(
        f"Definition v{sample.definition_number} also routes {sample.rate:.1%} of the "
        f"fitting leads scoring up to {sample.band:g} points below the threshold, "
        f"marked as a sample, so the team can see what the definition misses. {where}"
    )


def show_availability(actor: Actor) -> None:
    """Draw the reps' availability, team by team, and the form that changes one rep."""
    st.subheader("Rep availability")
    with reading() as session:
        reps = list_availability(session, actor=actor)
    if not reps:
        st.info("No reps to show. Add reps to teams on the Users and teams page.")
        return
    st.caption(
        "Away reps and reps at their daily cap get no new leads; their share waits "
        "in the team queue. Today's count resets at midnight in the SLA's time zone."
    )
    for team in dict.fromkeys(r.team for r in reps):
        st.markdown(f"**{plain(team)}**")
        st.dataframe(_availability_frame([r for r in reps if r.team == team]), hide_index=True)
    _edit_availability(actor, reps)


def _availability_frame(reps: list[RepAvailability]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "Rep": [r.name for r in reps],
            "Status": [
                "inactive" if not r.is_active else "away" if r.is_away else "available"
                for r in reps
            ],
            "Daily cap": [r.daily_cap for r in reps],
            "Assigned today": [r.assigned_today for r in reps],
        }
    )


def _edit_availability(actor: Actor, reps: list[RepAvailability]) -> None:
    labels = {f"{r.name} ({r.team})": r for r in reps}
    rep = labels[st.selectbox("Rep to change", list(labels), key="availability_pick")]
    with st.form(f"availability_{rep.id}"):
        away = st.toggle("Away (gets no new leads)", rep.is_away)
        cap = st.number_input("Daily cap (leads a day)", 0, MAX_CAP, rep.daily_cap, step=1)
        if st.form_submit_button("Save availability", type="primary"):
            state = "away" if away else "available"
            save(
                lambda s: set_availability(
                    s,
                    actor=actor,
                    user_id=rep.id,
                    expected_version=rep.version,
                    is_away=away,
                    daily_cap=int(cap),
                ),
                f"{rep.name} is {state}, with a daily cap of {int(cap)}.",
            )
