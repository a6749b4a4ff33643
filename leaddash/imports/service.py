"""One entry point for the three kinds of import, as the CLI and the page call them."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.imports.activities import import_activities
from leaddash.imports.custom import check_upload_custom
from leaddash.imports.leads import import_leads
from leaddash.imports.mapping import Mapping, combined
from leaddash.imports.mapping_file import load_mapping
from leaddash.imports.outcomes import import_outcomes
from leaddash.imports.presets import preset
from leaddash.imports.reading import Table
from leaddash.imports.result import ImportResult
from leaddash.imports.writing import bulk_cache

IMPORTERS = {"leads": import_leads, "activities": import_activities, "outcomes": import_outcomes}


def import_file(
    session: Session,
    *,
    actor: Actor,
    kind: str,
    table: Table,
    mapping: Mapping | None = None,
    dry_run: bool = False,
    skip_bad_rows: bool = False,
    at: datetime | None = None,
) -> ImportResult:
    """Return what importing `table` as `kind` (leads, activities, outcomes) did."""
    verify_actor(session, actor)
    if kind not in IMPORTERS:
        raise InvalidInput(
            f"Cannot import {kind!r}: choose leads, activities or outcomes.", field="kind"
        )
    with bulk_cache(session), collector_paused():
        return IMPORTERS[kind](
            session,
            actor=actor,
            table=table,
            mapping=mapping,
            dry_run=dry_run,
            skip_bad_rows=skip_bad_rows,
            at=at,
        )


@contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while an import runs: it makes millions of
    short-lived rows and tuples, none in cycles, and each of the collector's passes walks
    them all (a tenth of a million-lead import). Once enabled again it runs when it is due;
    a forced full pass here would walk the whole process (0.1 s in a test process) to free
    nothing the reference counts have not freed already."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def chosen_mapping(
    kind: str, *, mapping_text: str | None = None, preset_name: str | None = None
) -> Mapping | None:
    """Return the mapping from a preset's name, a mapping file's text, or both (the file's
    entries override the preset's); None: match the columns by name."""
    base = preset(preset_name, kind) if preset_name else None
    if mapping_text is None:
        return base
    written = load_mapping(mapping_text, kind)
    return combined(base, written) if base else written


def check_upload(table: Table, mapping: Mapping, kind: str) -> None:
    """Refuse a file whose rows go over a bound the import of `kind` holds them to (the
    custom attributes a lead keeps), as the import would: the Import page checks before it
    previews anything."""
    if kind == "leads":
        check_upload_custom(table, mapping)
