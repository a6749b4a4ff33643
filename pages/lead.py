"""One lead, one page: find a lead, then see everything about it (?id=123 in the address)."""

import streamlit as st

from leaddash.ui.lead_page import asked_id, read_lead, show_lead, show_search
from leaddash.ui.login import current_actor
from leaddash.ui.seam import or_stop

actor = current_actor()
st.title("Lead")
show_search(actor)
lead_id = or_stop(asked_id)
if lead_id is None:
    st.caption("Search above, or open a lead from any table that lists leads.")
    st.stop()
page = read_lead(actor, lead_id)
if page is not None:
    show_lead(page)
