"""Every CSV LeadDash writes goes through here, so no cell runs as a spreadsheet formula.

A text cell that Excel, LibreOffice or Google Sheets would read as a formula — it starts
with =, +, -, @, a tab or a carriage return, or the full-width ＝ ＋ － ＠ that some of them
fold to those — gets a leading single quote (OWASP's advice against CSV injection): lead
names, companies, notes, titles, team and source names come from outside and must never
run on a colleague's machine. Numbers stay numbers: a numeric cell, or text that is a plain
number such as "-5" or "-2.5" (a spreadsheet reads it as that number and runs nothing), is
left as it is.

`frame_to_csv` writes the files people download (UTF-8 with a byte-order mark, so Excel
shows accented names right and CRM importers, which skip the mark, read them too; times
ISO 8601 in UTC); `rows_to_csv` writes a plain table of rows as text.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from typing import Any

import pandas as pd

ENCODING = "utf-8-sig"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\uff1d", "\uff0b", "\uff0d", "\uff20")
PLAIN_NUMBER = re.compile(r"-?(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][-+]?\d+)?")


def defuse(value: Any) -> Any:
    """Return `value`, with a leading quote when it is text a spreadsheet would run."""
    if (
        isinstance(value, str)
        and value.startswith(FORMULA_STARTS)
        and not PLAIN_NUMBER.fullmatch(value)
    ):
        return "'" + value
    return value


def defused_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a copy of `frame` with every cell and column name defused and times written
    as ISO 8601 UTC (…Z)."""
    out = frame.copy()
    for column in out.columns:
        if isinstance(out[column].dtype, pd.DatetimeTZDtype):
            out[column] = out[column].dt.strftime("%Y-%m-%dT%H:%M:%SZ")
    out = out.map(defuse)
    out.columns = [defuse(c) for c in out.columns]
    return out


def frame_to_csv(frame: pd.DataFrame) -> bytes:
    """Return the frame as CSV bytes to download: BOM, CRLF lines, formulas defused."""
    return defused_frame(frame).to_csv(index=False, lineterminator="\r\n").encode(ENCODING)


def rows_to_csv(header: Sequence[Any], rows: Iterable[Sequence[Any]]) -> str:
    """Return a header and rows as CSV text (LF lines), every cell defused."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([defuse(v) for v in header])
    writer.writerows([defuse(v) for v in row] for row in rows)
    return buffer.getvalue()
