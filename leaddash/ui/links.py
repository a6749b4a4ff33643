"""Widget choices kept in the page's address (st.query_params): a reload keeps them, and a
copied link opens the same view.

Each run a page calls `follow_link` before drawing its widgets and `keep_in_link` after.
While the person clicks, the widgets lead and the address follows them. When the address
holds something else than the page last put there (a new session from a reload or a link,
a step back in the browser), the address leads: each widget takes the address's choice, or
its default where the address names none or one the page does not offer; what was left out
comes back as a note, never as an error.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any, Protocol

import streamlit as st

from leaddash.ui.text import plain


@dataclass(frozen=True)
class LeftOut:
    """A value of the address a page could not use: which filter, what it said, and why."""

    name: str
    text: str
    why: str


class Linked(Protocol):
    """A widget (at session-state `key`) whose choice is kept under `params` of the address."""

    @property
    def key(self) -> str: ...

    @property
    def default(self) -> Any: ...

    @property
    def params(self) -> tuple[str, ...]: ...

    def from_link(self, given: Mapping[str, str]) -> tuple[Any, list[LeftOut]]:
        """Return the widget's value the address asks for, and what it could not use."""
        ...

    def to_link(self, value: Any) -> dict[str, str]:
        """Return the address's parameters for `value` (none for the default)."""
        ...


@dataclass(frozen=True)
class Choice:
    """One of `values`, kept under `param` as its text (str(value)); `default` when none."""

    param: str
    key: str
    name: str
    values: Collection[Any]
    default: Any = None

    @property
    def params(self) -> tuple[str, ...]:
        return (self.param,)

    def from_link(self, given: Mapping[str, str]) -> tuple[Any, list[LeftOut]]:
        text = given.get(self.param)
        if text is None:
            return self.default, []
        found = [value for value in self.values if str(value) == text]
        if found:
            return found[0], []
        return self.default, [LeftOut(self.name, text, "not one of the choices here")]

    def to_link(self, value: Any) -> dict[str, str]:
        return {} if value == self.default or value is None else {self.param: str(value)}


@dataclass(frozen=True)
class DateRange:
    """A date_input range kept as `from` and `to` (ISO dates); only `from`: open-ended."""

    key: str
    default: tuple[date, date]
    params: tuple[str, ...] = ("from", "to")

    def from_link(self, given: Mapping[str, str]) -> tuple[Any, list[LeftOut]]:
        texts = {p: given[p] for p in self.params if p in given}
        days = {p: _day(text) for p, text in texts.items()}
        bad = [LeftOut(p, t, "not a date like 2026-03-31") for p, t in texts.items() if not days[p]]
        start, end = days.get("from"), days.get("to")
        if bad or not texts:
            return self.default, bad
        if end is None:
            return (start,), []
        start = start or self.default[0]
        if start > end:
            said = f"{start.isoformat()} to {end.isoformat()}"
            return self.default, [LeftOut("dates", said, "the start is after the end")]
        return (start, end), []

    def to_link(self, value: Any) -> dict[str, str]:
        picked = tuple(value or ())
        if picked == tuple(self.default) or not picked:
            return {}
        return dict(zip(self.params, (day.isoformat() for day in picked), strict=False))


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


def _link_key(page: str) -> str:
    return f"{page}_link"


def _given(fields: Sequence[Linked]) -> dict[str, str]:
    return {p: st.query_params[p] for f in fields for p in f.params if p in st.query_params}


def follow_link(page: str, fields: Sequence[Linked]) -> list[LeftOut]:
    """Before the widgets of `page` are drawn: when the address holds other choices than the
    page last put there, set each widget to the address's; return what it could not use.
    A widget with no value yet starts at its default."""
    given = _given(fields)
    left_out: list[LeftOut] = []
    if given != st.session_state.get(_link_key(page)):
        for field in fields:
            value, problems = field.from_link(given)
            st.session_state[field.key] = value
            left_out += problems
    for field in fields:
        st.session_state.setdefault(field.key, field.default)
    return left_out


def keep_in_link(page: str, fields: Sequence[Linked]) -> None:
    """After the widgets of `page` are drawn: put their choices in the address (a default
    leaves its parameter out) and remember what was put there."""
    wanted: dict[str, str] = {}
    for field in fields:
        wanted |= field.to_link(st.session_state.get(field.key, field.default))
    for param in (p for field in fields for p in field.params):
        if param not in wanted:
            if param in st.query_params:
                del st.query_params[param]
        elif st.query_params.get(param) != wanted[param]:
            st.query_params[param] = wanted[param]
    st.session_state[_link_key(page)] = wanted


def show_left_out(left_out: Sequence[LeftOut]) -> None:
    """Say, in one short note, which values of the link were not used and why."""
    if not left_out:
        return
    parts = "; ".join(f"{p.name} “{p.text}” ({p.why})" for p in left_out)
    said = "Part of this link could not be used, so those filters start from their defaults: "
    st.info(plain(f"{said}{parts}."), icon=":material/link_off:")


def kept_tabs(labels: Sequence[str], key: str = "tab") -> Sequence[Any]:
    """Return st.tabs over `labels` that keep the chosen tab across the reruns an action
    causes and in the address (?tab=Outbox), so a reload opens the same tab."""
    return st.tabs(list(labels), key=key, bind="query-params")
