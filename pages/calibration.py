"""Rep calibration: does each rep read the agreed lead definition the way their team does?"""

import streamlit as st

from leaddash.ui.calibration import (
    show_calibration,
    show_high_score_disqualified,
    show_reason_mix,
)
from leaddash.ui.filters import filter_bar
from leaddash.ui.login import current_actor

actor = current_actor()
st.title("Rep calibration")
st.caption(
    "Does each rep validate leads the way the rest of their team does? A rep is flagged "
    "when, on 20 or more decisions, their validation rate and the team's are clearly "
    "apart (the 95% intervals do not overlap)."
)
filters = filter_bar(actor, "calibration")
st.header("Validation rate against the rest of the team")
show_calibration(actor, filters)
st.header("Reasons for saying no")
show_reason_mix(actor, filters)
st.header("High-score leads that were disqualified")
st.caption(
    "Leads the definition scored well above the MQL threshold that a rep still turned "
    "down: either the call was wrong, or the scoring needs a look."
)
show_high_score_disqualified(actor, filters)
