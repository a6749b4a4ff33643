"""Database faults no user can fix, told as one line a person can act on: a read-only
database (SQLite file, folder or disk; PostgreSQL in read-only mode) and a full one."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy.exc import DBAPIError

from leaddash.errors import DatabaseFault

READ_ONLY = "read-only"
FULL = "full"
# SQLite's primary result codes (the low byte of an extended code such as
# SQLITE_READONLY_DIRECTORY) and PostgreSQL's SQLSTATEs for the same two faults.
SQLITE_CODES = {8: READ_ONLY, 13: FULL}
POSTGRES_STATES = {"25006": READ_ONLY, "53100": FULL}
STATES = {READ_ONLY: "the database is read-only", FULL: "the database or its disk is full"}
FIXES = {
    READ_ONLY: "make the database writable again (its file and folder, the disk, or the "
    "database server's read-only setting)",
    FULL: "free disk space on the database's server (or raise the database's size limit)",
}


def fault_reason(exc: BaseException) -> str | None:
    """Return READ_ONLY or FULL when `exc` is the database refusing for that reason."""
    orig = exc.orig if isinstance(exc, DBAPIError) else exc
    code = getattr(orig, "sqlite_errorcode", None)
    if isinstance(code, int):
        return SQLITE_CODES.get(code & 0xFF)
    state = getattr(orig, "sqlstate", None)
    return POSTGRES_STATES.get(state) if isinstance(state, str) else None


def write_message(reason: str, doing: str = "save changes") -> str:
    """Return the one line shown when LeadDash could not be `doing` (a write) for `reason`."""
    return (
        f"LeadDash cannot {doing}: {STATES[reason]}. Nothing was saved; ask your admin "
        f"to {FIXES[reason]}."
    )


def login_message(reason: str) -> str:
    """Return the one line the login form shows when a login cannot be recorded."""
    return (
        f"LeadDash cannot log you in: {STATES[reason]}, and every login attempt is "
        f"recorded there. Ask your admin to {FIXES[reason]}."
    )


def open_message(reason: str) -> str:
    """Return the one line shown when the database cannot even be read for `reason`."""
    return (
        f"LeadDash cannot open the database: {STATES[reason]}. Ask your admin to {FIXES[reason]}."
    )


@contextmanager
def faults_as_messages() -> Iterator[None]:
    """Turn a read-only or full database under the block into a DatabaseFault; any other
    error passes unchanged."""
    try:
        yield
    except DBAPIError as exc:
        reason = fault_reason(exc)
        if reason is None:
            raise
        raise DatabaseFault(write_message(reason), reason=reason) from exc
