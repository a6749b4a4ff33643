"""Which column of the file holds which of our fields: mapping files, presets, auto-match.

A mapping file is YAML:

    fields:              # our field: the file's column
      external_id: Id
      email: Email
    date_format: "%d/%m/%Y"   # optional, strftime codes; default ISO 8601
    stage_values:             # optional, the file's stage value: ours
      Open - Not Contacted: inquiry

Columns no field maps are kept on the lead as custom attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from typing import Any

import pandas as pd
import yaml

from leaddash.errors import InvalidInput
from leaddash.imports.reading import separator_hint
from leaddash.models import Stage

LEAD_FIELDS = (
    "external_id", "email", "first_name", "last_name", "company", "title", "country",
    "industry", "employees", "source", "campaign", "segment", "created_at", "stage", "owner",
    "mql_at", "accepted_at", "validated_at", "disqualified_at", "rejected_at", "recycled_at",
    "sql_at", "opportunity_at", "won_at", "lost_at", "stage_at", "reason", "amount",
)
# A lead file that gives any of these loads history: its leads take the stages and dates
# it gives instead of being qualified by the active definition.
HISTORY_FIELDS = ("mql_at", "accepted_at", "validated_at", "disqualified_at", "rejected_at",
                  "recycled_at", "sql_at", "opportunity_at", "won_at", "lost_at", "stage_at")
ACTIVITY_FIELDS = ("external_id", "email", "type", "occurred_at", "detail")
OUTCOME_FIELDS = ("external_id", "email", "stage", "occurred_at", "amount")
FIELDS = {"leads": LEAD_FIELDS, "activities": ACTIVITY_FIELDS, "outcomes": OUTCOME_FIELDS}
REQUIRED = {"leads": (), "activities": ("type", "occurred_at"),
            "outcomes": ("stage", "occurred_at")}
KEY_FIELDS = ("external_id", "email")
# Names people give these columns in hand-made files, beside the field's own name.
ALIASES = {"occurred_at": ("timestamp", "date", "occurred", "time", "when"),
           "external_id": ("id", "externalid", "record_id"),
           "email": ("email_address", "e_mail")}


@dataclass(frozen=True)
class Mapping:
    """Our field → the file's column, plus how to read dates and stage values.

    `strict` mappings (a user's file) require every named column; presets name the usual
    export headers and skip the ones a particular export left out."""

    fields: dict[str, str]
    date_format: str | None = None
    stage_values: dict[str, str] = field(default_factory=dict)
    strict: bool = True
    name: str = "mapping file"


def _salesforce() -> Mapping:
    return Mapping(
        {"external_id": "Id", "first_name": "FirstName", "last_name": "LastName",
         "email": "Email", "company": "Company", "title": "Title", "source": "LeadSource",
         "stage": "Status", "industry": "Industry", "employees": "NumberOfEmployees",
         "country": "Country", "created_at": "CreatedDate"},
        stage_values={"Open - Not Contacted": "inquiry", "Working - Contacted": "accepted",
                      "Closed - Converted": "sql", "Closed - Not Converted": "disqualified"},
        strict=False, name="Salesforce preset")


def _hubspot() -> Mapping:
    # Stage comes from "Lifecycle Stage", HubSpot's position in the funnel (subscriber → lead
    # → MQL → SQL → opportunity → customer), which is what our stage means. "Lead Status"
    # (New, Attempted to contact, Connected, Bad timing …) tracks a rep's contact attempts
    # inside one lifecycle stage, so it is kept as a custom attribute for the record.
    return Mapping(
        {"external_id": "Record ID", "first_name": "First Name", "last_name": "Last Name",
         "email": "Email", "company": "Company Name", "title": "Job Title",
         "source": "Original Source", "stage": "Lifecycle Stage", "created_at": "Create Date",
         "employees": "Number of Employees", "country": "Country/Region",
         "industry": "Industry"},
        stage_values={"Subscriber": "inquiry", "Lead": "inquiry", "Other": "inquiry",
                      "Marketing Qualified Lead": "mql", "Sales Qualified Lead": "sql",
                      "Opportunity": "opportunity", "Customer": "won", "Evangelist": "won"},
        strict=False, name="HubSpot preset")


def _marketo() -> Mapping:
    return Mapping(
        {"external_id": "Id", "first_name": "First Name", "last_name": "Last Name",
         "email": "Email Address", "company": "Company Name", "title": "Job Title",
         "source": "Lead Source", "stage": "Lead Status", "created_at": "Created At",
         "country": "Country", "industry": "Industry", "employees": "Number of Employees"},
        stage_values={"New": "inquiry", "Open": "inquiry", "Contacted": "accepted",
                      "Qualified": "validated", "Disqualified": "disqualified",
                      "Nurture": "recycled", "Converted": "sql"},
        strict=False, name="Marketo preset")


PRESETS = {"salesforce": _salesforce, "hubspot": _hubspot, "marketo": _marketo}


def is_history(mapping: Mapping) -> bool:
    """Return True when a lead import by `mapping` loads history (it names a stage date)."""
    return any(f in mapping.fields for f in HISTORY_FIELDS)


def preset(name: str, kind: str = "leads") -> Mapping:
    """Return the mapping of a preset (salesforce, hubspot, marketo) for lead exports."""
    if name not in PRESETS:
        raise InvalidInput(f"There is no preset called {name!r}: use one of "
                           f"{', '.join(PRESETS)}, or a mapping file.", field="preset")
    if kind != "leads":
        raise InvalidInput(f"Presets describe lead exports. For {kind}, name the columns "
                           f"{', '.join(FIELDS[kind])} or give a mapping file.", field="preset")
    return PRESETS[name]()


def load_mapping(text: str, kind: str = "leads") -> Mapping:
    """Return the mapping written in YAML `text`, or raise InvalidInput saying what is wrong."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" near line {where.line + 1}" if where is not None else ""
        raise InvalidInput(f"The mapping file is not valid YAML{line}: check its indentation "
                           "and colons.", field="mapping") from None
    if not isinstance(data, dict) or not isinstance(data.get("fields"), dict):
        raise InvalidInput("The mapping file needs a `fields:` section mapping our field names "
                           "to the file's column names.", field="mapping")
    fields = _checked_fields(data["fields"], kind)
    return Mapping(fields, _date_format(data.get("date_format")),
                   _stage_values(data.get("stage_values")))


def _checked_fields(raw: dict[Any, Any], kind: str) -> dict[str, str]:
    unknown = sorted(str(k) for k in raw if k not in FIELDS[kind])
    if unknown:
        raise InvalidInput(f"The mapping file names unknown fields: {', '.join(unknown)}. "
                           f"Fields for {kind}: {', '.join(FIELDS[kind])}.", field="mapping")
    empty = sorted(str(k) for k, v in raw.items() if v is None or not str(v).strip())
    if empty:
        raise InvalidInput(f"The mapping file gives no column for {', '.join(empty)}: write "
                           "the file's column name after the colon, or remove the line.",
                           field="mapping")
    return {str(k): str(v).strip() for k, v in raw.items()}


def _date_format(raw: Any) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str) or "%" not in raw:
        raise InvalidInput(f"date_format {raw!r} has no strftime codes: write it like "
                           "\"%d/%m/%Y\" or \"%m/%d/%Y %H:%M\".", field="mapping")
    try:
        pd.to_datetime(pd.Series(["2024-03-31"]), format=raw, errors="coerce")
    except ValueError as exc:
        raise InvalidInput(f"date_format {raw!r} cannot read dates ({exc}): use codes like "
                           "%d, %m, %Y, %H and %M.", field="mapping") from None
    return raw


