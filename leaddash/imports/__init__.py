"""CSV import of leads, activities and outcomes: read, map, check every row, then write
all of it in the caller's transaction (or nothing), and qualify and route what changed."""

from leaddash.imports.checks import Problem
from leaddash.imports.leads import import_leads
from leaddash.imports.mapping import (
    FIELDS,
    PRESETS,
    Mapping,
    applied,
    auto_mapping,
    load_mapping,
    preset,
    with_fields,
)
from leaddash.imports.reading import MAX_BYTES, Table, read_table
from leaddash.imports.result import ImportResult
from leaddash.imports.service import IMPORTERS, chosen_mapping, import_file

__all__ = [
    "FIELDS", "IMPORTERS", "MAX_BYTES", "PRESETS", "ImportResult", "Mapping", "Problem",
    "Table", "applied", "auto_mapping", "chosen_mapping", "import_file", "import_leads",
    "load_mapping", "preset", "read_table", "with_fields",
]
