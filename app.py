"""LeadDash entry point: page config, login, and navigation built from the user's role."""

import streamlit as st

from leaddash.errors import ConfigError
from leaddash.ui.inbox import sidebar_counts
from leaddash.ui.login import (
    deliver_cookie,
    login_navigation,
    logout_button,
    restored_actor,
)
from leaddash.ui.nav import navigation_for
from leaddash.ui.resources import engine, settings
from leaddash.ui.seam import stop_with
from leaddash.ui.text import plain

# An emoji icon is drawn in the page (a data: image); a Material icon would be fetched
# from Google's servers, which the content security policy does not allow.
st.set_page_config(page_title="LeadDash", page_icon="🤝", layout="wide")

try:
    config = settings()
    config.require_cookie_key()
    engine()
except ConfigError as exc:
    stop_with(exc.message, icon=":material/database:")

actor = restored_actor(config)
if actor is None:
    login_navigation(config)
    st.stop()

# Navigation comes before any component, so a reloaded page keeps its URL.
page = navigation_for(actor.role, sidebar_counts(actor))
with st.sidebar:
    st.caption(f"Signed in as **{plain(actor.name)}** · {actor.role.replace('_', ' ')}")
    logout_button()
    deliver_cookie()
page.run()
