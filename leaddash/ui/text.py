"""Text people typed or imported, shown inside Markdown exactly as they typed it.

Streamlit draws st.markdown, st.caption, st.write, the alerts, toasts and headings, widget
labels and help, tab names, metrics, st.table's cells and the options of radios and pills
as GitHub-flavoured Markdown. A lead called "[click](http://evil.example)" would become a
link, "**x**" bold, ":material/home:" an icon. Escaping each Markdown mark with a backslash
is not enough: GitHub's autolinks ("www.evil.example", "http://evil.example",
"bob@evil.example") are found in the text *after* the escapes are read, so they still
turn into live links. `plain` escapes every mark and also puts an invisible word joiner
(U+2060) where an autolink or a ":shortcode:" would start: after a ":" or an "@" that a
character follows, and between "www" and its ".". The reader sees exactly what was typed.

The app's own formatters live here too: `when` and `person_role` return app-made text (a
timestamp, a role), which the guard counts as safe; `bare_title` returns a title people
typed, so what it returns still goes through `plain`.

Every page passes user strings through `plain` (tests/security/markdown_guard.py checks
that no Streamlit call draws an unescaped value). Where a value can be shown whole,
st.text, st.code and st.dataframe draw text as text and need no escaping.
"""

from __future__ import annotations

import re
from datetime import datetime

import pandas as pd

from leaddash.core.times import as_utc

WORD_JOINER = "\u2060"
_PUNCTUATION = re.compile(r"([\\`*_{}\[\]()#+\-.!|~<>$:&=^\"'])")
# Where an autolink or a shortcode would start: after ":" or "@" before a character, and
# between "www" and the "." after it (any case, as GitHub reads them).
_LINK_STARTS = re.compile(r"(?<=[:@])(?=\S)|(?i:(?<=www))(?=\.)")


def plain(text: str) -> str:
    """Return `text` escaped so Markdown (st.markdown, st.error, a label …) shows it
    literally: no link, emphasis, heading, icon or HTML, and no live bare address."""
    joined = _LINK_STARTS.sub(WORD_JOINER, text)
    return _PUNCTUATION.sub(r"\\\1", joined).replace("\n", "  \n")


def plain_table(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` for st.table (which draws its cells as Markdown): every
    text cell, column name and index label passed through `plain`."""

    def escaped(value: object) -> object:
        return plain(value) if isinstance(value, str) else value

    shown = frame.map(escaped)
    shown.columns = shown.columns.map(escaped)
    shown.index = shown.index.map(escaped)
    if shown.index.name is not None:
        shown.index.name = escaped(shown.index.name)
    return shown


def when(moment: datetime | None) -> str:
    """Return a moment as a short UTC timestamp, or an empty string."""
    return f"{as_utc(moment):%Y-%m-%d %H:%M} UTC" if moment else ""


def person_role(role: str) -> str:
    """Return a role as people say it: sales_leader → sales leader."""
    return role.replace("_", " ")


def bare_title(number: int, title: str) -> str:
    """Return a version's title without a leading "v3 — " that repeats its number."""
    return re.sub(rf"^v{number}\s*[—–:·-]\s*", "", title) or title
