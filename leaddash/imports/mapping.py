"""Which column of the file holds which of our fields: the mapping, and matching headers.

A mapping gives each of our fields either a column of the file (which must exist), a fixed
value every row gets, or — in a preset — the header spellings a CRM uses for it, of which
the first column of the file that matches is used. Headers match ignoring case, spaces,
underscores and punctuation: "First Name", "first_name", "FirstName" and "FIRST-NAME" are
one header. Columns no field maps are kept on the lead as custom attributes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace

from leaddash.errors import InvalidInput
from leaddash.imports.limits import excerpt
from leaddash.imports.reading import separator_hint

# The dates a lead reached each stage (a history import) and the stage it is at, dated.
STAGE_DATES = (
    "mql_at",
    "accepted_at",
    "validated_at",
    "disqualified_at",
    "rejected_at",
    "recycled_at",
    "sql_at",
    "opportunity_at",
    "won_at",
    "lost_at",
)
LEAD_FIELDS = (
    "external_id",
    "email",
    "phone",
    "first_name",
    "last_name",
    "company",
    "title",
    "country",
    "industry",
    "employees",
    "source",
    "campaign",
    "segment",
    "created_at",
    "stage",
    "owner",
    *STAGE_DATES,
    "stage_at",
    "reason",
    "amount",
)
ACTIVITY_FIELDS = ("external_id", "email", "type", "occurred_at", "detail")
OUTCOME_FIELDS = ("external_id", "email", "stage", "occurred_at", "amount")
FIELDS = {"leads": LEAD_FIELDS, "activities": ACTIVITY_FIELDS, "outcomes": OUTCOME_FIELDS}
REQUIRED = {
    "leads": (),
    "activities": ("type", "occurred_at"),
    "outcomes": ("stage", "occurred_at"),
}
KEY_FIELDS = ("external_id", "email")
KEYS = "external_id or email"
# Names people give these columns in hand-made files, beside the field's own name.
ALIASES = {
    "occurred_at": ("timestamp", "date", "occurred", "time", "when"),
    "external_id": ("id", "external id", "record id"),
    "email": ("email address",),
    "phone": ("mobile", "phone number", "mobile phone", "telephone", "telefon", "tel"),
}


@dataclass(frozen=True)
class Mapping:
    """Our field → the file's column (`fields`), or a value every row gets (`values`), or
    the headers a preset knows for it (`spellings`); plus how to read dates and stages.

    `applied` turns it into the file's own columns: then `fields` names real columns and
    `spellings` is empty."""

    fields: dict[str, str]
    date_format: str | None = None
    stage_values: dict[str, str] = field(default_factory=dict)
    name: str = "mapping file"
    values: dict[str, str] = field(default_factory=dict)
    spellings: dict[str, tuple[str, ...]] = field(default_factory=dict)

    @property
    def given(self) -> set[str]:
        """Return the fields a column or a fixed value gives."""
        return set(self.fields) | set(self.values)


def header_key(name: str) -> str:
    """Return the header as compared: case, spaces, underscores and punctuation dropped."""
    return re.sub(r"[\W_]+", "", name.casefold())


def is_history(mapping: Mapping) -> bool:
    """Return True when the mapping gives a stage date or `stage_at` (a history import)."""
    return any(f in mapping.given for f in (*STAGE_DATES, "stage_at"))


def first_match(columns: list[str], names: tuple[str, ...]) -> str | None:
    """Return the first of `columns` (in file order) that matches one of `names`."""
    wanted = {header_key(n) for n in names} - {""}
    return next((c for c in columns if header_key(c) in wanted), None)


def auto_mapping(columns: list[str], kind: str = "leads") -> Mapping:
    """Return the mapping of columns named like our fields (case, spaces and punctuation
    ignored), the field's own name before its aliases."""
    fields = {}
    for ours in FIELDS[kind]:
        for name in (ours, *ALIASES.get(ours, ())):
            found = first_match(columns, (name,))
            if found is not None:
                fields[ours] = found
                break
    return Mapping(fields, name="column names")


def with_fields(mapping: Mapping, fields: dict[str, str | None]) -> Mapping:
    """Return `mapping` with its field → column choices replaced (the page's selectboxes);
    fixed values stay."""
    return replace(mapping, fields={k: v for k, v in fields.items() if v}, spellings={})


def combined(base: Mapping, override: Mapping) -> Mapping:
    """Return `base` (a preset) with `override`'s (a mapping file's) fields, fixed values,
    stage values and date format taking precedence."""
    chosen = override.given
    folded = {k.casefold() for k in override.stage_values}
    return Mapping(
        fields={f: c for f, c in base.fields.items() if f not in chosen} | override.fields,
        values={f: v for f, v in base.values.items() if f not in chosen} | override.values,
        spellings={f: s for f, s in base.spellings.items() if f not in chosen},
        stage_values={k: v for k, v in base.stage_values.items() if k.casefold() not in folded}
        | override.stage_values,
        date_format=override.date_format or base.date_format,
        name=f"{base.name} with the {override.name}",
    )


def mapping_for(table_columns: list[str], mapping: Mapping | None, kind: str) -> Mapping:
    """Return the mapping an import of `kind` reads a file with `table_columns` by: the
    given one (or, without one, the columns named like our fields), checked by `applied`."""
    return applied(mapping or auto_mapping(table_columns, kind), table_columns, kind)


def resolved(mapping: Mapping, columns: list[str]) -> Mapping:
    """Return the mapping on the file's own columns: a named column exactly, else one that
    matches it; a preset's field on the first column matching a spelling. Raise InvalidInput
    naming the named columns the file lacks."""
    fields = {}
    missing = []
    for ours, name in mapping.fields.items():
        found = name if name in columns else first_match(columns, (name,))
        if found is None:
            missing.append(name)
        else:
            fields[ours] = found
    if missing:
        raise _missing(sorted(set(missing)), columns)
    for ours, names in mapping.spellings.items():
        found = None if ours in mapping.given else first_match(columns, names)
        if found is not None:
            fields[ours] = found
    return replace(mapping, fields=fields, spellings={})


def applied(mapping: Mapping, columns: list[str], kind: str) -> Mapping:
    """Return the mapping on the file's own columns, or raise InvalidInput naming the
    columns that are missing, the ones found, and (when it looks so) the delimiter."""
    found = resolved(mapping, columns)
    absent = [f for f in REQUIRED[kind] if f not in found.given]
    if not any(k in found.fields for k in KEY_FIELDS):
        absent.insert(0, KEYS)
    if absent:
        raise _missing([_expected(mapping, f) for f in absent], columns)
    return found


def _missing(wanted: list[str], columns: list[str]) -> InvalidInput:
    found = ", ".join(repr(excerpt(c)) for c in columns[:20]) + (" …" if len(columns) > 20 else "")
    wanted = [excerpt(w) for w in wanted]
    return InvalidInput(
        f"Required columns are missing: {', '.join(wanted)}. The file has "
        f"{found}. Rename the columns, or use a mapping file or preset that "
        f"names them.{separator_hint(columns)}",
        field="columns",
    )


def _expected(mapping: Mapping, ours: str) -> str:
    named = KEY_FIELDS if ours == KEYS else (ours,)
    known = [repr(mapping.spellings[f][0]) for f in named if f in mapping.spellings]
    return f"{ours} ({mapping.name}: {' or '.join(known)})" if known else ours
