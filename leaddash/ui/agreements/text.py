"""Small formatters of the agreement pages: moments, roles, version titles (text people
typed goes through `leaddash.ui.text.plain`)."""

from __future__ import annotations

import re
from datetime import datetime

from leaddash.core.times import as_utc


def when(moment: datetime | None) -> str:
    """Return a moment as a short UTC timestamp, or an empty string."""
    return f"{as_utc(moment):%Y-%m-%d %H:%M} UTC" if moment else ""


def person_role(role: str) -> str:
    """Return a role as people say it: sales_leader → sales leader."""
    return role.replace("_", " ")


def bare_title(number: int, title: str) -> str:
    """Return a version's title without a leading "v3 — " that repeats its number."""
    return re.sub(rf"^v{number}\s*[—–:·-]\s*", "", title) or title
