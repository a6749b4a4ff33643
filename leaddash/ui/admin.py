"""Drawing helpers for the admin page; every write goes through leaddash.users."""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import streamlit as st

from leaddash.core.actor import Actor
from leaddash.logins import end_logins
from leaddash.models import Role
from leaddash.queue.contact import crm_template, save_crm_template
from leaddash.queue.handover import Handover, handover_options
from leaddash.ui.resources import reading
from leaddash.ui.seam import save, shown_errors
from leaddash.ui.text import plain
from leaddash.users import (
    UserRow,
    create_team,
    create_user,
    deactivate_user,
    list_users,
    set_active,
    set_password,
    team_names,
    update_user,
)

ROLES = [r.value for r in Role]
NO_TEAM = "(no team)"
CONFIRM_KEY = "confirm_own_role"
CONFIRM_LABEL = "Yes, change my own role"
TEAM_QUEUE = "queue"
# The page's tabs; the chosen one stays chosen after an action (leaddash.ui.links.kept_tabs).
USER_TABS = ("Add a user", "Change a user", "Add a team", "CRM link")


@dataclass(frozen=True)
class RoleChange:
    """A role and team change waiting for its admin to confirm it (their own role)."""

    username: str
    version: int
    role: str
    team: str


def _teams() -> list[str]:
    with reading() as session:
        return team_names(session)


def show_user_list(actor: Actor) -> list[UserRow]:
    """Draw the table of users and return the rows."""
    with reading() as session:
        users = list_users(session, actor=actor)
    frame = pd.DataFrame([u.__dict__ for u in users])
    st.dataframe(
        frame[["username", "name", "email", "role", "team", "is_active"]],
        hide_index=True,
        column_config={
            "username": "Username",
            "name": "Name",
            "email": "Email",
            "role": "Role",
            "team": "Team",
            "is_active": st.column_config.CheckboxColumn("Active"),
        },
    )
    return users


def show_create_user(actor: Actor) -> None:
    """Draw the form that adds a user."""
    teams = [NO_TEAM, *_teams()]
    with st.form("create_user", clear_on_submit=False):
        username = st.text_input("Username", help="Lower-case letters, digits, dots, dashes.")
        name = st.text_input("Full name")
        email = st.text_input("Email")
        role = st.selectbox("Role", ROLES, index=ROLES.index("rep"))
        team = st.selectbox("Team", teams)
        password = st.text_input(
            "First password",
            type="password",
            help="At least 10 characters; share it with the person.",
        )
        if st.form_submit_button("Add user", type="primary"):
            save(
                lambda s: create_user(
                    s,
                    actor=actor,
                    username=username.strip(),
                    role=role,
                    password=password,
                    name=name.strip() or None,
                    email=email.strip() or None,
                    team=None if team == NO_TEAM else team,
                ),
                f"Added {role.replace('_', ' ')} {username.strip()!r}. They can log in now.",
            )


def show_edit_user(actor: Actor, users: list[UserRow]) -> None:
    """Draw the controls that change one user's role, team, status or password."""
    if not users:
        st.info("No users yet.")
        return
    picked = st.selectbox("User", [u.username for u in users], key="edit_user_pick")
    user = next(u for u in users if u.username == picked)
    teams = [NO_TEAM, *_teams()]
    with st.form(f"edit_user_{user.username}"):
        role = st.selectbox("Role", ROLES, index=ROLES.index(user.role))
        team = st.selectbox("Team", teams, index=teams.index(user.team) if user.team else 0)
        if st.form_submit_button("Save role and team", type="primary"):
            change = RoleChange(user.username, user.version, role, team)
            if user.username == actor.username and role != user.role:
                st.session_state[CONFIRM_KEY] = change
            else:
                _save_role(actor, change)
    _confirm_own_role(actor, user)
    _show_password_and_status(actor, user)
    _show_end_logins(actor, user)


def _save_role(actor: Actor, change: RoleChange) -> None:
    st.session_state.pop(CONFIRM_KEY, None)
    save(
        lambda s: update_user(
            s,
            actor=actor,
            username=change.username,
            expected_version=change.version,
            role=change.role,
            team="" if change.team == NO_TEAM else change.team,
        ),
        f"Saved {change.username!r}: {change.role.replace('_', ' ')}, {change.team}.",
    )


def _confirm_own_role(actor: Actor, user: UserRow) -> None:
    """Draw the second step of changing your own role: what you lose, then Yes or Cancel."""
    change = st.session_state.get(CONFIRM_KEY)
    if not isinstance(change, RoleChange) or change.username != user.username:
        return
    st.warning(
        f"You are changing your own role from {user.role.replace('_', ' ')} to "
        f"{change.role.replace('_', ' ')}. You lose this page (Users and teams) as "
        "soon as you confirm, and only another admin can give you the admin role "
        "back. Your logins end too: you log in again. Continue?",
        icon=":material/warning:",
    )
    yes, cancel = st.columns(2)
    if yes.button(CONFIRM_LABEL, type="primary", key="confirm_own_role_yes"):
        _save_role(actor, change)
    if cancel.button("Cancel", key="confirm_own_role_no"):
        st.session_state.pop(CONFIRM_KEY, None)
        st.rerun()


