"""What the shared agreement component needs from each document (definition or SLA)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import streamlit as st
from sqlmodel import Session
from streamlit.delta_generator import DeltaGenerator

from leaddash.agreements import VersionRow
from leaddash.core.times import as_utc
from leaddash.models import AgreementStatus, AgreementVersion

Content = dict[str, Any]


@dataclass
class Edited:
    """What an editor read from its widgets: the terms, a slot under each field for its
    error message, and problems found before the terms reach the service."""

    content: Content
    slots: dict[str, DeltaGenerator] = field(default_factory=dict)
    problems: dict[str, str] = field(default_factory=dict)

    def slot(self, name: str) -> None:
        """Leave an empty place right here for the error message of field `name`."""
        self.slots[name] = st.empty()


@dataclass(frozen=True)
class Document:
    """One kind of agreement: how to check, summarize, start, edit and show its terms, and
    what to do in the signing transaction when a version takes effect."""

    kind: str
    name: str
    validate: Callable[[Content], Content]
    summarize: Callable[[Content], str]
    default_content: Callable[[], Content]
    edit: Callable[[Content, str], Edited]
    show: Callable[[Content], None]
    on_activate: Callable[[Session, AgreementVersion], Any] | None = None


def number_field(
    label: str,
    value: float | None,
    key: str,
    *,
    step: float = 1,
    clearable: bool = False,
    **kwargs: Any,
) -> float | None:
    """Draw a number input holding `value` (typed like `step`) and return what it holds.

    A clearable field can be emptied (it returns None), so "not a number" reaches the
    checks instead of being silently replaced by the last value."""
    typed = None if value is None else type(step)(value)
    if "min_value" in kwargs and typed is not None:
        kwargs["min_value"] = min(kwargs["min_value"], typed)
    if not clearable:
        return st.number_input(label, value=typed, step=step, key=key, **kwargs)
    if key not in st.session_state:
        st.session_state[key] = typed
    return st.number_input(label, value=None, step=step, key=key, **kwargs)


def local(moment: datetime, zone: str) -> str:
    """Return a moment as people in `zone` read it: "2027-01-04 09:00 America/New_York"."""
    return f"{as_utc(moment).astimezone(ZoneInfo(zone)):%Y-%m-%d %H:%M} {zone}"


def status_text(row: VersionRow, zone: str) -> str:
    """Return a version's status as lists show it ("signed, starts …" while it waits)."""
    if row.status == AgreementStatus.SCHEDULED and row.starts_at:
        return f"signed, starts {local(row.starts_at, zone)}"
    return str(row.status)
