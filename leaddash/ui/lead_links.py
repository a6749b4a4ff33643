"""Links to the lead page from any table that lists leads: the cell holds the page's
address with the lead's name after a '#', and the column shows the name."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import streamlit as st

LEAD_PAGE = "lead"


def lead_links(ids: Iterable[Any], names: Iterable[Any]) -> list[str]:
    """Return the lead page's address of each lead ("lead?id=12#Ann Lee"), for a column
    drawn by `link_column`."""
    return [
        f"{LEAD_PAGE}?id={int(i)}#{n or f'Lead {int(i)}'}" for i, n in zip(ids, names, strict=True)
    ]


def link_column(label: str = "Lead") -> Any:
    """Return the column config showing each lead's name, opening its page when clicked."""
    return st.column_config.LinkColumn(
        label, display_text=r"#(.+)$", help="Opens the lead's own page"
    )
