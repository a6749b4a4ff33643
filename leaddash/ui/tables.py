"""Tables as people read them on the dashboards: "—" for no value (never None or NaN),
thousands separators, rates in per cent, months as "June 2026", and short whole headers."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import streamlit as st

from leaddash.charts.maturing import month_label

NOTHING = "—"


def cell(value: Any, kind: str = "") -> str:
    """Return one value as text: kind "%" a rate, "1" one decimal, "month" a month, else a
    count with thousands separators (or the value as it is); "—" when there is none."""
    if value is None or (not isinstance(value, str) and bool(pd.isna(value))):
        return NOTHING
    if kind == "month":
        return month_label(value)
    if kind == "%":
        return f"{float(value):.1%}" if float(value) < 0.1 else f"{float(value):.0%}"
    if kind == "1":
        return f"{float(value):,.1f}"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float) or pd.api.types.is_number(value):
        number = float(value)
        return f"{number:,.0f}" if number.is_integer() else f"{number:,.1f}"
    return str(value)


def readable(
    frame: pd.DataFrame,
    headers: Mapping[str, str],
    kinds: Mapping[str, str] | None = None,
) -> pd.DataFrame:
    """Return the columns named in `headers` (in its order) under those headers, every cell
    as text by its kind in `kinds` (see `cell`)."""
    kinds = kinds or {}
    return pd.DataFrame(
        {
            header: [cell(v, kinds.get(column, "")) for v in frame[column]]
            for column, header in headers.items()
            if column in frame.columns
        }
    )


def show_table(
    frame: pd.DataFrame,
    headers: Mapping[str, str],
    kinds: Mapping[str, str] | None = None,
    *,
    wide: Iterable[str] = (),
) -> None:
    """Draw the table readable (see `readable`), headers whole: the `wide` ones get a
    large column, the rest fit their contents."""
    shown = readable(frame, headers, kinds)
    config = {
        h: st.column_config.TextColumn(h, width="large" if h in set(wide) else None)
        for h in shown.columns
    }
    st.dataframe(shown, hide_index=True, column_config=config, width="stretch")
