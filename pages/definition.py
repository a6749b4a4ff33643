"""Lead definition: what a marketing-qualified lead is, versioned and signed by both sides.

Every role reads it (reps apply it on every first call); marketing, its leader, the sales
leader and admins edit drafts; only the two leaders sign.
"""

import streamlit as st

from leaddash.ui.agreements import DEFINITION, show_agreement
from leaddash.ui.login import current_actor

actor = current_actor()
st.title("Lead definition")
st.caption("What marketing passes to sales as a qualified lead, as both sides signed it.")
show_agreement(actor, DEFINITION)
