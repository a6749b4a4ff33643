"""Feedback to marketing: why sales turns leads down, by source, campaign, clause and month."""

import streamlit as st

from leaddash.ui.feedback import show_feedback_page
from leaddash.ui.login import current_actor

actor = current_actor()
st.title("Feedback to marketing")
st.caption(
    "Which sources, campaigns and definition rules bring the leads sales turns down, "
    "and why — so marketing can fix the source or the definition."
)
show_feedback_page(actor)
