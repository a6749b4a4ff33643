"""Bytes of an uploaded or given CSV file → a table of text cells, or a clear refusal.

Every cell stays text (no type guessing): the checks decide what a value means and say
which row is wrong, by the number a spreadsheet shows: blank lines and line breaks inside
quoted cells count as a spreadsheet counts them. A row with fewer values than the header
(a line cut off) is kept and named in `short_rows`, for the checks to report; one with more
refuses the file, as its values cannot be matched to columns. Decoding (and refusing
binary data): see decoding; a binary file that slips through is caught by a header no
export would have. The bounds on columns, names and cells (limits) are checked before
anything else reads the rows: the header before the rows are parsed, each record's number
of values before pandas sees them.
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from leaddash.errors import InvalidInput
from leaddash.imports.decoding import EXPORT_AS_CSV, SNIFF_BYTES, decode, not_csv
from leaddash.imports.limits import HEADER_READ_CHARS, NUL, check_cells, check_header
from leaddash.imports.records import field_counts

MAX_BYTES = 100 * 1024 * 1024  # an upload through the page
# A file on the server's own disk, given to the command line by its operator.
LOCAL_MAX_BYTES = 1024 * 1024 * 1024
FIRST_DATA_ROW = 2  # the header is row 1
DELIMITERS = {",": "commas", ";": "semicolons", "\t": "tabs", "|": "vertical bars (|)"}
OTHER_SEPARATORS = {":": "colons", " ": "spaces", "~": "tildes", "^": "carets"}
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufffd]")
_FIELDS_MISMATCH = re.compile(r"Expected (\d+) fields in line (\d+), saw (\d+)")
_BLANK_LINES = re.compile(r"(?:[ \t]*(?:\r\n|\r|\n))*")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


@dataclass(frozen=True)
class Table:
    """A file's rows as text cells ("" when empty), with what was detected about it.

    The frame's index is each row's number as a spreadsheet shows it, less FIRST_DATA_ROW
    (blank lines are left out but keep their numbers); `short_rows` holds (row number,
    values it has) for each row with fewer values than the header, its last cells empty.
    """

    filename: str
    frame: pd.DataFrame
    encoding: str
    delimiter: str
    short_rows: tuple[tuple[int, int], ...] = ()

    @property
    def columns(self) -> list[str]:
        """Return the file's column names, in file order."""
        return list(self.frame.columns)


def read_table(data: bytes, filename: str, max_bytes: int = MAX_BYTES) -> Table:
    """Return the rows of CSV `data`, or raise InvalidInput saying what is wrong with it."""
    check_size(len(data), filename, max_bytes)
    text, encoding = decode(data, filename)
    start = _header_start(text)
    above, body = len(_LINE_BREAK.findall(text, 0, start)), text[start:]
    delimiter = detect_delimiter(_header_line(body, filename))
    check_header(
        body[:HEADER_READ_CHARS], delimiter, filename, whole=len(body) <= HEADER_READ_CHARS
    )
    counts = field_counts(_raw_body(data, body, encoding, start), delimiter)
    _refuse_longer_rows(counts, filename, above)
    frame = _parse(body, delimiter, filename, above)
    frame, short = _numbered(frame, counts, filename, above)
    if frame.empty:
        raise InvalidInput(
            f"{filename} has a header row but no rows of data under it. "
            "Export the file again with its rows."
        )
    check_cells(frame, filename, FIRST_DATA_ROW, has_nul=NUL in body)
    return Table(filename, frame, encoding, delimiter, short)


def check_size(size: int, filename: str, max_bytes: int) -> None:
    """Refuse a file of `size` bytes that is empty or over `max_bytes`."""
    if not size:
        raise InvalidInput(
            f"{filename} is empty (0 bytes): the export did not finish or the "
            f"wrong file was chosen. {EXPORT_AS_CSV}"
        )
    if size > max_bytes:
        raise InvalidInput(
            f"{filename} is {size / 1024 / 1024:,.0f} MB; the limit is "
            f"{max_bytes // 1024 // 1024:,} MB. Split it into smaller files and "
            "import them one after the other."
        )


def _header_start(text: str) -> int:
    """Return where the header line starts, after the blank lines above it."""
    blank = _BLANK_LINES.match(text)
    return blank.end() if blank else 0


