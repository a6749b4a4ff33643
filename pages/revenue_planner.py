"""Revenue planner: from a revenue goal back to the MQLs needed each month, into an SLA draft."""

import streamlit as st

from leaddash.ui.login import current_actor
from leaddash.ui.planner import (
    read_measured,
    show_conversions,
    show_goal,
    show_plan,
    show_window,
)
from leaddash.ui.seam import show_flash

actor = current_actor()
st.title("Revenue planner")
st.caption(
    "Revenue goal ÷ average deal size ÷ win rate ÷ each stage's conversion = the MQLs "
    "marketing must deliver each month. Conversions are measured on past cohorts; "
    "override any you expect to change."
)
show_flash()
window = show_window()
measured = read_measured(actor, window)
goal = show_goal(measured)
st.subheader("Stage conversions")
conversions = show_conversions(measured, window)
show_plan(actor, goal, conversions, measured)
