"""Disputes: marketing challenges a rejection or disqualification; a sales leader rules."""

import streamlit as st

from leaddash.auth import can
from leaddash.ui.disputes import (
    NO_CLOSED,
    NO_OPEN,
    read_disputes,
    show_disputes,
    show_raise,
    show_ruling,
)
from leaddash.ui.login import current_actor
from leaddash.ui.seam import show_flash

actor = current_actor()
st.title("Disputes")
st.caption(
    "When marketing thinks sales turned a good lead down, it disputes the decision "
    "with a note; a sales leader upholds or overturns it. Both views stay on record."
)
show_flash()
open_disputes = read_disputes(actor, closed=False)
names = [f"Open ({len(open_disputes)})", "Closed"]
if can(actor, "dispute_decision"):
    names.append("Raise a dispute")
tabs = st.tabs(names)
with tabs[0]:
    show_disputes(open_disputes, NO_OPEN)
    show_ruling(actor, open_disputes)
with tabs[1]:
    show_disputes(read_disputes(actor, closed=True), NO_CLOSED)
if len(tabs) > 2:
    with tabs[2]:
        show_raise(actor)
