"""Home: what waits for the person signed in (the inbox), then a rep's open leads and
what is overdue, or for everyone else this month by stage."""

import streamlit as st

from leaddash.ui.home import show_month_by_stage, show_rep_queue
from leaddash.ui.inbox import show_inbox
from leaddash.ui.login import current_actor
from leaddash.ui.notifications import show_my_notifications
from leaddash.ui.seam import show_flash
from leaddash.ui.text import plain

actor = current_actor()
st.title(f"Hello, {plain(actor.name.split()[0] if actor.name else actor.username)}")
show_flash()
show_inbox(actor)
st.divider()
if actor.role == "rep":
    show_rep_queue(actor)
else:
    show_month_by_stage(actor)
with st.expander("Notifications"):
    show_my_notifications(actor)
