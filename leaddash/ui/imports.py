"""Drawing helpers for the Import page: upload, map the columns, preview every problem,
confirm. The preview is a dry run of the same service the import runs, so what it shows
is what the import will do. A file over a bound (columns, names, cells, custom attributes)
or a mapping file over its own is refused with its message before anything is previewed.

AppTest cannot upload files, so a file placed in st.session_state[INJECTED_FILE] as
(name, bytes) stands in for the uploader (how the page tests drive the preview), and one
in st.session_state[INJECTED_MAPPING] for the mapping file's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

import pandas as pd
import streamlit as st

from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.imports import (
    FIELDS,
    PRESETS,
    ImportResult,
    Mapping,
    PresetMatch,
    Table,
    applied,
    auto_mapping,
    check_upload,
    chosen_mapping,
    coverage,
    detect_preset,
    import_file,
    mapping_file_text,
    read_table,
    resolved,
    with_fields,
)
from leaddash.ui.resources import reading
from leaddash.ui.seam import or_stop, save
from leaddash.ui.text import plain, plain_table

T = TypeVar("T")
INJECTED_FILE = "import_injected_file"
INJECTED_MAPPING = "import_injected_mapping"
KINDS = {
    "leads": "Leads",
    "activities": "Activities (web visits, form fills …)",
    "outcomes": "Outcomes from the CRM (sql, opportunity, won, lost)",
}
BY_NAME = "Match columns by name"
MAPPING_FILE = "Upload a mapping file (YAML)"
NOT_IN_FILE = "(not in the file)"
PREVIEW_ROWS = 10


@dataclass(frozen=True)
class Upload:
    """What the person chose: the kind of rows, the file read, the mapping to apply."""

    kind: str
    table: Table
    mapping: Mapping


def choose_kind() -> str:
    """Draw the choice of what to import and return it (leads, activities, outcomes)."""
    return st.radio(
        "What do you import?",
        list(KINDS),
        format_func=KINDS.get,
        horizontal=True,
        key="import_kind",
    )


def read_upload(kind: str) -> Table:
    """Draw the uploader and return the file read; stop the page until there is one."""
    upload = st.file_uploader(
        f"CSV file of {kind}",
        type=["csv", "txt", "tsv"],
        key=f"import_file_{kind}",
        help="UTF-8, UTF-16, Windows-1252 or Latin-1 (detected); "
        "commas, semicolons, tabs or | between columns; up to "
        "100 MB.",
    )
    chosen = (upload.name, upload.getvalue()) if upload else st.session_state.get(INJECTED_FILE)
    if chosen is None:
        st.info(
            "Choose a CSV file exported from your CRM or marketing tool. Nothing is "
            "imported before you confirm.",
            icon=":material/upload_file:",
        )
        st.stop()
    return _or_stop(lambda: read_table(chosen[1], chosen[0]))


def _or_stop(step: Callable[[], T]) -> T:
    """Return what `step` returns; on a refused input show its message and stop the page."""
    return or_stop(step, InvalidInput)


def _start_mapping(kind: str, table: Table) -> Mapping:
    match = detect_preset(table.columns) if kind == "leads" else None
    names = [BY_NAME, *(PRESETS if kind == "leads" else ()), MAPPING_FILE]
    if match:
        st.info(match.message(), icon=":material/auto_awesome:")
    # Keyed on the detected preset: a new file that looks different gets its own default.
    how = st.selectbox(
        "How are the columns named?",
        names,
        index=names.index(match.name) if match else 0,
        key=f"import_how_{kind}_{match.name if match else ''}",
        format_func=lambda n: (
            n if n in (BY_NAME, MAPPING_FILE) else f"{PRESETS[n].label} export (preset)"
        ),
    )
    if how == BY_NAME:
        return auto_mapping(table.columns, kind)
    # None from chosen_mapping means: match the columns by name.
    if how != MAPPING_FILE:
        return _or_stop(lambda: chosen_mapping(kind, preset_name=how)) or auto_mapping(
            table.columns, kind
        )
    return _mapping_file(kind, match) or auto_mapping(table.columns, kind)


def _mapping_file(kind: str, match: PresetMatch | None) -> Mapping | None:
    base = (
        match.name
        if match
        and st.checkbox(
            f"Start from the {match.label} preset (the mapping file's entries override it)",
            value=True,
            key=f"import_map_base_{kind}",
        )
        else None
    )
    file = st.file_uploader("Mapping file", type=["yaml", "yml"], key=f"import_map_{kind}")
    chosen = (file.name, file.getvalue()) if file else st.session_state.get(INJECTED_MAPPING)
    if chosen is None:
        st.info("Upload the mapping file, or pick another way to match the columns.")
        st.stop()
    return _or_stop(
        lambda: chosen_mapping(kind, mapping_text=mapping_file_text(chosen[1]), preset_name=base)
    )


def choose_mapping(kind: str, table: Table) -> Upload:
    """Draw the mapping choices (a selectbox per field, pre-filled) and return the upload."""
    chosen_start = _start_mapping(kind, table)
    start = _or_stop(lambda: resolved(chosen_start, table.columns))
    options = [NOT_IN_FILE, *table.columns]
    picked = {}
    with st.expander("Columns used for each field", expanded=False):
        columns = st.columns(3)
        chosen = [f for f in FIELDS[kind] if f not in start.values]
        for i, field in enumerate(chosen):
            current = start.fields.get(field)
            index = options.index(current) if current in options else 0
            # Keyed on the suggestion too: a keyed selectbox keeps its old value when only
            # `index` changes, which would silently drop a preset chosen after the upload.
            choice = columns[i % 3].selectbox(
                field, options, index=index, key=f"import_field_{kind}_{field}_{current}"
            )
            picked[field] = None if choice == NOT_IN_FILE else choice
        if start.values:
            st.caption(
                "Fixed values from the mapping file: "
                + ", ".join(plain(f"{f} = {v!r}") for f, v in start.values.items())
                + "."
            )
        st.caption("Columns no field uses are kept on each lead as custom attributes.")
    mapping = _or_stop(lambda: applied(with_fields(start, picked), table.columns, kind))
    _or_stop(lambda: check_upload(table, mapping, kind))
    return Upload(kind, table, mapping)


def show_coverage(upload: Upload) -> None:
    """Draw which file column goes to which field, the core fields no column gives, and a
    warning when no lead would get its own date."""
    seen = coverage(upload.mapping, upload.table.columns, upload.kind)
    st.subheader("How the file is read")
    # A short list people read whole: a static table, not a scrolling grid.
    st.table(
        plain_table(
            pd.DataFrame(seen.rows, columns=["File column", "Field"]).set_index("File column")
        )
    )
    if seen.loads:
        st.info(seen.loads, icon=":material/history:")
    if seen.unmapped:
        st.caption(f"No column gives: {', '.join(seen.unmapped)}.")
    if seen.warning:
        st.warning(seen.warning, icon=":material/event_busy:")


def preview(actor: Actor, upload: Upload) -> ImportResult:
    """Return the dry run of the upload, after drawing the first rows and every problem."""
    st.subheader("First rows of the file")
    st.dataframe(upload.table.frame.head(PREVIEW_ROWS), hide_index=True)
    with reading() as session:
        result = _or_stop(
            lambda: import_file(
                session,
                actor=actor,
                kind=upload.kind,
                table=upload.table,
                mapping=upload.mapping,
                dry_run=True,
                skip_bad_rows=True,
            )
        )
    if result.problems:
        st.subheader(f"Problems ({len(result.problems):,} in {result.bad_rows:,} rows)")
        st.dataframe(problem_table(result), hide_index=True)
    return result


def problem_table(result: ImportResult) -> pd.DataFrame:
    """Return every problem as rows of row number, column, problem and what to do."""
    return pd.DataFrame(
        [
            (p.row, p.column, p.problem, p.fix)
            for p in sorted(result.problems, key=lambda p: (p.row, p.column))
        ],
        columns=["Row", "Column", "Problem", "What to do"],
    )


def confirm(actor: Actor, upload: Upload, checked: ImportResult) -> None:
    """Draw the counts, the skip choice (only with bad rows) and the Import button."""
    skip = False
    if checked.problems:
        st.warning(
            f"{checked.bad_rows:,} rows have problems. Fix them in the file and upload "
            "it again, or skip them.",
            icon=":material/warning:",
        )
        skip = st.checkbox(
            f"Skip the {checked.bad_rows:,} bad rows and import the rest", key="import_skip"
        )
    st.info(plain(checked.summary()), icon=":material/fact_check:")
    if st.button(
        "Import", type="primary", disabled=bool(checked.problems) and not skip, key="import_confirm"
    ):
        _run(actor, upload, skip)


def _run(actor: Actor, upload: Upload, skip: bool) -> None:
    save(
        lambda s: import_file(
            s,
            actor=actor,
            kind=upload.kind,
            table=upload.table,
            mapping=upload.mapping,
            skip_bad_rows=skip,
        ),
        ImportResult.summary,
    )
