"""Hypothesis strategies for import files: raw bytes, arbitrary text, and mostly valid CSVs
of leads, activities and outcomes with random corruption in their cells and bytes.

A structured file is kept as its header and rows (`CsvFile`), so a test can write it again
without some rows (the differential check of skip-bad-rows). Its rows may include blank
lines (no cells) and rows cut short (fewer cells than the header), as exports have them.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, replace
from datetime import datetime

from hypothesis import strategies as st

from leaddash.definitions import ACTIVITY_TYPES
from leaddash.imports.mapping import FIELDS
from leaddash.models import Stage

# Keys shared with the stored leads of the fuzz database (P-1, P-2, kim@beta.example), so
# rows update, collide and match as often as they create.
EXTERNAL_IDS = ("P-1", "P-2", "P-3", "N-1", "N-2", "n-1", " P-1 ")
EMAILS = (
    "ivy@acme.example",
    "IVY@ACME.example",
    "jon@acme.example",
    "kim@beta.example",
    "new@lead.example",
    "other@lead.example",
    "Zoë@exämple.de",
)
DELIMITERS = (",", ";", "\t", "|")
ENCODINGS = ("utf-8", "utf-8-sig", "latin-1", "cp1252", "utf-16", "utf-16-le")
OUTCOME_STAGES = ("sql", "opportunity", "won", "lost", "Closed Won")

JUNK = st.sampled_from(
    [
        "",
        " ",
        '"',
        '""',
        "'",
        "\\",
        ",",
        ";",
        "\t",
        "|",
        "\r",
        "\n",
        "\r\n",
        "\ufeff",
        '=HYPERLINK("http://x")',
        "=1+2",
        "+1",
        "-1",
        "@SUM(A1)",
        "=cmd|' /C calc'!A0",
        "9" * 40,
        "1e309",
        "-5",
        "NaN",
        "inf",
        "-0",
        "0x1F",
        "1,000",
        "1 000",
        "12.5",
        "١٢٣",
        "not-an-email",
        "a@b",
        "@x.com",
        "a@b@c.com",
        "a b@c.com",
        "<a@b.com>",
        "2024-13-45",
        "31/12/2024",
        "0000-00-00",
        "9999999-01-01",
        "yesterday",
        "2024-02-30",
        "1677-09-21",
        "2262-04-12",
        "2024-06-01T25:00:00Z",
        "2024-06-01T10:00:00+25:00",
        "x" * 5000,
        "é" * 300,
        "\x07",
        "\x1b[31mred",
        "\x7f",
        "\u2028",
        "\U0001f600" * 50,
        "NULL",
        "None",
        "null",
        "#N/A",
    ]
)


@dataclass(frozen=True)
class CsvFile:
    """A file's header and rows as text, and how it is written out as bytes."""

    header: list[str]
    rows: list[list[str]]
    delimiter: str = ","
    line_end: str = "\r\n"
    encoding: str = "utf-8"
    quoting: int = csv.QUOTE_MINIMAL
    mixed_endings: bool = False

    def without(self, row_numbers: set[int]) -> CsvFile:
        """Return the file without the rows a report numbers (the header is row 1, and
        blank lines count, as in a spreadsheet)."""
        kept = [row for n, row in enumerate(self.rows, start=2) if n not in row_numbers]
        return replace(self, rows=kept)

    def _line(self, cells: list[str]) -> str:
        """Return one record; a cell holding either line break is quoted, whatever line
        break the file uses, so a record never spills onto the next line."""
        out = io.StringIO()
        csv.writer(
            out, delimiter=self.delimiter, lineterminator="\r\n", quoting=self.quoting
        ).writerow(cells)
        return out.getvalue().removesuffix("\r\n")

    def encoded(self) -> bytes:
        """Return the file's bytes."""
        lines = [self._line(row) for row in [self.header, *self.rows]]
        ends = ["\n" if self.mixed_endings and n < 2 else self.line_end for n in range(len(lines))]
        text = "".join(line + end for line, end in zip(lines, ends, strict=True))
        return text.encode(self.encoding, errors="replace")


def _dates() -> st.SearchStrategy[str]:
    # Hypothesis takes naive bounds (zones come from its `timezones` argument).
    earliest = datetime(2000, 1, 1)  # noqa: DTZ001
    latest = datetime(2030, 12, 31)  # noqa: DTZ001
    moments = st.datetimes(min_value=earliest, max_value=latest)
    return st.one_of(
        moments.map(lambda d: d.isoformat(timespec="seconds")),
        moments.map(lambda d: d.strftime("%Y-%m-%d")),
        moments.map(lambda d: d.isoformat(timespec="seconds") + "Z"),
    )


