"""Admin: create users, change roles and teams, deactivate, reset passwords, add teams, set
the CRM link."""

import streamlit as st

from leaddash.ui.admin import (
    USER_TABS,
    show_create_team,
    show_create_user,
    show_crm_link,
    show_edit_user,
    show_user_list,
)
from leaddash.ui.links import kept_tabs
from leaddash.ui.login import current_actor
from leaddash.ui.seam import show_flash

actor = current_actor()
st.title("Users and teams")
show_flash()
users = show_user_list(actor)
add_tab, edit_tab, team_tab, crm_tab = kept_tabs(USER_TABS)
with add_tab:
    show_create_user(actor)
with edit_tab:
    show_edit_user(actor, users)
with team_tab:
    show_create_team(actor)
with crm_tab:
    show_crm_link(actor)
