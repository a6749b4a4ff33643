"""Custom attributes: the columns no field maps, kept on each lead, within bounds.

A lead keeps at most MAX_ATTRIBUTES of them, taking at most MAX_JSON_CHARS characters as
stored (the JSON text: names, values, quotes and escapes). A row of the file over either
bound refuses the whole file, naming the row, before the Import page previews anything;
a row that would take a stored lead over them once merged with what it has is a row
problem of the import (all or nothing, unless the bad rows are skipped).
"""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from leaddash.errors import InvalidInput
from leaddash.imports.checks import Checker
from leaddash.imports.limits import excerpt
from leaddash.imports.mapping import Mapping
from leaddash.imports.reading import FIRST_DATA_ROW, Table

MAX_ATTRIBUTES = 50
MAX_JSON_CHARS = 16 * 1024
CRM_STAGE = "crm_stage"
# The most JSON text one character becomes (an emoji: two \u escapes), and what each entry
# adds around its name and value: two pairs of quotes, ": " and ", ".
ESCAPED_CHARS = 12
ENTRY_CHARS = 6
LISTED = 5
LEAVE_OUT = "Map the columns you need to fields and leave out the others, then retry."
SHORTEN = "shorten it, or leave out the columns you do not need, then retry."


def custom_attributes(frame: pd.DataFrame, mapping: Mapping, stages: pd.Series) -> list[dict]:
    """Return per row the unmapped columns' non-empty values (and the file's stage,
    `stages`, kept as crm_stage when the mapping gives one)."""
    kept = kept_columns(frame, mapping)
    extra = frame[kept].to_dict("records") if kept else [{} for _ in range(len(frame))]
    custom = [{k: v.strip() for k, v in row.items() if v.strip()} for row in extra]
    if "stage" in mapping.given:
        for row, stage in zip(custom, stages, strict=True):
            if stage:
                row[CRM_STAGE] = stage
    return custom


def kept_columns(frame: pd.DataFrame, mapping: Mapping) -> list[str]:
    """Return the file's columns no field maps, in file order."""
    return [c for c in frame.columns if c not in mapping.fields.values()]


def json_chars(attributes: dict) -> int:
    """Return how many characters `attributes` take once stored as JSON text."""
    return len(json.dumps(attributes))


def check_upload_custom(table: Table, mapping: Mapping) -> None:
    """Refuse the file when a row keeps more custom attributes than a lead holds, or more
    characters of them (as the leads import would, before it reads the database)."""
    stages = Checker(table, mapping).raw("stage")
    check_custom_attributes(table, mapping, custom_attributes(table.frame, mapping, stages))


def check_custom_attributes(table: Table, mapping: Mapping, custom: list[dict]) -> None:
    """Refuse the file when a row's `custom` attributes go over a bound, naming the first
    such row and its columns, and how many more rows do."""
    counts = np.fromiter(map(len, custom), np.int64, len(custom))
    many = np.flatnonzero(counts > MAX_ATTRIBUTES)
    if len(many):
        row = custom[many[0]]
        names = ", ".join(repr(excerpt(k)) for k in list(row)[:LISTED])
        raise InvalidInput(
            f"Row {_row(table, many[0])} of {table.filename} keeps "
            f"{len(row)} custom attributes (the columns no field uses: {names} "
            f"…); a lead keeps at most {MAX_ATTRIBUTES}. {LEAVE_OUT}"
            f"{_more(len(many))}"
        )
    large = [
        i for i in _maybe_large(table.frame, mapping) if json_chars(custom[i]) > MAX_JSON_CHARS
    ]
    if large:
        row = custom[large[0]]
        longest = max(row, key=lambda k: len(row[k]))
        raise InvalidInput(
            f"Row {_row(table, large[0])} of {table.filename} keeps "
            f"{json_chars(row):,} characters of custom attributes (the columns "
            f"no field uses, as stored); a lead keeps at most "
            f"{MAX_JSON_CHARS:,}. The longest is column {excerpt(longest)!r} "
            f"({len(row[longest]):,} characters): {SHORTEN}"
            f"{_more(len(large))}"
        )


def _maybe_large(frame: pd.DataFrame, mapping: Mapping) -> list[int]:
    """Return the positions of the rows whose custom attributes may take more than
    MAX_JSON_CHARS (an upper bound from the cells' lengths, so only those are encoded)."""
    fixed = len(CRM_STAGE) + len(mapping.values.get("stage", ""))
    bound = np.full(len(frame), 2 + ENTRY_CHARS + ESCAPED_CHARS * fixed, np.int64)
    stage = [mapping.fields["stage"]] if "stage" in mapping.fields else []
    for column in [*kept_columns(frame, mapping), *stage]:
        lengths = frame[column].str.len().to_numpy(dtype=np.int64)
        filled = lengths > 0
        bound += ESCAPED_CHARS * (lengths + filled * len(column)) + filled * ENTRY_CHARS
    return np.flatnonzero(bound > MAX_JSON_CHARS).tolist()


def _row(table: Table, position: int) -> int:
    return int(table.frame.index[position]) + FIRST_DATA_ROW


def _more(rows: int) -> str:
    return f" {rows - 1:,} more rows have the same problem." if rows > 1 else ""


def flag_merged_custom(
    check: Checker, custom: pd.Series, ids: pd.Series, stored: pd.DataFrame
) -> None:
    """Note a problem for each row whose custom attributes, merged into those of the
    stored lead it updates (`ids`, `stored`), would go over a bound."""
    for index in ids.index[ids.notna().to_numpy() & custom.map(bool).to_numpy()]:
        before = stored.at[int(ids[index]), "custom"] or {}
        merged = {**before, **custom[index]} if before else {}
        new = [k for k in custom[index] if k not in before]
        column = check.column("stage") if new == [CRM_STAGE] else (new or [""])[0]
        if len(merged) > MAX_ATTRIBUTES:
            check.note(
                index,
                column,
                f"The lead this row updates would keep {len(merged)} "
                f"custom attributes ({len(before)} it has, {len(new)} new from this "
                f"row); a lead keeps at most {MAX_ATTRIBUTES}.",
                LEAVE_OUT,
            )
        elif merged and json_chars(merged) > MAX_JSON_CHARS:
            check.note(
                index,
                column,
                f"The lead this row updates would keep "
                f"{json_chars(merged):,} characters of custom attributes (with the "
                f"{len(before)} it has); a lead keeps at most {MAX_JSON_CHARS:,}.",
                "Shorten the row's longest values, or leave out columns you do not "
                "need, then retry.",
            )
