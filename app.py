"""LeadDash entry point: page config, login, and navigation built from the user's role."""

import streamlit as st

from leaddash.errors import ConfigError
from leaddash.ui.login import authenticator, login_navigation, restored_actor
from leaddash.ui.nav import navigation_for
from leaddash.ui.resources import engine, settings

st.set_page_config(page_title="LeadDash", page_icon=":material/handshake:", layout="wide")

try:
    config = settings()
    config.require_cookie_key()
    engine()
except ConfigError as exc:
    st.error(exc.message, icon=":material/database:")
    st.stop()

auth = authenticator(config)
actor = restored_actor(auth)
if actor is None:
    login_navigation(auth, config)
    st.stop()

with st.sidebar:
    st.caption(f"Signed in as **{actor.name}** · {actor.role.replace('_', ' ')}")
    auth.logout("Log out", location="sidebar")

navigation_for(actor.role).run()
