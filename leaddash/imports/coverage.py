"""What a mapping does with a file, shown before anything is written: which column goes
to which field, which columns are kept aside, which core fields no column gives, and
whether its leads come in as new leads or as history."""

from __future__ import annotations

from dataclasses import dataclass

from leaddash.imports.mapping import STAGE_DATES, Mapping, is_history

CORE_LEAD_FIELDS = (
    "external_id",
    "email",
    "first_name",
    "last_name",
    "company",
    "country",
    "source",
    "created_at",
)
DATE_FIELDS = ("created_at", *STAGE_DATES, "stage_at")
CUSTOM = "(kept as a custom attribute)"
UNUSED = "(not imported)"
NO_DATE = (
    "No column gives a date: every lead will be dated today, the day of the import; "
    "map created_at or a stage date if the file has one."
)
NEW_LEADS = (
    "New leads: each is scored against the active lead definition, and routed to a "
    "rep when it qualifies."
)
HISTORY = (
    "History: each lead is loaded at the stages and on the dates the file gives "
    "({dates}), and the lead definition does not qualify it."
)


@dataclass(frozen=True)
class Coverage:
    """Per file column (and fixed value) what it becomes, the core fields left unmapped,
    and a warning when no lead would get its own date."""

    rows: list[tuple[str, str]]
    unmapped: list[str]
    warning: str | None
    loads: str | None = None


def coverage(mapping: Mapping, columns: list[str], kind: str) -> Coverage:
    """Return what the applied `mapping` does with a file of `columns` imported as `kind`."""
    used: dict[str, list[str]] = {}
    for ours, column in mapping.fields.items():
        used.setdefault(column, []).append(ours)
    aside = CUSTOM if kind == "leads" else UNUSED
    rows = [(c, ours) for c in columns for ours in used.get(c, [aside])]
    rows += [(f"fixed value {value!r}", ours) for ours, value in mapping.values.items()]
    if kind != "leads":
        return Coverage(rows, [], None)
    unmapped = [f for f in CORE_LEAD_FIELDS if f not in mapping.given]
    dated = any(f in mapping.given for f in DATE_FIELDS)
    given = [f for f in (*STAGE_DATES, "stage_at") if f in mapping.given]
    loads = HISTORY.format(dates=", ".join(given)) if is_history(mapping) else NEW_LEADS
    return Coverage(rows, unmapped, None if dated else NO_DATE, loads)
