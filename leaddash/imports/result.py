"""What an import did (or would do), and the batch row and audit summary it leaves."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlmodel import Session

from leaddash.access import verify_actor
from leaddash.audit import record
from leaddash.core.actor import Actor
from leaddash.core.bulk import insert_returning_ids
from leaddash.imports.checks import Problem
from leaddash.models import ImportBatch

REPORT_LIMIT = 50


@dataclass(frozen=True)
class ImportResult:
    """The counts, problems and warnings of one import. `refused` is True when bad rows
    stopped it (nothing written); `written` is True when the database was changed. A
    warning (a value kept as written that no rule can match) stops nothing."""

    kind: str
    filename: str
    rows_total: int
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    problems: tuple[Problem, ...] = ()
    dry_run: bool = False
    refused: bool = False
    written: bool = False
    new_mqls: int = 0
    routed: int = 0
    history_events: int = 0
    batch_id: int | None = None
    warnings: tuple[str, ...] = ()

    @classmethod
    def checked(
        cls,
        kind: str,
        filename: str,
        rows_total: int,
        problems: list[Problem],
        *,
        dry_run: bool,
        skip_bad_rows: bool,
        warnings: Sequence[str] = (),
        **counts: Any,
    ) -> ImportResult:
        """Return the result of checking a file: the rows with `problems` skipped, or the
        whole import refused when there are any and bad rows are not to be skipped."""
        bad = len({p.row for p in problems})
        return cls(
            kind,
            filename,
            rows_total,
            skipped=bad,
            problems=tuple(problems),
            dry_run=dry_run,
            refused=bool(bad) and not skip_bad_rows,
            warnings=tuple(warnings),
            **counts,
        )

    @property
    def bad_rows(self) -> int:
        """Return how many distinct rows have at least one problem."""
        return len({p.row for p in self.problems})

    def summary(self) -> str:
        """Return what happened (or would happen) in one or two sentences, then the
        warnings."""
        return " ".join([self._outcome(), *self.warnings])

    def _outcome(self) -> str:
        """Return what happened (or would happen) in one or two sentences."""
        counts = (
            f"{self.created:,} new {self.kind}, {self.updated:,} updated, "
            f"{self.unchanged:,} unchanged"
        )
        if self.refused:
            return (
                f"Nothing was imported: {self.bad_rows:,} of {self.rows_total:,} rows of "
                f"{self.filename} have problems. Fix them and import again, or choose to "
                "skip the bad rows."
            )
        if self.dry_run:
            text = f"Dry run of {self.filename}, nothing written. It would give {counts}"
            if self.history_events:
                text += f", with {self.history_events:,} stage changes of their history"
            return text + (f", and skip {self.skipped:,} bad rows." if self.skipped else ".")
        if not self.written:
            return f"Nothing changed: all {self.rows_total:,} rows match what is stored."
        text = f"Imported {self.filename}: {counts}"
        text += f"; {self.skipped:,} bad rows skipped." if self.skipped else "."
        if self.history_events:
            text += (
                f" {self.history_events:,} stage changes of their history recorded at "
                "their own dates."
            )
        if self.new_mqls or self.routed:
            text += f" {self.new_mqls:,} leads became MQLs; {self.routed:,} went to a rep."
        return text

    def report(self, limit: int = REPORT_LIMIT) -> list[str]:
        """Return one line per problem (the first `limit`, then "… and N more")."""
        lines = [p.line() for p in sorted(self.problems, key=lambda p: (p.row, p.column))]
        if len(lines) > limit:
            return [*lines[:limit], f"… and {len(lines) - limit:,} more problems."]
        return lines


def write_batch(
    session: Session, *, actor: Actor, result: ImportResult, at: datetime
) -> ImportResult:
    """Return `result` with the id of the ImportBatch row written for it, and its one audit
    row (the rows themselves were written in bulk, outside the ORM's audit)."""
    verify_actor(session, actor)
    counts = {
        "rows_total": result.rows_total,
        "rows_created": result.created,
        "rows_updated": result.updated,
        "rows_skipped": result.skipped,
    }
    batch_id = insert_returning_ids(
        session,
        ImportBatch,
        [
            {
                "kind": result.kind,
                "filename": result.filename[:255],
                "imported_by_id": actor.id,
                "started_at": at,
                **counts,
            }
        ],
    )[0]
    record(
        session,
        actor=actor,
        action=f"import.{result.kind}",
        entity="importbatch",
        entity_id=batch_id,
        after={"filename": result.filename, **counts, "rows_unchanged": result.unchanged},
    )
    return replace(result, batch_id=batch_id, written=True)