def _raw_body(data: bytes, body: str, encoding: str, start: int) -> bytes | memoryview:
    """Return the bytes of `body` in an encoding whose delimiters, quotes and line breaks
    are ASCII bytes: the file's own (its BOM and blank lines on top, one byte each, left
    out), or UTF-8 for a UTF-16 file."""
    if encoding.startswith("utf-16"):
        return body.encode("utf-8")
    return memoryview(data)[start + (len(codecs.BOM_UTF8) if encoding == "utf-8-sig" else 0) :]


def _header_line(body: str, filename: str) -> str:
    header = next(iter(body[:SNIFF_BYTES].splitlines()), "")
    if not header.strip():
        raise InvalidInput(
            f"{filename} holds no rows, not even a header (only blank lines). {EXPORT_AS_CSV}"
        )
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


def _parse(body: str, delimiter: str, filename: str, above: int) -> pd.DataFrame:
    """Return every record under the header as a row, blank lines included (they keep
    the rows' numbers in step with the file's)."""
    try:
        frame = pd.read_csv(
            io.StringIO(body),
            sep=delimiter,
            dtype=str,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
        )
    except pd.errors.ParserError as exc:
        raise InvalidInput(_parser_message(str(exc), filename, above)) from None
    except pd.errors.EmptyDataError:
        raise InvalidInput(f"{filename} holds no rows. {EXPORT_AS_CSV}") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.fillna("")


def _refuse_longer_rows(counts: np.ndarray, filename: str, above: int) -> None:
    """Refuse the file when a record holds more values than the header (before pandas
    reads it: a first row of 100,000 values would become a 100,000-level index)."""
    longer = np.flatnonzero(counts[1:] > counts[0])
    if len(longer):
        at = longer[0]
        raise InvalidInput(
            _too_many(filename, above + FIRST_DATA_ROW + at, counts[1:][at], counts[0])
        )


def _numbered(
    frame: pd.DataFrame, counts: np.ndarray, filename: str, above: int
) -> tuple[pd.DataFrame, tuple[tuple[int, int], ...]]:
    """Return the frame without its blank lines, indexed by row number less
    FIRST_DATA_ROW, and its short rows as (row number, values)."""
    width, values = len(frame.columns), counts[1:]
    if len(values) != len(frame):
        raise InvalidInput(
            f"{filename} could not be read as CSV (its rows could not be counted). {EXPORT_AS_CSV}"
        )
    first = above + FIRST_DATA_ROW  # the row of the first record under the header
    longer = np.flatnonzero(values > width)
    if len(longer):
        raise InvalidInput(_too_many(filename, first + longer[0], values[longer[0]], width))
    blank = np.zeros(len(frame), dtype=bool)
    lone = np.flatnonzero(values <= 1)
    blank[lone] = (frame.iloc[lone, 0].str.strip() == "").to_numpy()
    short = np.flatnonzero((values < width) & ~blank)
    kept = frame[~blank] if blank.any() else frame  # each record keeps its position
    return (
        kept.set_axis(kept.index + above),
        tuple(zip((short + first).tolist(), values[short].tolist(), strict=True)),
    )


def _parser_message(detail: str, filename: str, above: int) -> str:
    found = _FIELDS_MISMATCH.search(detail)
    if not found:
        return f"{filename} could not be read as CSV ({detail.strip()}). {EXPORT_AS_CSV}"
    expected, line, saw = (int(n) for n in found.groups())
    return _too_many(filename, line + above, saw, expected)


def _too_many(filename: str, line: int, saw: int, expected: int) -> str:
    return (
        f"Line {line} of {filename} has {saw} values but the header has {expected} "
        "columns. A value there probably holds the delimiter without quotes around it, "
        "or a quote is not closed: fix that line and retry."
    )


def separator_hint(columns: list[str]) -> str:
    """Return a sentence suggesting the delimiter when the header was read as one column."""
    if len(columns) != 1:
        return ""
    name = columns[0]
    for mark, words in OTHER_SEPARATORS.items():
        if mark in name.strip():
            usable = ", ".join(DELIMITERS.values())
            return (
                f" The header was read as one column, so the file seems to be separated "
                f"by {words}: save it separated by {usable} instead."
            )
    return ""
