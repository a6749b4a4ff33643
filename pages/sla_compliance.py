"""SLA compliance: did marketing deliver the leads it promised, and did sales act on them in
time? Each target met or missed is attributed to the side that owns it."""

import streamlit as st

from leaddash.ui.filters import filter_bar
from leaddash.ui.login import current_actor
from leaddash.ui.sla_compliance import (
    show_breaches,
    show_group_scorecards,
    show_month_scorecard,
)
from leaddash.ui.speed import show_speed

actor = current_actor()
st.title("SLA compliance")
st.caption(
    "Did marketing deliver the MQLs it promised, and did sales touch and decide them "
    "in time? Each missed target is put on the side that owns it."
)
filters = filter_bar(actor, "sla_compliance")
st.header("Scorecard by month")
show_month_scorecard(actor, filters)
st.header("Speed-to-lead")
show_speed(actor, filters)
st.header("Per team and per rep")
frames = show_group_scorecards(actor, filters)
st.header("The leads behind the misses")
show_breaches(actor, filters, frames)
