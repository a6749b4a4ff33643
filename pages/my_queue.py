"""My queue: a rep's open leads, overdue first, and the answer after the call."""

import streamlit as st

from leaddash.ui.login import current_actor
from leaddash.ui.queue import pick_states, read_queue, show_lead, show_messages, show_queue
from leaddash.ui.queue_actions import show_waiting

actor = current_actor()
st.title("My queue")
st.caption(
    "Your open leads, the most urgent first. Call, then record the answer: did the "
    "lead meet the agreed definition?"
)
show_messages()
states = pick_states()
leads = read_queue(actor, states)
show_waiting(actor, queue_empty=leads.empty and not states)
chosen = show_queue(leads, filtered=bool(states))
if chosen is not None:
    show_lead(actor, chosen)
