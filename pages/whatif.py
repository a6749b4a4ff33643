"""What-if replay: try any lead definition version on past leads, next to another version."""

import streamlit as st

from leaddash.ui.login import current_actor
from leaddash.ui.whatif import read_versions, run_replay, show_choice, show_result

actor = current_actor()
st.title("What-if replay")
st.caption(
    "Score past leads with any version of the lead definition — a draft, or one "
    "retired — and compare what it would have passed with another version, judged by "
    "what sales really decided on those leads."
)
rows = read_versions(actor)
choice = show_choice(rows)
run = run_replay(actor, choice)
if run is not None:
    show_result(run)
