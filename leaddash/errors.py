"""The small family of errors the domain raises; each carries a message meant for a person."""

from __future__ import annotations


class LeadDashError(Exception):
    """Base error: `message` is shown to the user as it is."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class NotFound(LeadDashError):
    """The thing asked for does not exist (or the actor may not know it exists)."""


class Forbidden(LeadDashError):
    """The acting user's role does not allow this action."""


class Conflict(LeadDashError):
    """Someone else changed the record first; nothing was overwritten."""


class InvalidInput(LeadDashError):
    """The input is wrong; `field` names the field when there is one."""


class ConfigError(LeadDashError):
    """The app cannot start with the configuration it was given. `message` is safe to show
    anyone; `detail`, when there is one, is for the operator only (command line, server log):
    it may name file paths or the database server's own words."""

    def __init__(self, message: str, *, detail: str | None = None) -> None:
        super().__init__(message)
        self.detail = detail


class DatabaseFault(LeadDashError):
    """The database refused a write for a reason no user can fix (read-only, full); nothing
    of the write was kept. `reason` is "read-only" or "full"."""

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(message)
        self.reason = reason


class LoginThrottled(Forbidden):
    """Too many failed logins for a username lately; `wait_seconds` says when to retry."""

    def __init__(self, message: str, *, wait_seconds: int) -> None:
        super().__init__(message, field="username")
        self.wait_seconds = wait_seconds


class LoginEnded(Forbidden):
    """The login the actor acts under has ended (logged out, deactivated, role or team
    changed, ended by an admin, password changed, unused too long); `reason` says which in
    plain words."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"Your login has ended ({reason}): log in again.")
        self.reason = reason
