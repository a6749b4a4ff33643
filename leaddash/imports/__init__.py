"""CSV import of leads, activities and outcomes: read, map, check every row, then write
all of it in the caller's transaction (or nothing), and qualify and route what changed."""

from leaddash.imports.checks import Problem
from leaddash.imports.coverage import Coverage, coverage
from leaddash.imports.leads import import_leads
from leaddash.imports.mapping import (
    FIELDS,
    Mapping,
    applied,
    auto_mapping,
    combined,
    is_history,
    resolved,
    with_fields,
)
from leaddash.imports.mapping_file import load_mapping
from leaddash.imports.mapping_yaml import check_mapping_size, mapping_file_text
from leaddash.imports.presets import PRESETS, PresetMatch, detect_preset, preset
from leaddash.imports.reading import (
    LOCAL_MAX_BYTES,
    MAX_BYTES,
    Table,
    check_size,
    read_table,
)
from leaddash.imports.result import ImportResult
from leaddash.imports.service import (
    IMPORTERS,
    check_upload,
    chosen_mapping,
    import_file,
)

__all__ = [
    "FIELDS",
    "IMPORTERS",
    "LOCAL_MAX_BYTES",
    "MAX_BYTES",
    "PRESETS",
    "Coverage",
    "ImportResult",
    "Mapping",
    "PresetMatch",
    "Problem",
    "Table",
    "applied",
    "auto_mapping",
    "check_mapping_size",
    "check_size",
    "check_upload",
    "chosen_mapping",
    "combined",
    "coverage",
    "detect_preset",
    "import_file",
    "import_leads",
    "is_history",
    "load_mapping",
    "mapping_file_text",
    "preset",
    "read_table",
    "resolved",
    "with_fields",
]
