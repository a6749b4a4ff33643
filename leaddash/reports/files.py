"""The monthly review as a file to download: built when it is asked for, for an actor
checked against the database then (a tab left open must not download what its user may no
longer see)."""

from __future__ import annotations

from datetime import date, datetime

from sqlmodel import Session

from leaddash.access import authorize
from leaddash.core.actor import Actor
from leaddash.errors import InvalidInput
from leaddash.reports.export import csv_zip
from leaddash.reports.model import session_reader
from leaddash.reports.review import build_review
from leaddash.reports.review_html import render_review_html

REVIEW_FORMATS = ("html", "zip")


def review_file(
    session: Session, *, actor: Actor, month: date, kind: str, now: datetime | None = None
) -> bytes:
    """Return the review of `month` as `actor` sees it, judged at `now` (default: now): one
    self-contained HTML page ("html") or a zip of one CSV file per table ("zip")."""
    authorize(session, actor, "view_team_dashboards", "download the monthly review")
    if kind not in REVIEW_FORMATS:
        raise InvalidInput(
            f"Download the review as {' or '.join(REVIEW_FORMATS)}, not {kind!r}.", field="kind"
        )
    report = build_review(session_reader(session, actor=actor, now=now), month=month)
    return render_review_html(report).encode("utf-8") if kind == "html" else csv_zip(report)
