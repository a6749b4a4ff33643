"""How many values each record of a CSV text holds, counted as pandas' parser splits it.

pandas pads a record with too few values with empty cells, so a line cut off (an export
that stopped, a line break in a value without quotes around it) would pass for a row whose
last cells are empty. The counts come from the delimiters and line breaks outside quoted
cells, found with numpy over the whole text at once: a 100 MB file is not parsed twice.
A quote opens a cell only at the cell's start and "" inside one is a quote; when every
other quote opens a cell, quotes pair up in order, else they are walked one by one.
"""

from __future__ import annotations

import numpy as np

QUOTE, CR, LF = ord('"'), ord("\r"), ord("\n")
Spans = tuple[np.ndarray, np.ndarray]


def field_counts(raw: bytes | memoryview, delimiter: str) -> np.ndarray:
    """Return the number of values in each record of the CSV bytes `raw`, the header
    first (a blank line holds one empty value). Any encoding in which the delimiter,
    quotes and line breaks are single ASCII bytes will do: UTF-8, cp1252, Latin-1."""
    data = np.frombuffer(raw, dtype=np.uint8)
    mark = ord(delimiter)
    cells = _quoted_cells(raw, data, mark)
    ends = _outside(_line_ends(data), cells)
    if not len(ends) or ends[-1] != len(data) - 1:
        ends = np.append(ends, len(data))  # the last record has no line break after it
    delimiters = _outside(np.flatnonzero(data == mark), cells)
    return np.diff(np.searchsorted(delimiters, ends), prepend=0) + 1


def _line_ends(data: np.ndarray) -> np.ndarray:
    """Return where lines end: at each LF, and at each CR not followed by an LF (a CRLF
    ends at its LF)."""
    lf = np.flatnonzero(data == LF)
    cr = np.flatnonzero(data == CR)
    lone = cr[data[np.minimum(cr + 1, len(data) - 1)] != LF]
    return np.sort(np.concatenate([lf, lone])) if len(lone) else lf


def _quoted_cells(raw: bytes | memoryview, data: np.ndarray, mark: int) -> Spans:
    """Return where quoted cells open and where they close (sorted positions)."""
    quotes = np.flatnonzero(data == QUOTE)
    opening = quotes[0::2]
    before = data[np.maximum(opening - 1, 0)]
    if len(quotes) % 2 == 0 and bool(
        ((opening == 0) | np.isin(before, [mark, CR, LF, QUOTE])).all()
    ):
        return opening, quotes[1::2]
    return _walked(raw, quotes, mark)


def _walked(raw: bytes | memoryview, quotes: np.ndarray, mark: int) -> Spans:
    """Return the quoted cells found quote by quote, as pandas' tokenizer reads them: a
    quote inside an unquoted cell (5'10") is text, and "" inside a quoted cell a quote."""
    starts = {mark, CR, LF}
    opens: list[int] = []
    closes: list[int] = []
    at_quotes = quotes.tolist()
    k = 0
    while k < len(at_quotes):
        at = at_quotes[k]
        if len(opens) > len(closes):
            if k + 1 < len(at_quotes) and at_quotes[k + 1] == at + 1:
                k += 2
                continue
            closes.append(at)
        elif at == 0 or raw[at - 1] in starts:
            opens.append(at)
        k += 1
    if len(opens) > len(closes):
        closes.append(len(raw))
    return np.array(opens, dtype=np.int64), np.array(closes, dtype=np.int64)


def _outside(positions: np.ndarray, cells: Spans) -> np.ndarray:
    """Return the positions that no quoted cell holds."""
    opens, closes = cells
    if not len(opens):
        return positions
    cell = np.searchsorted(opens, positions) - 1
    inside = (cell >= 0) & (positions < closes[np.maximum(cell, 0)])
    return positions[~inside]
