"""Bounds on what an import file may hold, checked before its rows are used for anything.

A CSV file's header is read first, from a bounded slice of the text: more than
MAX_COLUMNS columns or a column name over MAX_NAME_CHARS characters refuse the file before
any row is parsed (a 2 MB file of 200,000 columns once took 1.5 GB to preview). Once the
rows are parsed, every cell of every column is held to MAX_CELL_CHARS characters, and a
NUL character in any cell is refused with its row and column: PostgreSQL cannot store one
in text, and SQLite refuses the same file so both databases agree (a NUL in the header
makes the file binary data: see decoding). Messages quote at most EXCERPT_CHARS characters
of what they name.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterator

import numpy as np
import pandas as pd

from leaddash.errors import InvalidInput

MAX_COLUMNS = 500
MAX_NAME_CHARS = 200
MAX_CELL_CHARS = 10_000
# Room for MAX_COLUMNS quoted names of MAX_NAME_CHARS with their delimiters (101,500
# characters), and below the csv module's own limit on one field (131,072).
HEADER_READ_CHARS = 128_000
EXCERPT_CHARS = 80
NUL = "\x00"
REMOVE_COLUMNS = (
    "Keep the columns LeadDash uses and the custom attributes you want, "
    "remove the others (or export fewer fields from your CRM), and retry."
)


def excerpt(text: str, limit: int = EXCERPT_CHARS) -> str:
    """Return `text` cut for a message: at most `limit` characters, ending in … when cut."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def check_header(head: str, delimiter: str, filename: str, *, whole: bool) -> None:
    """Refuse a header with too many columns, a name too long, or no end within `head`
    (the file's first HEADER_READ_CHARS characters; `whole` when that is all of it)."""
    names, ended = _first_record(head, delimiter)
    complete = ended or whole
    if len(names) > MAX_COLUMNS:
        count = f"{len(names):,}" if complete else f"more than {MAX_COLUMNS:,}"
        raise InvalidInput(
            f"{filename} has {count} columns; at most {MAX_COLUMNS:,} can be "
            f"imported. {REMOVE_COLUMNS}"
        )
    for number, name in enumerate(names, start=1):
        _check_name(name, number, filename)
    if not complete:
        raise InvalidInput(
            f"The header (row 1) of {filename} is longer than "
            f"{HEADER_READ_CHARS:,} characters, more than {MAX_COLUMNS:,} "
            f"column names of up to {MAX_NAME_CHARS} characters take. Check "
            f"that the file is a CSV export with one header row. "
            f"{REMOVE_COLUMNS}"
        )


def _first_record(head: str, delimiter: str) -> tuple[list[str], bool]:
    """Return the first record's values and whether it ended before the end of `head`."""
    stream = io.StringIO(head, newline="")
    used = [0]

    def lines() -> Iterator[str]:
        for line in stream:
            used[0] += len(line)
            yield line

    names = next(csv.reader(lines(), delimiter=delimiter), [])
    return names, used[0] < len(head)


def _check_name(name: str, number: int, filename: str) -> None:
    if len(name.strip()) > MAX_NAME_CHARS:
        raise InvalidInput(
            f"Column {number} of the header (row 1) of {filename} is a name "
            f"of {len(name.strip()):,} characters "
            f"({excerpt(name.strip())!r}); a column name may have at most "
            f"{MAX_NAME_CHARS}. Rename the column and retry."
        )


def check_cells(frame: pd.DataFrame, filename: str, first_row: int, *, has_nul: bool) -> None:
    """Refuse a cell over MAX_CELL_CHARS characters, then (`has_nul`: the text holds one)
    a cell with a NUL character, naming the first one's row (the frame index plus
    `first_row`) and column, and how many more there are."""
    _refuse_first(
        frame,
        _long_cells(frame),
        filename,
        first_row,
        lambda value: (
            f"holds {len(value):,} characters; a cell may hold at most "
            f"{MAX_CELL_CHARS:,}. Shorten it (or remove the column if LeadDash does "
            "not need it) and retry."
        ),
    )
    if has_nul:
        _refuse_first(
            frame,
            _nul_cells(frame),
            filename,
            first_row,
            lambda _value: (
                "holds a NUL character (an invisible zero byte, left "
                "by a broken export), which cannot be stored. Remove it (or export "
                "the file again) and retry."
            ),
        )


def _long_cells(frame: pd.DataFrame) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (column position, mask of its cells over the limit) for each column with one."""
    for position in range(frame.shape[1]):
        over = (frame.iloc[:, position].str.len() > MAX_CELL_CHARS).to_numpy(dtype=bool)
        if over.any():
            yield position, over


def _nul_cells(frame: pd.DataFrame) -> Iterator[tuple[int, np.ndarray]]:
    """Yield (column position, mask of its cells holding a NUL) for each column with one."""
    for position in range(frame.shape[1]):
        found = frame.iloc[:, position].str.contains(NUL, regex=False).to_numpy(dtype=bool)
        if found.any():
            yield position, found


def _refuse_first(
    frame: pd.DataFrame,
    masks: Iterator[tuple[int, np.ndarray]],
    filename: str,
    first_row: int,
    problem: Callable[[str], str],
) -> None:
    """Raise InvalidInput for the first flagged cell (by row, then column), if any."""
    hits = list(masks)
    if not hits:
        return
    row, position = min((int(np.argmax(mask)), position) for position, mask in hits)
    more = sum(int(mask.sum()) for _position, mask in hits) - 1
    value = frame.iat[row, position]
    column = repr(excerpt(str(frame.columns[position])))
    tail = f" {more:,} more cells have the same problem." if more else ""
    raise InvalidInput(
        f"Row {int(frame.index[row]) + first_row}, column {column} of "
        f"{filename} {problem(value)}{tail}"
    )