def _show_password_and_status(actor: Actor, user: UserRow) -> None:
    with st.form(f"reset_pw_{user.username}", clear_on_submit=True):
        password = st.text_input("New password", type="password")
        if st.form_submit_button("Reset password"):
            save(
                lambda s: set_password(s, actor=actor, username=user.username, password=password),
                f"Password of {user.username!r} reset. Tell them the new one in person.",
            )
    if user.is_active:
        _show_deactivate(actor, user)
    elif st.button(f"Reactivate {plain(user.username)}", key=f"toggle_{user.username}"):
        save(
            lambda s: set_active(s, actor=actor, username=user.username, active=True),
            f"{user.username!r} is now active again.",
        )


def _show_deactivate(actor: Actor, user: UserRow) -> None:
    """Draw the Deactivate button; when the user owns open leads, first ask where they go."""
    handover = None
    with shown_errors(), reading() as session:
        handover = handover_options(session, actor=actor, username=user.username)
    if handover is None:
        return
    leads_to: str | None = TEAM_QUEUE
    if handover.open_leads:
        leads_to = _pick_destination(user, handover)
    else:
        st.caption(f"{plain(user.username)} owns no open leads.")
    if st.button(
        f"Deactivate {plain(user.username)}",
        key=f"toggle_{user.username}",
        disabled=leads_to is None,
    ):
        _deactivate(actor, user.username, leads_to, handover)


def _pick_destination(user: UserRow, handover: Handover) -> str | None:
    """Draw where the user's open leads go; return "queue", a rep's username, or None
    while nothing is chosen (a user in no team has no team queue)."""
    options = ([TEAM_QUEUE] if handover.team else []) + list(handover.reps)
    labels = {TEAM_QUEUE: f"{handover.team} team queue, unassigned"} | handover.reps
    leads = "1 open lead" if handover.open_leads == 1 else f"{handover.open_leads} open leads"
    chosen = st.selectbox(
        f"{plain(user.username)} owns {leads}. Where do they go?",
        options,
        index=0 if handover.team else None,
        format_func=labels.__getitem__,
        placeholder="Choose a rep",
        key=f"leads_to_{user.username}",
    )
    if not handover.team:
        st.caption(
            f"{plain(user.username)} is in no team, so there is no team queue for the "
            "leads: choose the rep who takes them."
            if handover.reps
            else f"{plain(user.username)} is in no team and no active rep could take the leads: "
            "add a rep (or reactivate one) first."
        )
    return chosen


def _deactivate(actor: Actor, username: str, leads_to: str | None, handover: Handover) -> None:
    target = None if leads_to == TEAM_QUEUE else leads_to

    def said(moved: int) -> str:
        where = (
            f"the {handover.team} team queue"
            if target is None
            else handover.reps.get(target, target)
        )
        leads = "1 open lead" if moved == 1 else f"{moved} open leads"
        return f"{username!r} is now inactive: they can no longer log in." + (
            f" {leads} moved to {where}." if moved else ""
        )

    save(lambda s: deactivate_user(s, actor=actor, username=username, leads_to=target), said)


def _show_end_logins(actor: Actor, user: UserRow) -> None:
    """Draw the button that ends every login of `user` (a lost laptop, a shared screen)."""
    if st.button(
        "End all logins",
        key=f"end_logins_{user.username}",
        help=f"Every browser where {plain(user.username)} is logged in asks them to log in "
        "again at their next click.",
    ):
        save(
            lambda s: end_logins(s, actor=actor, username=user.username),
            f"Ended every login of {user.username!r}: each of their open tabs asks them to "
            "log in again.",
        )


def show_create_team(actor: Actor) -> None:
    """Draw the form that adds a team."""
    with st.form("create_team", clear_on_submit=True):
        name = st.text_input("Team name")
        if st.form_submit_button("Add team"):
            save(
                lambda s: create_team(s, actor=actor, name=name),
                f"Added team {name.strip()!r}. Assign people to it under 'Change a user'.",
            )


def show_crm_link(actor: Actor) -> None:
    """Draw the CRM link template field: reps' "Open in CRM" link for a lead with an
    external id (empty: no link)."""
    with reading() as session:
        current = crm_template(session)
    with st.form("crm_link"):
        template = st.text_input(
            "CRM link template",
            value=current,
            placeholder="https://crm.example.com/leads/{external_id}",
            help="The address of a lead's record in your CRM, with {external_id} where the "
            "lead's CRM id goes. Leave it empty for no link.",
        )
        if st.form_submit_button("Save CRM link"):
            save(
                lambda s: save_crm_template(s, actor=actor, template=template),
                lambda saved: (
                    "Saved the CRM link: reps see “Open in CRM” on leads with a CRM id."
                    if saved
                    else "CRM links are off: the template is empty."
                ),
            )
