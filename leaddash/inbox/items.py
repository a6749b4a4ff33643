"""One row of a person's inbox, and the pages its links open (by their url_path, as
leaddash.ui.nav registers them; tests/test_inbox.py holds the two equal)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlmodel import Session

from leaddash.core.actor import Actor

MY_QUEUE = "my-queue"
TEAM_QUEUE = "team-queue"
DISPUTES = "disputes"
DEFINITION = "definition"
SLA = "sla"
SLA_COMPLIANCE = "sla-compliance"
ROUTING = "routing"
DETAIL_LINES = 3  # the leads or things named under an item; the page lists the rest


@dataclass(frozen=True)
class InboxItem:
    """Something waiting for the person: what it is, how many, the page (url_path) and
    query parameters that open it, a few lines naming the first of them. `badge`: the
    count joins the page's number in the sidebar (False when another item of the page
    already counts the same things). `whatif_version`: a proposed definition whose what-if
    headline the page adds (a replay, too slow to run for the sidebar)."""

    key: str
    title: str
    count: int
    page: str
    params: tuple[tuple[str, str], ...] = ()
    details: tuple[str, ...] = ()
    badge: bool = True
    whatif_version: int | None = None


# One kind of inbox row: reads the database as of `now`, returns its rows ([] for none).
ItemSource = Callable[[Session, Actor, datetime], list[InboxItem]]


def plural(count: int, one: str, many: str | None = None) -> str:
    """Return "1 lead" or "3 leads" (`many` for an irregular plural)."""
    return f"{count} {one if count == 1 else (many or one + 's')}"
