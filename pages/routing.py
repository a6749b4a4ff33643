"""Routing: the rules that send new MQLs to teams, and who in each team takes leads today."""

import streamlit as st

from leaddash.ui.login import current_actor
from leaddash.ui.routing import show_availability, show_rules, show_sample
from leaddash.ui.seam import show_flash

actor = current_actor()
st.title("Routing")
st.caption(
    "New MQLs go to a team by these rules, then to its reps in turn, skipping reps "
    "who are away or at their daily cap."
)
show_flash()
show_rules(actor)
show_sample()
show_availability(actor)