def _stage_values(raw: Any) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise InvalidInput("stage_values must map the file's stage values to ours, one per "
                           "line, like `Working - Contacted: accepted`.", field="mapping")
    ours = {s.value for s in Stage}
    wrong = sorted(f"{k}: {v}" for k, v in raw.items() if str(v) not in ours)
    if wrong:
        raise InvalidInput(f"stage_values maps to stages we do not have ({'; '.join(wrong)}). "
                           f"Our stages: {', '.join(sorted(ours))}.", field="mapping")
    return {str(k): str(v) for k, v in raw.items()}


def _squashed(name: str) -> str:
    return re.sub(r"[\s_\-/.]+", "_", name.strip().casefold()).strip("_")


def auto_mapping(columns: list[str], kind: str = "leads") -> Mapping:
    """Return the mapping of columns named like our fields (case and spaces ignored)."""
    by_name = {_squashed(c): c for c in reversed(columns)}
    fields = {}
    for ours in FIELDS[kind]:
        for name in (ours, *ALIASES.get(ours, ())):
            if name in by_name:
                fields[ours] = by_name[name]
                break
    return Mapping(fields, strict=False, name="column names")


def with_fields(mapping: Mapping, fields: dict[str, str]) -> Mapping:
    """Return `mapping` with its field → column choices replaced (the page's selectboxes)."""
    return replace(mapping, fields={k: v for k, v in fields.items() if v})


def mapping_for(table_columns: list[str], mapping: Mapping | None, kind: str) -> Mapping:
    """Return the mapping an import of `kind` reads a file with `table_columns` by: the
    given one (or, without one, the columns named like our fields), checked by `applied`."""
    return applied(mapping or auto_mapping(table_columns, kind), table_columns, kind)


def applied(mapping: Mapping, columns: list[str], kind: str) -> Mapping:
    """Return the mapping narrowed to the file's columns, or raise InvalidInput naming the
    columns that are missing, the ones found, and (when it looks so) the delimiter."""
    present = set(columns)
    missing = sorted({c for c in mapping.fields.values() if c not in present}
                     if mapping.strict else set())
    fields = {f: c for f, c in mapping.fields.items() if c in present}
    absent = [f for f in REQUIRED[kind] if f not in fields]
    if not any(k in fields for k in KEY_FIELDS):
        absent.insert(0, "external_id or email")
    if not missing and not absent:
        return replace(mapping, fields=fields)
    wanted = missing or [_expected(mapping, f) for f in absent]
    found = ", ".join(repr(c) for c in columns[:20]) + (" …" if len(columns) > 20 else "")
    raise InvalidInput(f"Required columns are missing: {', '.join(wanted)}. The file has "
                       f"{found}. Rename the columns, or use a mapping file or preset that "
                       f"names them.{separator_hint(columns)}", field="columns")


def _expected(mapping: Mapping, ours: str) -> str:
    if ours in mapping.fields:
        return f"{mapping.fields[ours]!r} ({ours})"
    if ours == "external_id or email" and any(k in mapping.fields for k in KEY_FIELDS):
        return " or ".join(repr(mapping.fields[k]) for k in KEY_FIELDS if k in mapping.fields)
    return ours
