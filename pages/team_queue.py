"""Team queue: a team's open leads, overdue first; reassign; SLA breaches; CSV for the CRM."""

import streamlit as st

from leaddash.ui.login import current_actor
from leaddash.ui.seam import show_flash
from leaddash.ui.team_queue import (
    read_choices,
    read_team_queue,
    show_breaches,
    show_downloads,
    show_filters,
    show_inactive_owners,
    show_reassign,
    show_table,
    show_waiting,
)

actor = current_actor()
st.title("Team queue")
st.caption(
    "Every open lead of the team, the most urgent first. Select leads to give them "
    "to another rep; check the SLA breaches; download CSVs for the CRM."
)
show_flash()
choices = read_choices(actor)
where = show_filters(choices)
# Keyed, so acting from the SLA breaches tab (a rerun) stays on it.
queue_tab, breaches_tab, export_tab = st.tabs(
    ["Queue", "SLA breaches", "Export for CRM"], key="tq_tab", on_change="rerun"
)
with queue_tab:
    show_waiting(actor, where.team_id)
    show_inactive_owners(actor, where.team_id)
    selected = show_table(read_team_queue(actor, where))
    show_reassign(actor, selected, choices)
with breaches_tab:
    show_breaches(actor, where.team_id, choices)
with export_tab:
    show_downloads(actor, where)
