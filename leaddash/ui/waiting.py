"""The box both queue pages show about leads waiting unassigned in a team queue."""

from __future__ import annotations

import streamlit as st
from streamlit.delta_generator import DeltaGenerator


def waiting_box(waiting: int | None, *, queue: str, hint: str, empty: str) -> DeltaGenerator | None:
    """Draw "N leads wait unassigned in `queue`." and `hint` in a box; return the column
    where the caller puts its button (None, after saying `empty`, when nothing waits)."""
    if not waiting:
        if waiting == 0:
            st.caption(empty)
        return None
    leads = "1 lead waits" if waiting == 1 else f"{waiting} leads wait"
    box = st.container(border=True)
    text, button = box.columns([3, 1], vertical_alignment="center")
    text.markdown(f"**{leads} unassigned in {queue}.** {hint}")
    return button
