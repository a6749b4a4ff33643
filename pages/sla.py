"""SLA: what marketing delivers and how fast sales acts on it, on the business calendar.

Same versioning and sign-off as the lead definition. Reps do not get this page: their
queue already shows each lead's SLA deadline.
"""

import streamlit as st

from leaddash.ui.agreements import SLA, show_agreement
from leaddash.ui.login import current_actor

actor = current_actor()
st.title("SLA")
st.caption(
    "Marketing's volume and quality commitments, sales' response commitments, "
    "and the business calendar they are measured on."
)
show_agreement(actor, SLA)
