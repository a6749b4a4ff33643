"""Monthly lead review: the month's key numbers against last month, charts, downloads."""

import streamlit as st

from leaddash.ui.login import current_actor
from leaddash.ui.review import (
    load_review,
    pick_month,
    scope_caption,
    show_downloads,
    show_review,
)
from leaddash.ui.seam import shown_errors

actor = current_actor()
st.title("Monthly lead review")
st.caption(
    "How did the month go against the SLA, and against last month? MQLs and their "
    "quality, how fast sales acted, where leads left the funnel and why sales turned "
    "them down — ready to share as a file."
)
scope_caption(actor)
month = pick_month()
with shown_errors():
    report = load_review(actor, month)
    show_downloads(actor, month)
    show_review(report)
