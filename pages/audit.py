"""Audit trail: who changed what, when, and the values before and after."""

import streamlit as st

from leaddash.ui.audit import read_filter, show_download, show_trail
from leaddash.ui.login import current_actor

actor = current_actor()
st.title("Audit trail")
st.caption(
    "Every change anyone made in LeadDash, newest first: who, when, what, on which record, "
    "and the values before → after."
)
where = read_filter(actor)
show_trail(actor, where)
show_download(actor, where)
