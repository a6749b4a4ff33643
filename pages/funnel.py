"""Funnel: how leads move from inquiry to won, where and why they leave, how fast they move,
how many deals are won."""

import streamlit as st

from leaddash.ui.funnel import show_funnel_page
from leaddash.ui.login import current_actor

actor = current_actor()
st.title("Funnel")
st.caption(
    "How many leads reach each stage, how many go on to the next, where and why the "
    "others stop, how long each step takes, and how many deals are won."
)
show_funnel_page(actor)
