"""Checking a file's text cells column by column, collecting every problem with its row.

Each check works on a whole column at once (one regex or one parse per column) and turns
its text into the value we store; only the bad rows are visited one by one, to word
their problem. Row numbers are the ones a spreadsheet shows (the header is row 1): the
frame's index plus FIRST_DATA_ROW. A row cut short has that one problem: its empty last
cells are what the cut left, not values to check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from leaddash.imports.mapping import Mapping
from leaddash.imports.reading import FIRST_DATA_ROW, Table
from leaddash.imports.values import (
    EXAMPLES,
    canonical_names,
    country_codes,
    country_rules,
    rule_value_warnings,
    unknown_countries_warning,
)
from leaddash.models import Lead

EMAIL = r"^[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+$"
INTEGER = r"^\d+(?:\.0*)?$"
ISO_EXAMPLE = "2024-03-31 or 2024-03-31T14:05:00Z"
UTC_TIMES = "datetime64[us, UTC]"
# A time that says its own zone: Z, or an offset such as +02:00, -0500 or +01.
ZONED = r"\d\d:\d\d(?::\d\d(?:[.,]\d+)?)?\s*(?:[zZ]|[+-]\d\d(?::?\d\d)?)\s*$"
YEARS = (1900, 2199)
MAX_INTEGER = 2**31 - 1  # an INTEGER column on PostgreSQL


@dataclass(frozen=True)
class Problem:
    """One bad cell (or row): where it is as the user sees it, what is wrong, what to do."""

    row: int
    column: str
    problem: str
    fix: str
    whole_row: bool = False

    def line(self) -> str:
        """Return the problem as one line of a report (a whole row's problem names its
        row and column itself)."""
        if self.whole_row:
            return f"{self.problem} {self.fix}"
        return f"Row {self.row}, column {self.column!r}: {self.problem} {self.fix}"


def cut_row(columns: list[str], row: int, values: int) -> Problem:
    """Return the problem of a row with fewer `values` than the header has `columns`."""
    missing, noun = columns[values], "value" if values == 1 else "values"
    return Problem(
        row,
        missing,
        f"Row {row} has {values} {noun} but "
        f"the header has {len(columns)} columns: the line was probably cut off "
        f"(it stops before column {missing!r}).",
        "Complete the row or remove it.",
        whole_row=True,
    )


def max_length(field: str) -> int | None:
    """Return the longest text the lead column `field` holds, or None when unlimited."""
    column = Lead.__table__.c.get(field)  # type: ignore[attr-defined]
    return getattr(column.type, "length", None) if column is not None else None


class Checker:
    """Reads mapped columns of one file as typed values, noting the problems it finds."""

    def __init__(self, table: Table, mapping: Mapping, zone: str = "UTC") -> None:
        self.frame = table.frame
        self.mapping = mapping
        # Where a date or time without a zone of its own was written: the team's calendar.
        self.zone = zone
        self.problems = [cut_row(table.columns, row, n) for row, n in table.short_rows]
        self.cut = frozenset(row - FIRST_DATA_ROW for row, _n in table.short_rows)
        # Values kept as written that no definition rule can match.
        self.warnings: list[str] = []

    def bad_index(self) -> list[int]:
        """Return the frame index of the rows with a problem, in order (to drop them)."""
        return sorted({p.row - FIRST_DATA_ROW for p in self.problems})

    def column(self, field: str) -> str:
        """Return the file's column that holds `field` (or names its fixed value)."""
        if field in self.mapping.values:
            return f"{field} (fixed value)"
        return self.mapping.fields[field]

    def raw(self, field: str) -> pd.Series:
        """Return the stripped text of `field`: its fixed value on every row when the
        mapping gives one, "" everywhere when the field is not mapped."""
        if field in self.mapping.values:
            return pd.Series(
                self.mapping.values[field].strip(), index=self.frame.index, dtype=object
            )
        if field not in self.mapping.fields:
            return pd.Series("", index=self.frame.index, dtype=object)
        return self.frame[self.column(field)].astype(str).str.strip()

    def flag(self, bad: pd.Series, field: str, problem: Callable[[str], str], fix: str) -> None:
        """Note a problem for each row where `bad` is True; `problem` words it from the cell."""
        values = self.raw(field)
        flagged = bad.index[bad.to_numpy(dtype=bool)]
        for index in (i for i in flagged if i not in self.cut):
            self.note(int(index), self.column(field), problem(values[index]), fix)

    def note(self, index: int, column: str, problem: str, fix: str) -> None:
        """Note one problem of the frame row `index`, in the file's `column` (nothing for a
        row cut short: its one problem says so)."""
        if index not in self.cut:
            self.problems.append(Problem(index + FIRST_DATA_ROW, column, problem, fix))

    def text(self, field: str, limit: int | None = None) -> pd.Series:
        """Return the text of `field` (None when empty), flagging values over `limit`."""
        values = self.raw(field)
        limit = limit or max_length(field)
        if limit:
            self.flag(
                values.str.len() > limit,
                field,
                lambda v: f"The value is {len(v)} characters long; at most {limit} fit.",
                "Shorten it.",
            )
        return values.where(values != "", None)

    def required(self, field: str, what: str) -> pd.Series:
        """Return the text of `field`, flagging empty cells."""
        values = self.text(field)
        self.flag(
            values.isna(),
            field,
            lambda _v: f"The {what} is empty.",
            f"Fill in the {what}, or remove the row.",
        )
        return values

    def emails(self) -> pd.Series:
        """Return the email addresses as written, flagging malformed ones."""
        values = self.text("email")
        bad = values.notna() & ~values.fillna("").str.match(EMAIL)
        self.flag(
            bad,
            "email",
            lambda v: f"{v!r} is not an email address.",
            "Correct it (like name@company.com) or leave the cell empty.",
        )
        return values

    def dates(self, field: str, required: bool = False) -> pd.Series:
        """Return the dates of `field` as aware UTC timestamps (a date or time without a zone
        read in the checker's zone: "2017-03-01" is that day in the team's calendar)."""
        values = self.raw(field)
        filled = values != ""
        parsed = self._parsed(values.where(filled))
        expected = (
            f"Write it as {self.mapping.date_format!r} (the mapping's date_format)"
            if self.mapping.date_format
            else f"Write it like {ISO_EXAMPLE}, or set date_format in a mapping file"
        )
        self.flag(filled & parsed.isna(), field, lambda v: f"{v!r} is not a date.", f"{expected}.")
        # ISO 8601 reads "-5" as the year -5; years outside Python's range would break
        # every later step, and no lead of ours is that old or that far ahead.
        odd = parsed.notna() & ~parsed.dt.year.between(*YEARS)
        self.flag(
            odd,
            field,
            lambda v: f"{v!r} is not a date between {YEARS[0]} and {YEARS[1]}.",
            f"{expected}.",
        )
        parsed = parsed.where(~odd)
        if required:
            self.flag(
                ~filled,
                field,
                lambda _v: "The date is empty.",
                f"Fill in the date, like {ISO_EXAMPLE}.",
            )
        return parsed

    def _parsed(self, values: pd.Series) -> pd.Series:
        """Return `values` parsed as aware UTC times (NaT where they do not parse)."""
        fmt = self.mapping.date_format or "ISO8601"
        # As Arrow strings, one regex pass over the column runs in C.
        zoned = values.astype("str").str.contains(ZONED, regex=True, na=False)
        parsed = pd.to_datetime(values.where(zoned), format=fmt, errors="coerce", utc=True)
        parsed = parsed.astype(UTC_TIMES)
        plain = values.where(~zoned)
        if self.zone == "UTC" or not plain.notna().any():
            local = pd.to_datetime(plain, format=fmt, errors="coerce", utc=True)
        else:
            local = pd.to_datetime(plain, format=fmt, errors="coerce", utc=True)
            local = local.dt.tz_localize(None).dt.tz_localize(
                self.zone, ambiguous=np.zeros(len(local), bool), nonexistent="shift_forward"
            )
        return parsed.where(zoned, local.dt.tz_convert("UTC").astype(UTC_TIMES))

    def integers(self, field: str) -> pd.Series:
        """Return whole numbers (pandas Int64, missing when empty), flagging other text."""
        values = self.raw(field).str.replace(r"[\s']", "", regex=True)
        filled = values != ""
        bad = filled & ~values.str.match(INTEGER)
        self.flag(
            bad,
            field,
            lambda v: f"{v!r} is not a whole number.",
            "Write digits only, like 250, or leave the cell empty.",
        )
        numbers = pd.to_numeric(values.where(filled & ~bad), errors="coerce").astype(float)
        huge = numbers > MAX_INTEGER
        self.flag(
            huge,
            field,
            lambda v: f"{v!r} is too large: at most {MAX_INTEGER:,} fits.",
            "Correct it, or leave the cell empty.",
        )
        return numbers.where(~huge).round().astype("Int64")

    def amounts(self, field: str) -> pd.Series:
        """Return non-negative amounts as floats (NaN when empty), flagging other text."""
        values = self.raw(field).str.replace(r"[\s$€£]", "", regex=True)
        filled = values != ""
        numbers = pd.to_numeric(values.where(filled), errors="coerce").astype(float)
        usable = numbers.between(0, float("inf"), inclusive="left")  # "inf" parses too
        self.flag(
            filled & ~usable,
            field,
            lambda v: f"{v!r} is not an amount.",
            "Write a number like 12500 or 12500.50 (no thousands separators).",
        )
        return numbers.where(usable)

    def choices(self, field: str, allowed: dict[str, str], what: str) -> pd.Series:
        """Return our value for each cell of `field` via `allowed` (matched ignoring case),
        flagging values that are not listed; None where empty."""
        by_fold = {k.casefold(): v for k, v in allowed.items()}
        values = self.raw(field)
        mapped = values.str.casefold().map(by_fold)
        listed = ", ".join(sorted(allowed)[:12])
        self.flag(
            (values != "") & mapped.isna(),
            field,
            lambda v: f"{v!r} is not a known {what}.",
            f"Use one of: {listed}{' …' if len(allowed) > 12 else ''}"
            + (" (or map it under stage_values in a mapping file)." if field == "stage" else "."),
        )
        return mapped.where(values != "", None)

    def row_number(self, index: int) -> int:
        """Return the row number a spreadsheet shows for the frame index `index`."""
        return int(index) + FIRST_DATA_ROW

    def countries(self, field: str, rules: Sequence[dict[str, Any]] = ()) -> pd.Series:
        """Return the countries of `field` as ISO alpha-2 codes (None when empty), noting a
        warning for values we do not recognise (kept as written) and for `rules` over the
        field that list something other than codes. Lengths are checked by text()."""
        values = self.raw(field)
        codes, unknown = country_codes(values.where(values != "", None))
        rules = country_rules(rules, field)
        if unknown.any():
            examples = [
                (self.row_number(i), values[i])
                for i in unknown.index[unknown.to_numpy()][:EXAMPLES]
            ]
            self.warnings.append(unknown_countries_warning(int(unknown.sum()), examples, rules))
        if field in self.mapping.fields:
            self.warnings.extend(rule_value_warnings(rules))
        return codes

    def names(self, field: str, stored: Iterable[str]) -> pd.Series:
        """Return the text of `field` (None when empty), trimmed, inner spaces collapsed, and
        names differing only in case or spacing spelled as `stored` or most rows spell them.

        Only rows without a problem vote, so skipping the bad rows writes what a file of the
        good rows alone writes: call it once every other check has run."""
        values = self.raw(field)
        voting = pd.Series(~values.index.isin(self.bad_index()), index=values.index)
        return canonical_names(values.where(values != "", None), stored, voting)


def lead_keys(external_ids: pd.Series, emails: pd.Series) -> pd.Series:
    """Return each row's lead key: its external id, else its lower-cased email; None when
    it has neither."""
    by_email = "email:" + emails.str.lower()
    return ("id:" + external_ids).where(external_ids.notna(), by_email)


def flag_missing_keys(checker: Checker, keys: pd.Series) -> None:
    """Note rows that carry neither an external id nor an email."""
    field = "email" if "email" in checker.mapping.fields else "external_id"
    checker.flag(
        keys.isna(),
        field,
        lambda _v: "The row has neither an id nor an email, so it cannot be matched to a lead.",
        "Fill in the id or the email.",
    )