def _valid(field: str, kind: str) -> st.SearchStrategy[str]:
    """Return a strategy of plausible cells for `field` of a `kind` file."""
    words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=12)
    return {
        "external_id": st.sampled_from((*EXTERNAL_IDS, "")),
        "email": st.sampled_from((*EMAILS, "")),
        "employees": st.integers(0, 10**6).map(str),
        "created_at": _dates(),
        "occurred_at": _dates(),
        "stage": st.sampled_from(
            OUTCOME_STAGES if kind == "outcomes" else (*(s.value for s in Stage), "MQL", "")
        ),
        "owner": st.sampled_from(("rita", "RITA", "rita@east.example", "ghost", "")),
        "type": st.sampled_from((*ACTIVITY_TYPES, "Webinar")),
        "amount": st.one_of(
            st.integers(0, 10**7).map(str),
            st.floats(0, 1e7, allow_nan=False).map(lambda f: f"{f:.2f}"),
        ),
    }.get(field, words)


def _cell(field: str, kind: str) -> st.SearchStrategy[str]:
    """Return a strategy of cells: mostly plausible, sometimes junk or junk appended."""
    valid = _valid(field, kind)
    return st.one_of(
        valid, valid, valid, JUNK, st.tuples(valid, JUNK).map(lambda pair: pair[0] + pair[1])
    )


@st.composite
def csv_files(draw: st.DrawFn, kind: str) -> CsvFile:
    """Return a mostly valid `kind` file: a shuffled subset of its fields (a key always),
    maybe an unmapped column, 1-12 rows (now and then a blank line or a row cut short),
    any delimiter, quoting, line end and encoding."""
    required = {
        "leads": [],
        "activities": ["type", "occurred_at"],
        "outcomes": ["stage", "occurred_at"],
    }[kind]
    key = draw(st.sampled_from([["external_id"], ["email"], ["external_id", "email"]]))
    others = [f for f in FIELDS[kind] if f not in key + required]
    fields = key + required + draw(st.lists(st.sampled_from(others), unique=True))
    fields = draw(st.permutations(fields))
    extra = draw(st.sampled_from([[], ["Favourite colour"], ["=Formula"], ["é col"]]))
    columns = list(fields) + extra
    row = st.tuples(*[_cell(c if c in fields else "custom", kind) for c in columns]).map(list)
    cut = row.flatmap(lambda r: st.integers(1, max(len(r) - 1, 1)).map(lambda n: r[:n]))
    rows = draw(
        st.lists(st.one_of(row, row, row, row, row, row, st.just([]), cut), min_size=1, max_size=12)
    )
    return CsvFile(
        columns,
        rows,
        delimiter=draw(st.sampled_from(DELIMITERS)),
        line_end=draw(st.sampled_from(["\r\n", "\n", "\r"])),
        encoding=draw(st.sampled_from(ENCODINGS)),
        quoting=draw(st.sampled_from([csv.QUOTE_MINIMAL, csv.QUOTE_ALL])),
        mixed_endings=draw(st.booleans()),
    )


@st.composite
def any_text_files(draw: st.DrawFn) -> bytes:
    """Return arbitrary text, often with a header line of field names, in any encoding."""
    header = draw(
        st.sampled_from(
            [
                "",
                "external_id,email,type,timestamp,stage\n",
                "email;employees;created_at\n",
                "id\tstage\tdate\n",
            ]
        )
    )
    body = draw(st.text(max_size=400))
    encoding = draw(st.sampled_from(ENCODINGS))
    return (header + body).encode(encoding, errors="replace")


@st.composite
def mapping_files(draw: st.DrawFn, kind: str, columns: list[str]) -> str:
    """Return a mapping file's YAML for a file with `columns`: fields pointing at its
    columns (or at none), a date format of any strftime-like text, odd stage values, and
    now and then text that is not a mapping at all."""
    names = st.sampled_from([*columns, "Nowhere", ""])
    fields = draw(st.dictionaries(st.sampled_from([*FIELDS[kind], "colour"]), names, max_size=6))
    lines = ["fields:", *[f"  {k}: {json.dumps(v)}" for k, v in fields.items()]]
    date_format = draw(
        st.one_of(st.none(), st.text("%YmdHMSzZQsGVUWaAwujbByIpfcx-/.: ", max_size=14))
    )
    if date_format is not None:
        lines.append(f"date_format: {json.dumps(date_format)}")
    stages = draw(
        st.dictionaries(
            st.sampled_from(["Working", "Closed Won", "1", "yes"]),
            st.sampled_from([s.value for s in Stage] + ["nope"]),
            max_size=3,
        )
    )
    if stages:
        lines += ["stage_values:", *[f"  {json.dumps(k)}: {v}" for k, v in stages.items()]]
    broken = st.sampled_from(
        [
            "",
            "fields: [a, b]",
            "fields:\n  email: [E, F]",
            ":\n- -",
            "fields:\n\temail: E",
            "!!python/object:os.system {}",
        ]
    )
    return draw(st.one_of(st.just("\n".join(lines) + "\n"), broken))
