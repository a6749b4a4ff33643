"""Home: a rep sees their open leads and what is overdue; others see this month by stage."""

import streamlit as st

from leaddash.ui.home import show_month_by_stage, show_rep_queue
from leaddash.ui.login import current_actor
from leaddash.ui.notifications import show_my_notifications
from leaddash.ui.seam import show_flash
from leaddash.ui.text import plain

actor = current_actor()
st.title(f"Hello, {plain(actor.name.split()[0] if actor.name else actor.username)}")
show_flash()
if actor.role == "rep":
    show_rep_queue(actor)
else:
    show_month_by_stage(actor)
with st.expander("Notifications"):
    show_my_notifications(actor)
