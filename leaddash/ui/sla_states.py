"""The SLA state of a lead's milestones as the queues show it, and the filter on it."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from leaddash.core.sla_state import SLA_STATES

STATE_HELP = (
    "Pending: before the warning point. Warning: most of the time to the deadline has "
    "gone (the share the SLA sets). Breached: the deadline passed first. Met: done in "
    "time. Cancelled: the lead left the queue before its deadline. A lead shows when its "
    "first touch or its decision is in a state picked."
)
LABELS = {state: state.capitalize() for state in SLA_STATES}


def pick_sla_states(key: str, where: Any = st) -> tuple[str, ...]:
    """Draw the SLA state multiselect in `where`; return the states picked (none: any)."""
    picked = where.multiselect(
        "SLA state",
        list(SLA_STATES),
        key=key,
        format_func=LABELS.__getitem__,
        placeholder="Any state",
        help=STATE_HELP,
    )
    return tuple(picked)


def state_text(states: pd.Series) -> pd.Series:
    """Return the states as people read them ("—" for a milestone without a deadline)."""
    return states.map(lambda s: LABELS.get(s, "—") if isinstance(s, str) else "—")
