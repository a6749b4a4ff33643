"""Drawing helpers for the admin page; every write goes through leaddash.users."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from leaddash.audit import Actor
from leaddash.logins import end_logins
from leaddash.models import Role
from leaddash.ui.errors import save
from leaddash.ui.resources import reading
from leaddash.users import (
    UserRow,
    create_team,
    create_user,
    list_users,
    set_active,
    set_password,
    team_names,
    update_user,
)

ROLES = [r.value for r in Role]
NO_TEAM = "(no team)"


def _teams() -> list[str]:
    with reading() as session:
        return team_names(session)


def show_user_list(actor: Actor) -> list[UserRow]:
    """Draw the table of users and return the rows."""
    with reading() as session:
        users = list_users(session, actor=actor)
    frame = pd.DataFrame([u.__dict__ for u in users])
    st.dataframe(
        frame[["username", "name", "email", "role", "team", "is_active"]], hide_index=True,
        column_config={"username": "Username", "name": "Name", "email": "Email", "role": "Role",
                       "team": "Team", "is_active": st.column_config.CheckboxColumn("Active")},
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
        password = st.text_input("First password", type="password",
                                 help="At least 10 characters; share it with the person.")
        if st.form_submit_button("Add user", type="primary"):
            save(lambda s: create_user(
                s, actor=actor, username=username.strip(), role=role, password=password,
                name=name.strip() or None, email=email.strip() or None,
                team=None if team == NO_TEAM else team,
            ), f"Added {role.replace('_', ' ')} {username.strip()!r}. They can log in now.")


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
            save(lambda s: update_user(
                s, actor=actor, username=user.username, expected_version=user.version,
                role=role, team="" if team == NO_TEAM else team,
            ), f"Saved {user.username!r}: {role.replace('_', ' ')}, {team}.")
    _show_password_and_status(actor, user)
    _show_end_logins(actor, user)


def _show_password_and_status(actor: Actor, user: UserRow) -> None:
    with st.form(f"reset_pw_{user.username}", clear_on_submit=True):
        password = st.text_input("New password", type="password")
        if st.form_submit_button("Reset password"):
            save(lambda s: set_password(s, actor=actor, username=user.username,
                                        password=password),
                 f"Password of {user.username!r} reset. Tell them the new one in person.")
    label = "Deactivate" if user.is_active else "Reactivate"
    if st.button(f"{label} {user.username}", key=f"toggle_{user.username}"):
        state = "inactive: they can no longer log in" if user.is_active else "active again"
        save(lambda s: set_active(s, actor=actor, username=user.username,
                                  active=not user.is_active), f"{user.username!r} is now {state}.")


def _show_end_logins(actor: Actor, user: UserRow) -> None:
    """Draw the button that ends every login of `user` (a lost laptop, a shared screen)."""
    if st.button("End all logins", key=f"end_logins_{user.username}",
                 help=f"Every browser where {user.username} is logged in asks them to log in "
                      "again at their next click."):
        save(lambda s: end_logins(s, actor=actor, username=user.username),
             f"Ended every login of {user.username!r}: each of their open tabs asks them to "
             "log in again.")


def show_create_team(actor: Actor) -> None:
    """Draw the form that adds a team."""
    with st.form("create_team", clear_on_submit=True):
        name = st.text_input("Team name")
        if st.form_submit_button("Add team"):
            save(lambda s: create_team(s, actor=actor, name=name),
                 f"Added team {name.strip()!r}. Assign people to it under 'Change a user'.")
