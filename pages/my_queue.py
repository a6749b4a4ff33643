"""My queue: the chosen lead and the answer after the call on top, then the rep's open
leads, overdue first."""

import streamlit as st

from leaddash.ui.login import current_actor
from leaddash.ui.queue import pick_lead, pick_states, read_queue, show_lead, show_queue
from leaddash.ui.queue_actions import show_waiting

actor = current_actor()
st.title("My queue")
lead_area = st.container()
st.divider()
st.caption(
    "Your open leads, the most urgent first. Call, then record the answer: did the "
    "lead meet the agreed definition?"
)
states = pick_states()
leads = read_queue(actor, states)
show_waiting(actor, queue_empty=leads.empty and not states)
show_queue(leads, filtered=bool(states))
with lead_area:
    chosen = pick_lead(leads)
    if chosen is not None:
        show_lead(actor, chosen)
