"""Mapping files: YAML a person writes, read as a typed document with every value text.

    fields:                       # our field: the file's column, or a fixed value
      external_id: Id
      email: Email
      stage: {value: won}         # every row gets this value
    date_format: "%d/%m/%Y"       # optional, strftime codes; default ISO 8601
    stage_values:                 # optional, the file's stage value: ours
      Open - Not Contacted: inquiry

The YAML is read without YAML 1.1's type guessing, so `No`, `On`, `0012`, `1e3` or `null`
stay the text they are, as column names and as stage values alike; and within bounds (size,
nesting, value length, no anchors or aliases: see mapping_yaml). Messages quote at most a
short excerpt of what the file says.
"""

from __future__ import annotations

import pandas as pd
from pydantic_core import ErrorDetails

from leaddash.documents.base import read_document
from leaddash.documents.mapping import FixedValue, MappingFile
from leaddash.errors import InvalidInput
from leaddash.imports.limits import excerpt
from leaddash.imports.mapping import FIELDS, KEY_FIELDS, Mapping
from leaddash.imports.mapping_yaml import load_yaml
from leaddash.models import Stage

OPTIONAL_SECTIONS = ("date_format", "stage_values")
DATE_CODES_HELP = 'write it like "%d/%m/%Y" or "%m/%d/%Y %H:%M"'
LISTED = 5  # names a message lists before "and N more"


def load_mapping(text: str, kind: str = "leads") -> Mapping:
    """Return the mapping written in YAML `text`, or raise InvalidInput saying what is wrong."""
    document = read_mapping_file(text)
    _check_fields(document, kind)
    return Mapping(
        {k: v.strip() for k, v in document.fields.items() if isinstance(v, str)},
        _date_format(document.date_format),
        _stage_values(document.stage_values),
        values={
            k: v.value.strip() for k, v in document.fields.items() if isinstance(v, FixedValue)
        },
    )


def read_mapping_file(text: str) -> MappingFile:
    """Return the mapping file's document, or raise InvalidInput naming the broken part."""
    data = load_yaml(text)
    if not isinstance(data, dict) or "fields" not in data:
        raise _no_fields()
    # An empty optional section (`stage_values:` with nothing under it) means none.
    data = {k: v for k, v in data.items() if not (k in OPTIONAL_SECTIONS and v == "")}
    return read_document(MappingFile, data, _refusal)


def _no_fields() -> InvalidInput:
    return InvalidInput(
        "The mapping file needs a `fields:` section mapping our field names "
        "to the file's column names.",
        field="mapping",
    )


def _refusal(error: ErrorDetails) -> InvalidInput:
    """Return the person-facing refusal for the first part of the file that has no shape."""
    where = error["loc"]
    section = excerpt(str(where[0]))
    if section == "fields" and len(where) > 1:
        name = excerpt(str(where[1]))
        return InvalidInput(
            f"The mapping file gives {name} neither a column nor a fixed "
            f"value: write the file's column name after the colon (like "
            f"`{name}: Close Date`), or a value every row gets (like "
            f"`{name}: {{value: won}}`).",
            field="mapping",
        )
    if section == "fields":
        return _no_fields()
    if section == "stage_values":
        return InvalidInput(
            "stage_values must map the file's stage values to ours, one per "
            "line, like `Working - Contacted: accepted`.",
            field="mapping",
        )
    if section == "date_format":
        return InvalidInput(
            f"date_format must be one line of strftime codes: {DATE_CODES_HELP}.", field="mapping"
        )
    return InvalidInput(
        f"The mapping file has a section we do not know: {section}. Its "
        "sections are fields, date_format and stage_values.",
        field="mapping",
    )


def _check_fields(document: MappingFile, kind: str) -> None:
    raw = document.fields
    unknown = sorted(k for k in raw if k not in FIELDS[kind])
    if unknown:
        raise InvalidInput(
            f"The mapping file names unknown fields: {_listed(unknown)}. "
            f"Fields for {kind}: {', '.join(FIELDS[kind])}.",
            field="mapping",
        )
    empty = sorted(k for k, v in raw.items() if isinstance(v, str) and not v.strip())
    if empty:
        raise InvalidInput(
            f"The mapping file gives no column for {', '.join(empty)}: write "
            "the file's column name after the colon, or remove the line.",
            field="mapping",
        )
    blank = sorted(k for k, v in raw.items() if isinstance(v, FixedValue) and not v.value.strip())
    if blank:
        raise InvalidInput(
            f"The mapping file gives {', '.join(blank)} an empty fixed value: "
            "write the value after `value:`, or remove the line.",
            field="mapping",
        )
    keys = sorted(k for k, v in raw.items() if isinstance(v, FixedValue) and k in KEY_FIELDS)
    if keys:
        raise InvalidInput(
            f"{' and '.join(keys)} cannot be a fixed value: every row would be "
            "the same lead. Name the file's column instead.",
            field="mapping",
        )


def _listed(names: list[str]) -> str:
    """Return the first LISTED of `names` as excerpts, and how many more there are."""
    shown = ", ".join(excerpt(n) for n in names[:LISTED])
    return shown + (f" and {len(names) - LISTED:,} more" if len(names) > LISTED else "")


def _date_format(raw: str | None) -> str | None:
    if raw is None:
        return None
    if "%" not in raw:
        raise InvalidInput(
            f"date_format {excerpt(raw)!r} has no strftime codes: {DATE_CODES_HELP}.",
            field="mapping",
        )
    try:
        pd.to_datetime(pd.Series(["2024-03-31"]), format=raw, errors="coerce")
    except ValueError as exc:
        raise InvalidInput(
            f"date_format {excerpt(raw)!r} cannot read dates "
            f"({excerpt(str(exc))}): use codes like %d, %m, %Y, %H and "
            "%M.",
            field="mapping",
        ) from None
    return raw


def _stage_values(raw: dict[str, str]) -> dict[str, str]:
    ours = {s.value for s in Stage}
    wrong = sorted(f"{k}: {v}" for k, v in raw.items() if v.strip() not in ours)
    if wrong:
        raise InvalidInput(
            f"stage_values maps to stages we do not have ({_listed(wrong)}). "
            f"Our stages: {', '.join(sorted(ours))}.",
            field="mapping",
        )
    return {k: v.strip() for k, v in raw.items()}
