"""Bytes of an uploaded or given CSV file → a table of text cells, or a clear refusal.

Every cell stays text (no type guessing): the checks decide what a value means and say
which row is wrong. Decoding (and refusing binary data): see decoding; a binary file that
slips through is caught by a header no export would have.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass

import pandas as pd

from leaddash.errors import InvalidInput
from leaddash.imports.decoding import EXPORT_AS_CSV, SNIFF_BYTES, decode, not_csv

MAX_BYTES = 100 * 1024 * 1024
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars (|)"}
OTHER_SEPARATORS = {":": "colons", " ": "spaces", "~": "tildes", "^": "carets"}
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_FIELDS_MISMATCH = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")


@dataclass(frozen=True)
class Table:
    """A file's rows as text cells ("" when empty), with what was detected about it."""

    filename: str
    frame: pd.DataFrame
    encoding: str
    delimiter: str

    @property
    def columns(self) -> list[str]:
        """Return the file's column names, in file order."""
        return list(self.frame.columns)


def read_table(data: bytes, filename: str) -> Table:
    """Return the rows of CSV `data`, or raise InvalidInput saying what is wrong with it."""
    _check_size(data, filename)
    text, encoding = decode(data, filename)
    header = _header_line(text, filename)
    delimiter = detect_delimiter(header)
    frame = _parse(text, delimiter, filename)
    if frame.empty:
        raise InvalidInput(f"{filename} has a header row but no rows of data under it. "
                           "Export the file again with its rows.")
    return Table(filename, frame, encoding, delimiter)


def _check_size(data: bytes, filename: str) -> None:
    if not data:
        raise InvalidInput(f"{filename} is empty (0 bytes): the export did not finish or the "
                           f"wrong file was chosen. {EXPORT_AS_CSV}")
    if len(data) > MAX_BYTES:
        size = len(data) / 1024 / 1024
        raise InvalidInput(f"{filename} is {size:,.0f} MB; the limit is "
                           f"{MAX_BYTES // 1024 // 1024} MB. Split it into smaller files and "
                           "import them one after the other.")


def _header_line(text: str, filename: str) -> str:
    header = next((line for line in text[:SNIFF_BYTES].splitlines() if line.strip()), "")
    if not header:
        raise InvalidInput(f"{filename} holds no rows, not even a header (only blank lines). "
                           f"{EXPORT_AS_CSV}")
    if _UNPRINTABLE.search(header) or not any(ch.isalpha() for ch in header):
        raise not_csv(filename)
    return header


def detect_delimiter(header: str) -> str:
    """Return the delimiter the header line uses most (comma when it has none of them)."""
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _count_outside_quotes(line: str, delimiter: str) -> int:
    try:
        return len(next(csv.reader([line], delimiter=delimiter))) - 1
    except (csv.Error, StopIteration):
        return line.count(delimiter)


def _parse(text: str, delimiter: str, filename: str) -> pd.DataFrame:
    try:
        frame = pd.read_csv(io.StringIO(text), sep=delimiter, dtype=str, na_filter=False,
                            skip_blank_lines=True, engine="c")
    except pd.errors.ParserError as exc:
        raise InvalidInput(_parser_message(str(exc), filename)) from None
    except pd.errors.EmptyDataError:
        raise InvalidInput(f"{filename} holds no rows. {EXPORT_AS_CSV}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.fillna("")


def _parser_message(detail: str, filename: str) -> str:
    found = _FIELDS_MISMATCH.search(detail)
    if not found:
        return f"{filename} could not be read as CSV ({detail.strip()}). {EXPORT_AS_CSV}"
    expected, line, saw = found.groups()
    return (f"Line {line} of {filename} has {saw} values but the header has {expected} "
            "columns. A value there probably holds the delimiter without quotes around it, "
            "or a quote is not closed: fix that line and retry.")


def separator_hint(columns: list[str]) -> str:
    """Return a sentence suggesting the delimiter when the header was read as one column."""
    if len(columns) != 1:
        return ""
    name = columns[0]
    for mark, words in OTHER_SEPARATORS.items():
        if mark in name.strip():
            usable = ", ".join(DELIMITERS.values())
            return (f" The header was read as one column, so the file seems to be separated "
                    f"by {words}: save it separated by {usable} instead.")
    return ""
