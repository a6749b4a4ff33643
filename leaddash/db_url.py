"""DATABASE_URL: parsed strictly, described without its credentials, and the database
server's own words scrubbed of them.

Anything here may end up in front of a visitor who is not logged in (the app checks the
database before its login form), so nothing it returns for the public names the URL's user,
password or a file path; the operator's versions (`public=False`) may name paths, never
credentials.
"""

from __future__ import annotations

import re

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

from leaddash.errors import ConfigError

INVALID = "DATABASE_URL is not a valid database URL: "
EXAMPLES = "postgresql://USER:PASSWORD@HOST:5432/DATABASE or sqlite:///data/leaddash.db"
DRIVERS = {"sqlite": "SQLite", "sqlite+pysqlite": "SQLite", "postgresql+psycopg": "PostgreSQL"}
# Short enough that hiding it would blank out ordinary words of a server's message.
SHORTEST_HIDDEN = 3
HIDDEN = "…"
# A quoted path, or a bare one after a space or at the start: /var/run/… or C:\data\….
PATHS = re.compile(r"""(["'])(?:/|[A-Za-z]:\\)[^"']*\1|(?:(?<=\s)|^)(?:/|[A-Za-z]:\\)\S+""")


def normalize_url(url: str) -> str:
    """Return `url` with PostgreSQL URLs pointed at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


def parse_url(url: str) -> URL:
    """Return the parsed database URL, or raise ConfigError saying what to fix (the URL
    itself is never repeated: it may hold a password)."""
    _refuse_ambiguous_at(url)
    try:
        parsed = make_url(normalize_url(url.strip()))
    except ArgumentError:
        raise ConfigError(f"{INVALID}write it like {EXAMPLES}.") from None
    except ValueError:
        raise ConfigError(
            f"{INVALID}the port after the host must be a number, like :5432 "
            "(or leave the port out)."
        ) from None
    if parsed.drivername not in DRIVERS:
        raise ConfigError(
            f"{INVALID}LeadDash works with PostgreSQL (postgresql://…) and "
            f"SQLite (sqlite:///…){_not_scheme(url)}."
        )
    return parsed


def _refuse_ambiguous_at(url: str) -> None:
    # A second @ leaves it to guesswork where the password ends, and a wrong guess sends
    # the rest of the password on as the host name, into error messages.
    if url.partition("://")[2].count("@") > 1:
        raise ConfigError(
            f"{INVALID}it holds more than one @. Write an @ inside the user "
            "name or password as %40 (and a / as %2F, a : in the user name "
            "as %3A)."
        )


def _not_scheme(url: str) -> str:
    scheme, found, _ = url.partition("://")
    if found and re.fullmatch(r"[A-Za-z][A-Za-z0-9+.-]{0,29}", scheme):
        return f", not {scheme}://"
    return ""


def describe_url(url: str | URL, *, public: bool = True) -> str:
    """Return the database as a person may be told of it: never its user or password, and
    a SQLite file's path only when not `public` (the command line, the server log)."""
    parsed = url if isinstance(url, URL) else parse_url(url)
    if parsed.get_backend_name() == "sqlite":
        return "SQLite database" if public else f"SQLite file {parsed.database or ':memory:'}"
    host = parsed.host or ""
    if not host or host.startswith("/"):
        where = "this machine"
    else:
        where = f"{host}:{parsed.port}" if parsed.port else host
    return f"PostgreSQL database {parsed.database!r} on {where}"


def credentials(url: URL) -> list[str]:
    """Return the secrets `url` carries (user name and password, in the URL or its query)."""
    found = [url.username, url.password, url.query.get("user"), url.query.get("password")]
    return [str(value) for value in found if value and isinstance(value, str)]


def scrubbed(reason: str, url: URL, *, public: bool = True) -> str:
    """Return a database server's message with the URL's credentials hidden, and every file
    path too when `public`."""
    for secret in sorted(credentials(url), key=len, reverse=True):
        if len(secret) >= SHORTEST_HIDDEN:
            reason = reason.replace(secret, HIDDEN)
    return PATHS.sub(HIDDEN, reason) if public else reason
