"""The acting user, as every service receives it."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Actor:
    """The acting user as services see it: a plain value, never an ORM row. `login` is the
    digest of the login it acts under (None for the command line and internal actors)."""

    id: int | None
    username: str
    role: str
    team_id: int | None = None
    name: str = ""
    login: str | None = None
